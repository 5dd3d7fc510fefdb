/*
 * ar.c - write one Authentication-Results field value (RFC 8601 2.2).
 *
 * The value is built from pieces that are never split (method=result,
 * ptype.property=value, one word of a comment) and joined with single
 * spaces; each resinfo starts on a new line (CRLF TAB) and a line is
 * folded again between pieces once it would pass AU_AR_FOLD columns
 * (a TAB counted as 8).  Comments keep their words, with "(", ")" and
 * "\" escaped by quoted-pairs (RFC 5322 3.2.2); property values are
 * written as a token, an addr-spec or domain (RFC 8601 2.2 pvalue), else
 * as a quoted string.  Control characters and 8-bit bytes from hostile
 * input become '?', so nothing can end the field early.
 */
#include <stdlib.h>
#include <string.h>
#include "au_ar.h"
#include "au_buf.h"

#define AR_MAX_VALUE	4096	/* bytes of one property value or comment */
#define AR_MAX_OUT	65536	/* bytes of the whole field value */
#define TABW		8

typedef struct ar_entry {
	char	*head;		/* "method=result" */
	char	*comment;	/* escaped comment text (no parentheses) or NULL */
	char	*props[AU_AR_MAX_PROPS];
	size_t	 nprops;
} ar_entry;

struct au_ar_writer {
	char		*id;	/* authserv-id, ready to print */
	ar_entry	 e[AU_AR_MAX_RESULTS];
	size_t		 n;
};

/* RFC 2045 token characters. */
static int
tokchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static int
is_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!tokchar((unsigned char)*s))
			return 0;
	return 1;
}

/* Keyword (RFC 5321 Ldh-str): letters, digits, '-', also '_' and '.'. */
static int
is_keyword(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* domain-name: labels of letters, digits, '-', '_' separated by dots. */
static int
is_domain(const char *s, size_t n)
{
	size_t i, lab = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			lab++;
		else
			return 0;
	}
	return lab > 0;
}

/* [ [ local-part ] "@" ] domain-name with a dot-atom local-part. */
static int
is_addr(const char *s)
{
	const char *at = strrchr(s, '@');
	const char *p;
	int prevdot = 1;

	if (at == NULL)
		return 0;
	for (p = s; p < at; p++) {
		if (*p == '.') {
			if (prevdot)
				return 0;
			prevdot = 1;
		} else if (is_atext((unsigned char)*p))
			prevdot = 0;
		else
			return 0;
	}
	if (p > s && prevdot)
		return 0;
	return is_domain(at + 1, strlen(at + 1));
}

static char
safe(unsigned char c)
{
	return (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
}

/* A value as token / addr / domain, else a quoted string. */
static char *
render_value(const char *v)
{
	au_buf b = AU_BUF_INIT(AR_MAX_VALUE + 16);
	char *out = NULL;

	if (is_token(v) || is_addr(v)) {
		if (au_buf_puts(&b, v) != AU_OK)
			goto fail;
	} else {
		if (au_buf_putc(&b, '"') != AU_OK)
			goto fail;
		for (; *v; v++) {
			char c = safe((unsigned char)*v);

			if ((c == '"' || c == '\\') && au_buf_putc(&b, '\\') != AU_OK)
				goto fail;
			if (au_buf_putc(&b, c) != AU_OK)
				goto fail;
		}
		if (au_buf_putc(&b, '"') != AU_OK)
			goto fail;
	}
	if (au_buf_detach(&b, &out) != AU_OK)
		out = NULL;
fail:
	au_buf_free(&b);
	return out;
}

/* Comment text escaped; white space runs become one space. */
static char *
render_comment(const char *c)
{
	au_buf b = AU_BUF_INIT(AR_MAX_VALUE + 16);
	char *out = NULL;
	int sp = 0;

	for (; *c; c++) {
		unsigned char ch = (unsigned char)*c;

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			sp = b.len > 0;
			continue;
		}
		if (sp && au_buf_putc(&b, ' ') != AU_OK)
			goto fail;
		sp = 0;
		if ((ch == '(' || ch == ')' || ch == '\\') &&
		    au_buf_putc(&b, '\\') != AU_OK)
			goto fail;
		if (au_buf_putc(&b, safe(ch)) != AU_OK)
			goto fail;
	}
	if (b.len == 0)
		goto fail;
	if (au_buf_detach(&b, &out) != AU_OK)
		out = NULL;
fail:
	au_buf_free(&b);
	return out;
}

au_status
au_ar_writer_new(au_ar_writer **out, const char *authserv_id)
{
	au_ar_writer *w;

	if (out == NULL)
		return AU_EINVAL;
	*out = NULL;
	if (authserv_id == NULL || *authserv_id == '\0' ||
	    strlen(authserv_id) > 255)
		return AU_EINVAL;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return AU_ENOMEM;
	if ((w->id = render_value(authserv_id)) == NULL) {
		free(w);
		return AU_ENOMEM;
	}
	*out = w;
	return AU_OK;
}

