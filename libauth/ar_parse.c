/*
 * ar_parse.c - read an Authentication-Results field value (RFC 8601 2.2).
 *
 *   authres-payload = [CFWS] authserv-id [CFWS authres-version]
 *                     ( no-result / 1*resinfo ) [CFWS]
 *   resinfo   = [CFWS] ";" methodspec [CFWS reasonspec] [CFWS 1*propspec]
 *   methodspec = [CFWS] method [CFWS] "=" [CFWS] result
 *   method    = Keyword [[CFWS] "/" [CFWS] method-version]
 *   reasonspec = "reason" [CFWS] "=" [CFWS] value
 *   propspec  = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 *
 * A cursor walks the bytes once; comments nest up to
 * AU_AR_MAX_COMMENT_DEPTH; counts are bounded.  Property values are read
 * leniently (a quoted string, or everything up to white space, "(" or
 * ";") because real fields carry base64 header.b values with "/" and "=".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "au_ar.h"
#include "au_buf.h"

typedef struct cur {
	const char	*s;
	size_t		 len, i;
	char		*err;
	size_t		 errlen;
	char		*comment;	/* last comment text seen by cfws() */
} cur;

static au_status
fail(cur *c, const char *what)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "at offset %zu: %s", c->i, what);
	return AU_ESYNTAX;
}

static int
ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Skip white space and comments; keep the text of the last comment. */
static au_status
cfws(cur *c, int keep)
{
	while (c->i < c->len) {
		if (ws(c->s[c->i])) {
			c->i++;
			continue;
		}
		if (c->s[c->i] != '(')
			break;
		{
			au_buf b = AU_BUF_INIT(AU_AR_MAX_FIELD);
			int depth = 0;

			for (;;) {
				char ch;

				if (c->i >= c->len) {
					au_buf_free(&b);
					return fail(c, "unterminated comment");
				}
				ch = c->s[c->i++];
				if (ch == '\\' && c->i < c->len) {
					ch = c->s[c->i++];
				} else if (ch == '(') {
					if (++depth > AU_AR_MAX_COMMENT_DEPTH) {
						au_buf_free(&b);
						return fail(c, "comments nested too deep");
					}
					if (depth == 1)
						continue;
				} else if (ch == ')') {
					if (--depth == 0)
						break;
				} else if (ch == '\0') {
					au_buf_free(&b);
					return fail(c, "NUL byte in a comment");
				}
				if (keep && au_buf_putc(&b, ch) != AU_OK) {
					au_buf_free(&b);
					return AU_ENOMEM;
				}
			}
			if (keep && c->comment == NULL)
				c->comment = b.data ? b.data : strdup("");
			else
				au_buf_free(&b);
		}
	}
	return AU_OK;
}

static int
kwchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/* Keyword, lower-cased, malloc'd. */
static au_status
keyword(cur *c, char **out, const char *what)
{
	size_t st = c->i, k;

	while (c->i < c->len && kwchar(c->s[c->i]))
		c->i++;
	if (c->i == st)
		return fail(c, what);
	if ((*out = strndup(c->s + st, c->i - st)) == NULL)
		return AU_ENOMEM;
	for (k = 0; (*out)[k]; k++)
		if ((*out)[k] >= 'A' && (*out)[k] <= 'Z')
			(*out)[k] = (char)((*out)[k] - 'A' + 'a');
	return AU_OK;
}

static au_status
quoted(cur *c, char **out)
{
	au_buf b = AU_BUF_INIT(AU_AR_MAX_FIELD);

	c->i++;
	while (c->i < c->len) {
		char ch = c->s[c->i++];

		if (ch == '"') {
			if (b.data == NULL && au_buf_puts(&b, "") != AU_OK)
				break;
			*out = b.data;
			return AU_OK;
		}
		if (ch == '\\' && c->i < c->len)
			ch = c->s[c->i++];
		else if (ch == '\r' || ch == '\n')
			continue;
		if (ch == '\0' || au_buf_putc(&b, ch) != AU_OK) {
			au_buf_free(&b);
			return fail(c, "bad quoted string");
		}
	}
	au_buf_free(&b);
	return fail(c, "unterminated quoted string");
}

