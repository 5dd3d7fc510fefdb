/*
 * au_buf.c - bounded growing byte strings (see au_buf.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_buf.h"

static size_t
buf_max(const au_buf *b)
{
	return b->max ? b->max : SIZE_MAX / 2;
}

void
au_buf_init(au_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

au_status
au_buf_reserve(au_buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (n > buf_max(b) - b->len)
		return AU_ETOOBIG;
	need = b->len + n + 1;
	if (need <= b->cap)
		return AU_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if ((p = realloc(b->data, ncap)) == NULL)
		return AU_ENOMEM;
	b->data = p;
	b->cap = ncap;
	return AU_OK;
}

au_status
au_buf_append(au_buf *b, const void *p, size_t n)
{
	au_status st;

	if ((st = au_buf_reserve(b, n)) != AU_OK)
		return st;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return AU_OK;
}

au_status
au_buf_puts(au_buf *b, const char *s)
{
	return au_buf_append(b, s, strlen(s));
}

au_status
au_buf_putc(au_buf *b, char c)
{
	return au_buf_append(b, &c, 1);
}

au_status
au_buf_vprintf(au_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	au_status st;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return AU_EINVAL;
	if ((st = au_buf_reserve(b, (size_t)n)) != AU_OK)
		return st;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return AU_OK;
}

au_status
au_buf_printf(au_buf *b, const char *fmt, ...)
{
	va_list ap;
	au_status st;

	va_start(ap, fmt);
	st = au_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return st;
}

void
au_buf_reset(au_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
au_buf_truncate(au_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

const char *
au_buf_cstr(const au_buf *b)
{
	return b->data ? b->data : "";
}

au_status
au_buf_detach(au_buf *b, char **out)
{
	if (b->data == NULL) {
		if (au_buf_reserve(b, 0) != AU_OK)
			return AU_ENOMEM;
		b->data[0] = '\0';
	}
	*out = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return AU_OK;
}

void
au_buf_free(au_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
