/*
 * au_addr.h - RFC 5322 address lists (From, Sender, Reply-To ...).
 *
 * au_addr_parse() reads a field value (what follows "From:") with a real
 * tokenizer: quoted strings and quoted-pairs, comments (nested up to a
 * bound), domain literals, angle-addr with obsolete routes, group syntax,
 * CFWS between the parts of obsolete local-parts and domains (RFC 5322
 * 3.2-3.4 and 4.4).  Display names, comments and encoded words never
 * change the address found.  Everything is bounded.
 */
#ifndef AU_ADDR_H
#define AU_ADDR_H

#include <stddef.h>
#include "au_status.h"

#define AU_ADDR_MAX_FIELD	16384	/* bytes of one field value */
#define AU_ADDR_MAX_TOKENS	2048
#define AU_ADDR_MAX_ADDRS	64	/* addresses in one list */
#define AU_ADDR_MAX_DEPTH	16	/* nested comments */

typedef struct au_addr {
	char	*local;		/* local-part, quotes and quoted-pairs removed */
	char	*domain;	/* "example.com" (CFWS removed, case kept), or
				   NULL for a domain literal "[192.0.2.1]" */
	char	*literal;	/* the domain literal as written, or NULL */
	int	 in_group;	/* inside "name: ... ;" group syntax */
} au_addr;

typedef struct au_addr_list {
	size_t	 naddrs;
	au_addr	*addrs;
	size_t	 ngroups;	/* groups seen (also empty ones) */
} au_addr_list;

/*
 * Parse an address-list (mailboxes and groups).  An empty list (only
 * CFWS) is AU_OK with naddrs 0.  AU_ESYNTAX with err ("unterminated
 * quoted string", "'<' without '>'", ...) when the value is not an
 * address-list; AU_ETOOBIG beyond the bounds.
 */
AU_API au_status au_addr_parse(const char *value, size_t len,
    au_addr_list **out, char *err, size_t errlen);
AU_API au_addr_list *au_addr_list_free(au_addr_list *l);

#endif
