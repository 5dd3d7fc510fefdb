/*
 * au_buf.h - bounded growing byte strings.
 *
 * Anything built from untrusted input goes through an au_buf with a maximum
 * length.  Appending past the maximum fails with AU_ETOOBIG and leaves the
 * buffer unchanged: never a silent truncation.  The data is always kept
 * NUL-terminated so it can be used as a C string (it may hold NULs inside).
 */
#ifndef AU_BUF_H
#define AU_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include "au_status.h"

typedef struct au_buf {
	char	*data;	/* NUL-terminated; NULL until the first append */
	size_t	 len;	/* bytes used, not counting the NUL */
	size_t	 cap;	/* bytes allocated */
	size_t	 max;	/* largest len allowed; 0 means SIZE_MAX/2 */
} au_buf;

#define AU_BUF_INIT(maxlen) { NULL, 0, 0, (maxlen) }

AU_API void	 au_buf_init(au_buf *b, size_t max);
AU_API au_status au_buf_append(au_buf *b, const void *p, size_t n);
AU_API au_status au_buf_puts(au_buf *b, const char *s);
AU_API au_status au_buf_putc(au_buf *b, char c);
AU_API au_status au_buf_printf(au_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
AU_API au_status au_buf_vprintf(au_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Make room for n more bytes without changing len. */
AU_API au_status au_buf_reserve(au_buf *b, size_t n);
/* Empty the buffer but keep its memory. */
AU_API void	 au_buf_reset(au_buf *b);
/* Shorten to len bytes (len <= b->len). */
AU_API void	 au_buf_truncate(au_buf *b, size_t len);
/* The contents as a C string; "" for an empty buffer, never NULL. */
AU_API const char *au_buf_cstr(const au_buf *b);
/* Hand the malloc'd contents to the caller (never NULL on AU_OK) and empty b. */
AU_API au_status au_buf_detach(au_buf *b, char **out);
AU_API void	 au_buf_free(au_buf *b);

#endif
