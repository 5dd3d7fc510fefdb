/*
 * au_ar.h - the Authentication-Results header field, RFC 8601.
 *
 * Writing: an au_ar_writer collects result entries ("spf=pass
 * smtp.mailfrom=example.com (reason)") and produces one field value,
 * "authserv-id; method=result ...; ...", folded with CRLF + TAB so that no
 * line of the field (with its "Authentication-Results: " name) exceeds 78
 * columns where it can be avoided.  Reasons go into comments with "(", ")"
 * and "\" escaped; property values that are not tokens, domains or
 * addr-specs are written as quoted strings; control and 8-bit bytes are
 * written as '?', so a hostile input never breaks the field.
 *
 * Reading: au_ar_parse() parses one field value (RFC 8601 section 2.2
 * grammar with CFWS, quoted strings and comments; bounded), and
 * au_ar_authserv_id() extracts just the authserv-id so that a filter can
 * remove fields that claim to come from itself (RFC 8601 section 5).
 */
#ifndef AU_AR_H
#define AU_AR_H

#include <stddef.h>
#include "au_status.h"

#define AU_AR_MAX_FIELD		16384	/* bytes of a field value we parse */
#define AU_AR_MAX_RESULTS	64	/* resinfo entries */
#define AU_AR_MAX_PROPS		16	/* properties per resinfo */
#define AU_AR_MAX_COMMENT_DEPTH	8	/* nested comments */
#define AU_AR_FOLD		78	/* line width the writer aims at */

/* ---------------------------------------------------------------- write */

typedef struct au_ar_writer au_ar_writer;

/* authserv_id: a token or anything (quoted if needed).  NULL -> EINVAL. */
AU_API au_status au_ar_writer_new(au_ar_writer **out, const char *authserv_id);
/*
 * Start one resinfo "method=result".  comment (may be NULL) is written
 * after the result as "(comment)", escaped.  method and result must be
 * tokens (letters, digits, '-', '_', '.'); else AU_EINVAL.
 */
AU_API au_status au_ar_add(au_ar_writer *w, const char *method,
    const char *result, const char *comment);
/*
 * Add "ptype.property=value" to the last resinfo (AU_ESTATE if none).
 * value is written as is when it is a token, a domain or
 * [local-part]@domain, else as a quoted string.  NULL or "" values are
 * skipped (AU_OK).
 */
AU_API au_status au_ar_add_prop(au_ar_writer *w, const char *ptype,
    const char *property, const char *value);
/*
 * The field value, malloc'd in *out, folded, no final CRLF.  Without any
 * au_ar_add(), the value is "authserv-id; none" (RFC 8601 2.2).
 * name_len is the length of the field name plus ": " that will precede
 * the value on the first line (0 = strlen("Authentication-Results: ")).
 */
AU_API au_status au_ar_writer_finish(au_ar_writer *w, size_t name_len, char **out);
AU_API au_ar_writer *au_ar_writer_free(au_ar_writer *w);

/* ---------------------------------------------------------------- read */

typedef struct au_ar_prop {
	char	*ptype;		/* "smtp", "header", "body", "policy", ... (lower case) */
	char	*property;	/* "mailfrom", "d", ... (lower case) */
	char	*value;		/* unquoted */
} au_ar_prop;

typedef struct au_ar_resinfo {
	char		*method;	/* lower case */
	int		 method_version; /* "/N"; 0 when absent */
	char		*result;	/* lower case */
	char		*reason;	/* reason= value, unquoted, or NULL */
	char		*comment;	/* first comment after the result, or NULL */
	size_t		 nprops;
	au_ar_prop	*props;
} au_ar_resinfo;

typedef struct au_ar {
	char		*authserv_id;	/* as written (unquoted) */
	int		 version;	/* authserv-id version, 1 when absent */
	int		 none;		/* "; none" (no results) */
	size_t		 nresults;
	au_ar_resinfo	*results;
} au_ar;

/*
 * Parse one field value (what follows "Authentication-Results:"),
 * unfolded or folded.  AU_ESYNTAX with err ("at offset 17: expected
 * '='") for anything outside the grammar, AU_ETOOBIG beyond the bounds.
 */
AU_API au_status au_ar_parse(const char *value, size_t len, au_ar **out,
    char *err, size_t errlen);
AU_API au_ar	*au_ar_free(au_ar *ar);

/*
 * Just the authserv-id of a field value (malloc'd, unquoted).  Works on
 * fields whose result part is broken, as long as the authserv-id itself
 * can be read.  AU_ESYNTAX if it cannot.
 */
AU_API au_status au_ar_authserv_id(const char *value, size_t len, char **out);
/*
 * 1 if the field value's authserv-id equals id (ASCII case-insensitive),
 * else 0 (also when unparseable).
 */
AU_API int	 au_ar_is_ours(const char *value, size_t len, const char *id);

#endif