au_status
au_ar_add(au_ar_writer *w, const char *method, const char *result,
    const char *comment)
{
	ar_entry *e;
	size_t n;

	if (w == NULL || method == NULL || result == NULL ||
	    !is_keyword(method) || !is_keyword(result) ||
	    strlen(method) > 64 || strlen(result) > 64)
		return AU_EINVAL;
	if (w->n >= AU_AR_MAX_RESULTS)
		return AU_ETOOBIG;
	if (comment && strlen(comment) > AR_MAX_VALUE)
		return AU_ETOOBIG;
	e = &w->e[w->n];
	memset(e, 0, sizeof *e);
	n = strlen(method) + strlen(result) + 2;
	if ((e->head = malloc(n)) == NULL)
		return AU_ENOMEM;
	memcpy(e->head, method, strlen(method));
	e->head[strlen(method)] = '=';
	memcpy(e->head + strlen(method) + 1, result, strlen(result) + 1);
	if (comment && *comment && (e->comment = render_comment(comment)) == NULL &&
	    strspn(comment, " \t\r\n") != strlen(comment)) {
		free(e->head);
		return AU_ENOMEM;
	}
	w->n++;
	return AU_OK;
}

au_status
au_ar_add_prop(au_ar_writer *w, const char *ptype, const char *property,
    const char *value)
{
	ar_entry *e;
	char *v;
	au_buf b = AU_BUF_INIT(AR_MAX_VALUE + 160);
	au_status st;

	if (w == NULL || ptype == NULL || property == NULL ||
	    !is_keyword(ptype) || !is_keyword(property) ||
	    strlen(ptype) > 64 || strlen(property) > 64)
		return AU_EINVAL;
	if (w->n == 0)
		return AU_ESTATE;
	if (value == NULL || *value == '\0')
		return AU_OK;
	if (strlen(value) > AR_MAX_VALUE)
		return AU_ETOOBIG;
	e = &w->e[w->n - 1];
	if (e->nprops >= AU_AR_MAX_PROPS)
		return AU_ETOOBIG;
	if ((v = render_value(value)) == NULL)
		return AU_ENOMEM;
	if ((st = au_buf_printf(&b, "%s.%s=%s", ptype, property, v)) == AU_OK)
		st = au_buf_detach(&b, &e->props[e->nprops]);
	free(v);
	au_buf_free(&b);
	if (st == AU_OK)
		e->nprops++;
	return st;
}

/* Output state: the buffer and the column of the current line. */
typedef struct outp {
	au_buf	 b;
	size_t	 col;
} outp;

static au_status
out_newline(outp *o)
{
	o->col = TABW;
	return au_buf_puts(&o->b, "\r\n\t");
}

/* Append a piece, preceded by a space or a fold. */
static au_status
out_piece(outp *o, const char *piece, size_t n, int first_on_line)
{
	au_status st;

	if (!first_on_line) {
		/* One column kept free for a ';' that may follow. */
		if (o->col + 1 + n + 1 > AU_AR_FOLD) {
			if ((st = out_newline(o)) != AU_OK)
				return st;
		} else {
			if ((st = au_buf_putc(&o->b, ' ')) != AU_OK)
				return st;
			o->col++;
		}
	}
	o->col += n;
	return au_buf_append(&o->b, piece, n);
}

/* "(" word word ... ")" foldable between words. */
static au_status
out_comment(outp *o, const char *c)
{
	au_buf word = AU_BUF_INIT(AR_MAX_VALUE + 4);
	const char *p = c, *sp;
	au_status st = AU_OK;

	while (*p && st == AU_OK) {
		sp = strchr(p, ' ');
		au_buf_reset(&word);
		if (p == c)
			st = au_buf_putc(&word, '(');
		if (st == AU_OK)
			st = au_buf_append(&word, p, sp ? (size_t)(sp - p) : strlen(p));
		if (st == AU_OK && sp == NULL)
			st = au_buf_putc(&word, ')');
		if (st == AU_OK)
			st = out_piece(o, word.data, word.len, 0);
		p = sp ? sp + 1 : p + strlen(p);
	}
	au_buf_free(&word);
	return st;
}

au_status
au_ar_writer_finish(au_ar_writer *w, size_t name_len, char **out)
{
	outp o;
	size_t i, k;
	au_status st;

	if (w == NULL || out == NULL)
		return AU_EINVAL;
	*out = NULL;
	au_buf_init(&o.b, AR_MAX_OUT);
	o.col = name_len ? name_len : strlen("Authentication-Results: ");
	if ((st = out_piece(&o, w->id, strlen(w->id), 1)) != AU_OK)
		goto fail;
	if (w->n == 0) {
		st = au_buf_puts(&o.b, "; none");
		goto done;
	}
	for (i = 0; i < w->n && st == AU_OK; i++) {
		ar_entry *e = &w->e[i];

		if ((st = au_buf_putc(&o.b, ';')) != AU_OK ||
		    (st = out_newline(&o)) != AU_OK ||
		    (st = out_piece(&o, e->head, strlen(e->head), 1)) != AU_OK)
			goto fail;
		if (e->comment && (st = out_comment(&o, e->comment)) != AU_OK)
			goto fail;
		for (k = 0; k < e->nprops && st == AU_OK; k++)
			st = out_piece(&o, e->props[k], strlen(e->props[k]), 0);
	}
done:
	if (st == AU_OK)
		st = au_buf_detach(&o.b, out);
fail:
	au_buf_free(&o.b);
	return st;
}

au_ar_writer *
au_ar_writer_free(au_ar_writer *w)
{
	size_t i, k;

	if (w == NULL)
		return NULL;
	for (i = 0; i < w->n; i++) {
		free(w->e[i].head);
		free(w->e[i].comment);
		for (k = 0; k < w->e[i].nprops; k++)
			free(w->e[i].props[k]);
	}
	free(w->id);
	free(w);
	return NULL;
}