/* A value: quoted-string, or a run up to CFWS, ';' (and '=' if stop_eq). */
static au_status
value(cur *c, char **out, int stop_eq)
{
	size_t st = c->i;

	if (c->i < c->len && c->s[c->i] == '"')
		return quoted(c, out);
	while (c->i < c->len) {
		char ch = c->s[c->i];

		if (ws(ch) || ch == '(' || ch == ';' || ch == '\0' ||
		    (stop_eq && ch == '=') || ch == '"')
			break;
		c->i++;
	}
	if (c->i == st)
		return fail(c, "expected a value");
	if ((*out = strndup(c->s + st, c->i - st)) == NULL)
		return AU_ENOMEM;
	return AU_OK;
}

static int
expect(cur *c, char ch)
{
	if (c->i < c->len && c->s[c->i] == ch) {
		c->i++;
		return 1;
	}
	return 0;
}

static au_status
digits(cur *c, int *out)
{
	long n = 0;
	size_t st = c->i;

	while (c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
		n = n * 10 + (c->s[c->i++] - '0');
		if (n > 1000000)
			return fail(c, "version number too large");
	}
	if (c->i == st)
		return fail(c, "expected a version number");
	*out = (int)n;
	return AU_OK;
}

static au_status
propspec(cur *c, au_ar_resinfo *r)
{
	au_ar_prop *p;
	au_status st;

	if (r->nprops >= AU_AR_MAX_PROPS)
		return fail(c, "too many properties");
	p = &r->props[r->nprops];
	memset(p, 0, sizeof *p);
	r->nprops++;
	if ((st = keyword(c, &p->ptype, "expected a property type")) != AU_OK ||
	    (st = cfws(c, 0)) != AU_OK)
		return st;
	if (!expect(c, '.'))
		return fail(c, "expected '.' after the property type");
	if ((st = cfws(c, 0)) != AU_OK ||
	    (st = keyword(c, &p->property, "expected a property")) != AU_OK ||
	    (st = cfws(c, 0)) != AU_OK)
		return st;
	if (!expect(c, '='))
		return fail(c, "expected '=' after the property");
	if ((st = cfws(c, 0)) != AU_OK)
		return st;
	return value(c, &p->value, 0);
}

static au_status
resinfo(cur *c, au_ar_resinfo *r)
{
	au_status st;

	if ((st = cfws(c, 0)) != AU_OK ||
	    (st = keyword(c, &r->method, "expected a method")) != AU_OK ||
	    (st = cfws(c, 0)) != AU_OK)
		return st;
	if (expect(c, '/')) {
		if ((st = cfws(c, 0)) != AU_OK ||
		    (st = digits(c, &r->method_version)) != AU_OK ||
		    (st = cfws(c, 0)) != AU_OK)
			return st;
	}
	if (!expect(c, '='))
		return fail(c, "expected '=' after the method");
	if ((st = cfws(c, 0)) != AU_OK ||
	    (st = keyword(c, &r->result, "expected a result")) != AU_OK)
		return st;
	c->comment = NULL;
	if ((st = cfws(c, 1)) != AU_OK)
		return st;
	r->comment = c->comment;
	c->comment = NULL;
	if ((r->props = calloc(AU_AR_MAX_PROPS, sizeof *r->props)) == NULL)
		return AU_ENOMEM;
	while (c->i < c->len && c->s[c->i] != ';') {
		size_t save = c->i;
		char *kw = NULL;

		/* reasonspec: "reason" [CFWS] "=" */
		if (keyword(c, &kw, "expected a property") == AU_OK &&
		    strcmp(kw, "reason") == 0 && r->reason == NULL &&
		    r->nprops == 0) {
			free(kw);
			if ((st = cfws(c, 0)) != AU_OK)
				return st;
			if (!expect(c, '='))
				return fail(c, "expected '=' after reason");
			if ((st = cfws(c, 0)) != AU_OK ||
			    (st = value(c, &r->reason, 0)) != AU_OK)
				return st;
		} else {
			free(kw);
			c->i = save;
			if ((st = propspec(c, r)) != AU_OK)
				return st;
		}
		if ((st = cfws(c, 0)) != AU_OK)
			return st;
	}
	return AU_OK;
}

