/*
 * msgread.c - split a message into header fields and body chunks as it is
 * read (see msgread.h).  RFC 5322 2.2 (header fields, folding), 2.1 (the
 * empty line ending the header section); bare LF accepted as a line end.
 *
 * A small push parser: bytes go into mr_feed() in whatever pieces the
 * reader got, mr_end() finishes.  In the header section each line is
 * collected whole (bounded), classified (empty / continuation / new field)
 * and appended to the pending field; after the empty line the bytes are
 * handed to the body callback untouched.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_buf.h"
#include "msgread.h"

typedef struct mr_state {
	const msgread_ops *ops;
	void		*arg;
	size_t		 max_field;
	msgread_info	*info;
	char		*err;
	size_t		 errlen;
	int		 in_body;
	unsigned long	 lineno;	/* line being collected, from 1 */
	au_buf		 line;		/* current header line, with its line end */
	au_buf		 field;		/* pending field, with its final line end */
} mr_state;

static msgread_status
mr_fail(mr_state *s, msgread_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static msgread_status
mr_fail(mr_state *s, msgread_status st, const char *fmt, ...)
{
	va_list ap;

	if (s->errlen) {
		va_start(ap, fmt);
		vsnprintf(s->err, s->errlen, fmt, ap);
		va_end(ap);
	}
	return st;
}

/* Length of the line end at the end of p[0..n): 2 (CRLF), 1 (LF) or 0. */
static size_t
eol_len(const char *p, size_t n)
{
	if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n')
		return 2;
	if (n >= 1 && p[n - 1] == '\n')
		return 1;
	return 0;
}

/* Hand the pending field (if any) to the header callback. */
static msgread_status
mr_emit(mr_state *s)
{
	size_t n = s->field.len;

	if (n == 0)
		return MSGREAD_OK;
	s->info->nfields++;
	if (s->ops->header(s->arg, s->field.data, n - eol_len(s->field.data, n), n))
		return MSGREAD_ABORT;
	au_buf_reset(&s->field);
	return MSGREAD_OK;
}

/* Is p[0..n) "name:" or "name WSP* :" with an RFC 5322 ftext name? */
static int
is_field_start(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)p[i] >= 33 && (unsigned char)p[i] <= 126 && p[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':';
}

/* Describe the start of a bad line for an error message (printable only). */
static void
snippet(char *out, size_t outlen, const char *p, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < outlen && i < 40; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r' || c == '\n')
			break;
		out[o++] = (c >= 32 && c < 127) ? (char)c : '?';
	}
	if (i == 40 && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Classify and take one complete header line (s->line). */
static msgread_status
mr_line(mr_state *s)
{
	const char *p = s->line.data;
	size_t n = s->line.len, el = eol_len(p, n);
	msgread_status st;
	char snip[64];

	s->info->header_bytes += n;
	if (n == el && el > 0) {
		/* The empty line: end of the header section. */
		if (s->info->nfields == 0 && s->field.len == 0)
			return mr_fail(s, MSGREAD_NOTMSG,
			    "line %lu: empty line before any header field: not a message",
			    s->lineno);
		if ((st = mr_emit(s)) != MSGREAD_OK)
			return st;
		s->info->has_separator = 1;
		s->in_body = 1;
		if (s->ops->eoh(s->arg, p, n))
			return MSGREAD_ABORT;
		return MSGREAD_OK;
	}
	if (s->lineno == 1)
		s->info->crlf = (el == 2);
	if (p[0] == ' ' || p[0] == '\t') {
		if (s->field.len == 0)
			return mr_fail(s, MSGREAD_NOTMSG,
			    "line %lu: starts with white space but continues no header field: not a message",
			    s->lineno);
		if (s->field.len + n > s->max_field)
			return mr_fail(s, MSGREAD_TOOBIG,
			    "line %lu: header field longer than %zu bytes", s->lineno, s->max_field);
	} else {
		if (!is_field_start(p, n)) {
			snippet(snip, sizeof snip, p, n);
			return mr_fail(s, MSGREAD_NOTMSG,
			    "line %lu: '%s' is not a header field (want 'Name: value'%s): not a message",
			    s->lineno, snip,
			    s->lineno == 1 && strncmp(p, "From ", 5) == 0 ?
			    "; remove the mbox 'From ' line" : s->lineno > 1 ?
			    ", or an empty line before the body" : "");
		}
		if ((st = mr_emit(s)) != MSGREAD_OK)
			return st;
	}
	if (au_buf_append(&s->field, p, n) != AU_OK)
		return mr_fail(s, MSGREAD_NOMEM, "out of memory");
	au_buf_reset(&s->line);
	s->lineno++;
	return MSGREAD_OK;
}

/* Push n bytes of input. */
static msgread_status
mr_feed(mr_state *s, const char *p, size_t n)
{
	const char *nl;
	size_t take;
	msgread_status st;

	while (n > 0 && !s->in_body) {
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) + 1 : n;
		if (s->line.len + take > s->max_field)
			return mr_fail(s, MSGREAD_TOOBIG,
			    "line %lu: header line longer than %zu bytes", s->lineno, s->max_field);
		if (au_buf_append(&s->line, p, take) != AU_OK)
			return mr_fail(s, MSGREAD_NOMEM, "out of memory");
		p += take;
		n -= take;
		if (nl && (st = mr_line(s)) != MSGREAD_OK)
			return st;
	}
	if (n > 0) {
		s->info->body_bytes += n;
		if (s->ops->body && s->ops->body(s->arg, p, n))
			return MSGREAD_ABORT;
	}
	return MSGREAD_OK;
}

/* End of input. */
static msgread_status
mr_end(mr_state *s)
{
	msgread_status st;

	if (s->in_body)
		return MSGREAD_OK;
	if (s->line.len > 0 && (st = mr_line(s)) != MSGREAD_OK)
		return st;
	if (s->in_body)		/* the last line was the empty line */
		return MSGREAD_OK;
	if (s->info->nfields == 0 && s->field.len == 0)
		return mr_fail(s, MSGREAD_NOTMSG, "empty input: not a message");
	if ((st = mr_emit(s)) != MSGREAD_OK)
		return st;
	s->in_body = 1;
	if (s->ops->eoh(s->arg, "", 0))
		return MSGREAD_ABORT;
	return MSGREAD_OK;
}

static void
mr_init(mr_state *s, const msgread_ops *ops, void *arg, size_t max_field,
    msgread_info *info, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	memset(info, 0, sizeof *info);
	s->ops = ops;
	s->arg = arg;
	s->max_field = max_field ? max_field : MSGREAD_MAX_FIELD;
	s->info = info;
	s->err = err;
	s->errlen = errlen;
	s->lineno = 1;
	au_buf_init(&s->line, 0);
	au_buf_init(&s->field, 0);
	if (errlen)
		err[0] = '\0';
}

static void
mr_done(mr_state *s)
{
	au_buf_free(&s->line);
	au_buf_free(&s->field);
}

msgread_status
msgread(FILE *fp, const msgread_ops *ops, void *arg, size_t max_field,
    msgread_info *info, char *err, size_t errlen)
{
	msgread_info dummy;
	char *block;
	mr_state s;
	msgread_status st = MSGREAD_OK;
	size_t n;

	mr_init(&s, ops, arg, max_field, info ? info : &dummy, err, errlen);
	if ((block = malloc(MSGREAD_BLOCK)) == NULL)
		return mr_fail(&s, MSGREAD_NOMEM, "out of memory");
	while ((n = fread(block, 1, MSGREAD_BLOCK, fp)) > 0)
		if ((st = mr_feed(&s, block, n)) != MSGREAD_OK)
			break;
	if (st == MSGREAD_OK && ferror(fp))
		st = mr_fail(&s, MSGREAD_IO, "read error: %s", strerror(errno));
	if (st == MSGREAD_OK)
		st = mr_end(&s);
	mr_done(&s);
	free(block);
	return st;
}

msgread_status
msgread_mem(const char *data, size_t len, const msgread_ops *ops, void *arg,
    size_t max_field, msgread_info *info, char *err, size_t errlen)
{
	msgread_info dummy;
	mr_state s;
	msgread_status st;

	mr_init(&s, ops, arg, max_field, info ? info : &dummy, err, errlen);
	st = mr_feed(&s, data, len);
	if (st == MSGREAD_OK)
		st = mr_end(&s);
	mr_done(&s);
	return st;
}
