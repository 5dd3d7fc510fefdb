/*
 * dmarc_int.h - internals shared by the DMARC files (not installed).
 *
 *   dmarc_domain.c    domain name helpers, enum names
 *   dmarc_record.c    record parsing (RFC 9989 4.7/4.8, RFC 7489 6.3/6.4)
 *   dmarc_discover.c  the handle, policy discovery, Organizational Domain
 *   dmarc_eval.c      alignment, policy, disposition
 */
#ifndef DMARC_INT_H
#define DMARC_INT_H

#include <libpsl.h>
#include "au_dmarc.h"

#define AU_DMARC_DOMAIN_MAX	254	/* 253 octets + NUL */

struct au_dmarc {
	au_dns		*dns;
	au_dmarc_mode	 mode;
	psl_ctx_t	*psl;		/* RFC 7489 only */
	int		 psl_owned;	/* psl_free() on free (not the builtin) */
	au_dmarc_rng_fn	 rng;
	void		*rng_arg;
	int		 no_np;
};

/*
 * Parse like au_dmarc_record_parse(), but keep a record that cannot be
 * applied (p= missing/invalid without a valid rua=): AU_OK with
 * *unusable = 1 and the reason in err.
 */
au_status au_dmarc__record_parse(const char *txt, size_t len,
    au_dmarc_mode mode, au_dmarc_record **out, int *unusable,
    char *err, size_t errlen);

/* A deep copy of a record (parsed again from its text). */
au_status au_dmarc__record_dup(const au_dmarc_record *r, au_dmarc_record **out);

/*
 * What one evaluation learnt about _dmarc.<name> records, so a Tree Walk
 * for the Author Domain and those for the identifiers ask each name once.
 */
#define DMARC_MEMO_MAX	128

typedef struct dmarc_memo_entry {
	char		 name[AU_DMARC_DOMAIN_MAX];	/* the domain, not _dmarc. */
	int		 res;		/* 1 one record, 0 none, -1 temperror */
	au_dmarc_record	*rec;		/* res == 1 */
	int		 unusable;	/* rec cannot be applied */
	au_dmarc_step	 step;
} dmarc_memo_entry;

typedef struct dmarc_memo {
	dmarc_memo_entry e[DMARC_MEMO_MAX];
	size_t		 n;
	au_dmarc_step	*steps;		/* where to log queries (or NULL) */
	size_t		*nsteps;
	size_t		 maxsteps;
} dmarc_memo;

void	 au_dmarc__memo_clear(dmarc_memo *m);
/*
 * The DMARC record at _dmarc.<dom>: 1 (exactly one v=DMARC1 record; *rec,
 * *unusable set), 0 (none, or several: all discarded), -1 (DNS temperror).
 * *rec belongs to the memo.
 */
int	 au_dmarc__fetch(au_dmarc *d, dmarc_memo *m, const char *dom,
    const au_dmarc_record **rec, int *unusable);
/* Organizational Domain of dom into out: 0, or -1 on DNS temperror. */
int	 au_dmarc__org(au_dmarc *d, dmarc_memo *m, const char *dom,
    char *out, size_t outlen);
/* Discovery with a memo (au_dmarc_discover() uses a fresh one). */
au_status au_dmarc__discover(au_dmarc *d, dmarc_memo *m, const char *dom,
    au_dmarc_discovery *out);
/* Alignment with a memo: 1, 0, -1 (temperror). */
int	 au_dmarc__aligned(au_dmarc *d, dmarc_memo *m, const char *author,
    const char *ident, au_dmarc_align mode);

/*
 * Normalise a domain for DMARC: ASCII lower case, one trailing dot
 * removed, every label 1..63 octets of letters, digits, '-' or '_',
 * at most 253 octets.  Returns 0, or -1 with out = "" when unusable.
 */
int	 au_dmarc__domain_norm(const char *in, size_t len, char *out, size_t outlen);
/* Labels in a normalised domain (0 for ""). */
int	 au_dmarc__labels(const char *dom);
/* The suffix of dom with n labels (dom itself if it has n or fewer). */
const char *au_dmarc__suffix(const char *dom, int n);
/* The parent of dom, or NULL for a single label. */
const char *au_dmarc__parent(const char *dom);
/* ASCII case-insensitive equality of two domains. */
int	 au_dmarc__same(const char *a, const char *b);
/* Copy a C string into malloc'd memory; NULL stays NULL. */
char	*au_dmarc__strdup(const char *s);

#endif
