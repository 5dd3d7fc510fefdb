/*
 * conf.h - authmilter's configuration: the "Key value" file (opendkim.conf
 * style, OpenDKIM/OpenDMARC key names), the tables and keys it names, and
 * the shared DNS and DMARC handles built from it.
 *
 * A configuration is one immutable, reference-counted object.  Each
 * connection holds a reference while it uses it; SIGHUP builds a new
 * object and swaps it in (am_conf_install), and the old one is freed when
 * the last connection lets go of it.
 */
#ifndef AM_CONF_H
#define AM_CONF_H

#include <stdatomic.h>
#include <stdio.h>
#include "au_dkim.h"
#include "au_dmarc.h"
#include "au_dns.h"
#include "au_msg.h"
#include "tables.h"

#define AM_MODE_SIGN	1
#define AM_MODE_VERIFY	2

#define AM_TEMPERR_TEMPFAIL	0
#define AM_TEMPERR_ACCEPT	1

/* A DNS handle shared by successive configurations while its settings stay. */
typedef struct am_dnsref {
	au_dns		*dns;
	au_dkim_keycache *keycache;	/* parsed DKIM keys (NULL: no cache) */
	atomic_uint	 refs;
	char		*servers;	/* Nameservers as written ("" = resolv.conf) */
	unsigned	 timeout, cache;
} am_dnsref;

typedef struct am_conf {
	atomic_uint	 refs;
	unsigned long	 generation;
	char		*path;

	/* Keys of the file (see conf.c for the table of names and defaults). */
	char		*socket;
	int		 mode;
	char		*domain, *selector, *keyfile;
	char		*keytable, *signingtable;
	int		 multiple_signatures, subdomains;
	char		*internal_hosts, *external_ignore, *peer_list;
	char		*canonicalization;
	char		*sign_headers, *oversign_headers;
	int		 require_safe_keys;
	char		*authserv_id;
	char		*nameservers;
	unsigned	 dns_timeout, dns_cache;
	int		 reject_failures, hold_quarantined, temperror_action;
	char		*userid, *pidfile;
	int		 syslog, syslog_facility;
	unsigned	 umask;
	unsigned	 max_signatures;
	int		 dmarc_mode;
	char		*psl_file;
	unsigned	 signature_ttl, clock_drift;
	int		 log_why;
	unsigned	 milter_debug, milter_timeout;
	unsigned	 max_header_bytes;
	int		 tcp_nodelay, no_reply;
	int		 spf_helo;

	/* Derived from the keys. */
	au_dkim_canon	 hcanon, bcanon;
	char		*h_list, *oversign_list;	/* colon lists for au_dkim */
	am_hostlist	*internal, *peers, *extignore;
	am_strlist	 domains;
	am_keytable	 keys;
	am_signtab	 signtab;
	am_dnsref	*dns;
	au_dmarc	*dmarc;
	au_msg_opts	 msgopts;
	char		 hostname[256];
} am_conf;

/*
 * Read the file at path and everything it names (tables, keys), and set
 * up DNS and DMARC.  Every problem is reported through pr (all of them,
 * not just the first).  reuse_dns: the running configuration whose DNS
 * handle (and cache) may be kept when the settings are unchanged.
 * Returns the configuration (refs = 1), or NULL on ENOMEM or, unless
 * keep_broken (for -n, which goes on checking), if pr->nerr grew.
 */
am_conf	*am_conf_load(const char *path, const char *socket_override,
	    const am_conf *reuse_dns, int keep_broken, am_problems *pr);

/* Extra checks for -n: DNS records of the selectors, key/record match. */
void	 am_conf_check(const am_conf *c, am_problems *pr);

/* Validate a Socket value ("inet:PORT@HOST", "unix:/path", ...). */
int	 am_socket_check(const char *spec, char *err, size_t errlen);

/* Reference counting and the installed ("current") configuration. */
am_conf	*am_conf_ref(am_conf *c);
void	 am_conf_unref(am_conf *c);
/* Take a reference to the current configuration (never NULL once installed). */
am_conf	*am_conf_current(void);
/* The generation of the current configuration (cheap, lock-free). */
unsigned long am_conf_generation(void);
/* Make c the current configuration; takes over the caller's reference. */
void	 am_conf_install(am_conf *c);
/* Drop the current configuration at exit. */
void	 am_conf_shutdown(void);

/* Print the key table (name, type, default) for --help / documentation. */
void	 am_conf_print_keys(FILE *fp);

#endif
