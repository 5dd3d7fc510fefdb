/*
 * spf_int.h - internal glue between the SPF record parser (spf_record.c),
 * the macro expander (spf_macro.c) and check_host() (spf_eval.c).
 * Not installed.
 */
#ifndef SPF_INT_H
#define SPF_INT_H

#include <stddef.h>
#include "au_buf.h"
#include "au_ip.h"
#include "au_spf.h"

/* Largest macro expansion we build before the 253-octet truncation. */
#define AU_SPF__MAX_EXPAND	8192
/* Deepest include/redirect nesting, whatever the lookup limit says. */
#define AU_SPF__MAX_DEPTH	32
/* Longest domain name in text form (RFC 7208 7.3, RFC 1035 2.3.4). */
#define AU_SPF__MAX_NAME	253

struct au_spf_record {
	au_spf_term	*terms;
	size_t		 nterms;
	int		 redirect;	/* index of redirect=, or -1 */
	int		 exp;		/* index of exp=, or -1 */
	int		 has_all;	/* an "all" mechanism is present */
	char		*pool;		/* the strings the terms point into */
};

/* What a macro text is (RFC 7208 section 7.1). */
typedef enum au_spf__mkind {
	AU_SPF__M_DOMAIN,	/* domain-spec: letters s l o d i p v h */
	AU_SPF__M_STRING,	/* macro-string of an unknown modifier: all letters */
	AU_SPF__M_EXPLAIN	/* explain-string: all letters and SP */
} au_spf__mkind;

/*
 * %{p}: find the validated name of the client.  Sets *name (NULL means
 * "unknown") and returns AU_OK, or a status that stops the expansion (the
 * caller's context then knows the verdict, e.g. the lookup limit).
 */
typedef au_status (*au_spf__ptr_fn)(void *arg, const char **name);

/* The values macros expand to. */
typedef struct au_spf__macro_in {
	const au_ip	*ip;
	const char	*sender;	/* local-part "@" domain */
	size_t		 local_len;	/* bytes of the local-part in sender */
	const char	*domain;	/* current <domain> */
	const char	*helo;
	const char	*receiver;	/* NULL: "unknown" */
	au_spf__ptr_fn	 ptr;		/* NULL: %{p} is "unknown" */
	void		*ptr_arg;
	long long	 now;		/* %{t}; 0: time(NULL) */
} au_spf__macro_in;

/*
 * Check (in == NULL, out == NULL) or expand (both set) len bytes of macro
 * text of the given kind.  Expansion appends to out, whose maximum bounds
 * the work.  *ends_macro (if not NULL) says whether the text ends with a
 * macro-expand (for the domain-end rule).  Errors: AU_ESYNTAX (err says
 * where), AU_ETOOBIG (out's bound), or what in->ptr returned.
 */
au_status	au_spf__macro_run(const au_spf__macro_in *in, const char *s,
		    size_t len, au_spf__mkind kind, au_buf *out, int *ends_macro,
		    char *err, size_t errlen);

/*
 * Turn an expanded domain-spec into a <target-name>: drop one trailing
 * dot, then labels from the left while longer than 253 (RFC 7208 7.3).
 */
void		au_spf__truncate(au_buf *b);

/*
 * Is this a name we may query: 1..253 octets, labels of 1..63 octets,
 * no NUL (a trailing dot is allowed)?
 */
int		au_spf__name_ok(const char *name, size_t len);

/* RFC 7208 toplabel: LDH, not all digits, no hyphen at either end. */
int		au_spf__toplabel_ok(const char *s, size_t len);

/* Copy s into buf for a message: non-printable bytes as \xHH, cut with "...". */
const char	*au_spf__printable(const char *s, size_t len, char *buf,
		    size_t buflen);

#endif
