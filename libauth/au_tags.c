/*
 * au_tags.c - tag=value list tokenizer, RFC 6376 section 3.2 (see au_tags.h).
 *
 * One pass with a cursor over the input: skip FWS, read a tag-name, FWS,
 * '=', FWS, then the value up to ';' or the end, checking every octet.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "au_tags.h"

static au_status
tag_err(char *err, size_t errlen, au_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static au_status
tag_err(char *err, size_t errlen, au_status st, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return st;
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnumpunc(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/*
 * Skip FWS at s[*i]: WSP, and CRLF or LF only when followed by WSP.
 * Returns -1 on a line end not followed by WSP (not FWS), else 0.
 */
static int
skip_fws(const char *s, size_t len, size_t *i)
{
	size_t j = *i;

	for (;;) {
		if (j < len && (s[j] == ' ' || s[j] == '\t')) {
			j++;
			continue;
		}
		if (j < len && (s[j] == '\r' || s[j] == '\n')) {
			size_t k = j;

			if (s[k] == '\r') {
				if (k + 1 >= len || s[k + 1] != '\n')
					return -1;
				k++;
			}
			k++;
			if (k >= len || (s[k] != ' ' && s[k] != '\t'))
				return -1;
			j = k;
			continue;
		}
		break;
	}
	*i = j;
	return 0;
}

au_status
au_tags_parse(au_taglist *tl, const char *s, size_t len, char *err, size_t errlen)
{
	size_t i = 0, j, k, start;
	au_tag *t;

	tl->count = 0;
	tl->empty_specs = 0;
	if (errlen)
		err[0] = '\0';
	for (;;) {
		if (skip_fws(s, len, &i) < 0)
			return tag_err(err, errlen, AU_ESYNTAX,
			    "line break not followed by white space at offset %zu", i);
		if (i == len)
			break;
		if (s[i] == ';') {
			tl->empty_specs++;
			i++;
			continue;
		}
		/* tag-name */
		if (!is_alpha((unsigned char)s[i]))
			return tag_err(err, errlen, AU_ESYNTAX,
			    "tag name expected at offset %zu, found '%c'", i,
			    (s[i] > 32 && s[i] < 127) ? s[i] : '?');
		start = i;
		while (i < len && is_alnumpunc((unsigned char)s[i]))
			i++;
		if (tl->count == AU_TAGS_MAX)
			return tag_err(err, errlen, AU_ETOOBIG,
			    "more than %d tags", AU_TAGS_MAX);
		t = &tl->tag[tl->count];
		t->name = s + start;
		t->namelen = i - start;
		for (k = 0; k < tl->count; k++)
			if (tl->tag[k].namelen == t->namelen &&
			    memcmp(tl->tag[k].name, t->name, t->namelen) == 0)
				return tag_err(err, errlen, AU_ESYNTAX,
				    "duplicate tag '%.*s'", (int)(t->namelen > 20 ? 20 : t->namelen),
				    t->name);
		if (skip_fws(s, len, &i) < 0 || i >= len || s[i] != '=')
			return tag_err(err, errlen, AU_ESYNTAX,
			    "tag '%.*s' has no '='", (int)(t->namelen > 20 ? 20 : t->namelen),
			    t->name);
		i++;
		t->raw_start = i;
		if (skip_fws(s, len, &i) < 0)
			return tag_err(err, errlen, AU_ESYNTAX,
			    "line break not followed by white space in tag '%.*s'",
			    (int)(t->namelen > 20 ? 20 : t->namelen), t->name);
		/* tag-value: up to ';' or the end; last non-white octet ends it. */
		start = i;
		j = i;		/* end of value seen so far */
		while (i < len && s[i] != ';') {
			unsigned char c = (unsigned char)s[i];

			if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				if (skip_fws(s, len, &i) < 0)
					return tag_err(err, errlen, AU_ESYNTAX,
					    "line break not followed by white space in tag '%.*s'",
					    (int)(t->namelen > 20 ? 20 : t->namelen), t->name);
				continue;
			}
			if (c < 0x21 || c == 0x7f)
				return tag_err(err, errlen, AU_ESYNTAX,
				    "tag '%.*s' value has a control character (0x%02x)",
				    (int)(t->namelen > 20 ? 20 : t->namelen), t->name, c);
			i++;
			j = i;
		}
		t->value = s + start;
		t->valuelen = j - start;
		t->raw_end = i;
		tl->count++;
		if (i == len)
			break;
		i++;		/* the ';' */
	}
	return AU_OK;
}

const au_tag *
au_tags_find(const au_taglist *tl, const char *name)
{
	size_t k, n = strlen(name);

	for (k = 0; k < tl->count; k++)
		if (tl->tag[k].namelen == n && memcmp(tl->tag[k].name, name, n) == 0)
			return &tl->tag[k];
	return NULL;
}

size_t
au_tags_value_nows(const au_tag *t, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < t->valuelen; i++) {
		char c = t->value[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (o + 1 >= outlen)
			return (size_t)-1;
		out[o++] = c;
	}
	if (outlen == 0)
		return (size_t)-1;
	out[o] = '\0';
	return o;
}