au_status
au_ar_parse(const char *v, size_t len, au_ar **out, char *err, size_t errlen)
{
	cur c = { v, len, 0, err, errlen, NULL };
	au_ar *ar;
	au_status st;
	size_t save;

	if (err && errlen)
		err[0] = '\0';
	if (out == NULL || (v == NULL && len > 0))
		return AU_EINVAL;
	*out = NULL;
	if (len > AU_AR_MAX_FIELD) {
		if (err && errlen)
			snprintf(err, errlen, "field longer than %d bytes",
			    AU_AR_MAX_FIELD);
		return AU_ETOOBIG;
	}
	if ((ar = calloc(1, sizeof *ar)) == NULL)
		return AU_ENOMEM;
	ar->version = 1;
	if ((st = cfws(&c, 0)) != AU_OK ||
	    (st = value(&c, &ar->authserv_id, 0)) != AU_OK ||
	    (st = cfws(&c, 0)) != AU_OK)
		goto bad;
	if (c.i < len && c.s[c.i] >= '0' && c.s[c.i] <= '9') {
		if ((st = digits(&c, &ar->version)) != AU_OK ||
		    (st = cfws(&c, 0)) != AU_OK)
			goto bad;
	}
	if (!expect(&c, ';')) {
		st = fail(&c, "expected ';' after the authserv-id");
		goto bad;
	}
	save = c.i;
	if ((st = cfws(&c, 0)) != AU_OK)
		goto bad;
	if (len - c.i >= 4 && strncasecmp(c.s + c.i, "none", 4) == 0) {
		size_t j = c.i + 4;

		c.i = j;
		if ((st = cfws(&c, 0)) != AU_OK)
			goto bad;
		if (c.i == len) {
			ar->none = 1;
			*out = ar;
			return AU_OK;
		}
	}
	c.i = save;
	if ((ar->results = calloc(AU_AR_MAX_RESULTS, sizeof *ar->results)) == NULL) {
		st = AU_ENOMEM;
		goto bad;
	}
	for (;;) {
		if (ar->nresults >= AU_AR_MAX_RESULTS) {
			st = fail(&c, "too many results");
			goto bad;
		}
		ar->nresults++;
		if ((st = resinfo(&c, &ar->results[ar->nresults - 1])) != AU_OK)
			goto bad;
		if (c.i >= len)
			break;
		c.i++;		/* ';' */
		if ((st = cfws(&c, 0)) != AU_OK)
			goto bad;
		if (c.i >= len)
			break;	/* a trailing ';' */
	}
	*out = ar;
	return AU_OK;
bad:
	free(c.comment);
	au_ar_free(ar);
	return st;
}

au_ar *
au_ar_free(au_ar *ar)
{
	size_t i, k;

	if (ar == NULL)
		return NULL;
	for (i = 0; i < ar->nresults; i++) {
		au_ar_resinfo *r = &ar->results[i];

		free(r->method);
		free(r->result);
		free(r->reason);
		free(r->comment);
		for (k = 0; k < r->nprops; k++) {
			free(r->props[k].ptype);
			free(r->props[k].property);
			free(r->props[k].value);
		}
		free(r->props);
	}
	free(ar->results);
	free(ar->authserv_id);
	free(ar);
	return NULL;
}

au_status
au_ar_authserv_id(const char *v, size_t len, char **out)
{
	cur c = { v, len, 0, NULL, 0, NULL };
	au_status st;

	if (out == NULL || (v == NULL && len > 0))
		return AU_EINVAL;
	*out = NULL;
	if (len > AU_AR_MAX_FIELD)
		return AU_ETOOBIG;
	if ((st = cfws(&c, 0)) != AU_OK)
		return st;
	return value(&c, out, 0);
}

int
au_ar_is_ours(const char *v, size_t len, const char *id)
{
	char *got = NULL;
	int same;

	if (id == NULL || au_ar_authserv_id(v, len, &got) != AU_OK)
		return 0;
	same = strcasecmp(got, id) == 0;
	free(got);
	return same;
}
