/*
 * au_tags.c - tag=value list tokenizer, RFC 6376 section 3.2 (see au_tags.h).
 *
 * One pass with a cursor over the input: skip FWS, read a tag-name, FWS,
 * '=', FWS, then the value up to ';' or the end, checking every octet.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "au_tags.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* Octet classes: what may appear where in a tag-list. */
enum {
	C_BAD = 0,	/* control octets, DEL */
	C_VAL = 1,	/* VALCHAR (and 0x80-0xFF), not a name octet */
	C_NAME = 3,	/* ALNUMPUNC: also a VALCHAR */
	C_ALPHA = 7,	/* ALPHA: may start a name */
	C_WSP = 8,	/* SP, HTAB */
	C_EOL = 16,	/* CR, LF */
	C_SEMI = 32	/* ';' */
};

static unsigned char cls[256];
static pthread_once_t cls_once = PTHREAD_ONCE_INIT;

static void
cls_init(void)
{
	int c;

	for (c = 0x21; c <= 0xff; c++)
		cls[c] = C_VAL;
	cls[0x7f] = C_BAD;
	for (c = '0'; c <= '9'; c++)
		cls[c] = C_NAME;
	cls['_'] = C_NAME;
	for (c = 'a'; c <= 'z'; c++)
		cls[c] = cls[c - 32] = C_ALPHA;
	cls[' '] = cls['\t'] = C_WSP;
	cls['\r'] = cls['\n'] = C_EOL;
	cls[';'] = C_SEMI;
}

/*
 * Skip FWS at s[*i]: WSP, and CRLF or LF only when followed by WSP.
 * Returns -1 on a line end not followed by WSP (not FWS), else 0.
 */
static inline int
skip_fws(const char *s, size_t len, size_t *i)
{
	size_t j = *i;

	for (;;) {
		unsigned char k = j < len ? cls[(unsigned char)s[j]] : 0;

		if (k == C_WSP) {
			j++;
			continue;
		}
		if (k == C_EOL) {
			if (s[j] == '\r') {
				if (j + 1 >= len || s[j + 1] != '\n')
					return -1;
				j++;
			}
			j++;
			if (j >= len || cls[(unsigned char)s[j]] != C_WSP)
				return -1;
			continue;
		}
		break;
	}
	*i = j;
	return 0;
}

/* End of the run of VALCHAR octets starting at i (SSE2: 16 at a time). */
static inline size_t
skip_val(const char *s, size_t i, size_t len)
{
#if defined(__SSE2__)
	const __m128i v20 = _mm_set1_epi8(0x20), vsemi = _mm_set1_epi8(';');
	const __m128i vdel = _mm_set1_epi8(0x7f);

	while (i + 16 <= len) {
		__m128i b = _mm_loadu_si128((const __m128i *)(s + i));
		/* octets <= 0x20, ';' and DEL end the run */
		__m128i stop = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(b, v20), b),
		    _mm_or_si128(_mm_cmpeq_epi8(b, vsemi), _mm_cmpeq_epi8(b, vdel)));
		unsigned m = (unsigned)_mm_movemask_epi8(stop);

		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < len && (cls[(unsigned char)s[i]] & C_VAL))
		i++;
	return i;
}

#define SHOWN(t) (int)((t)->namelen > 20 ? 20 : (t)->namelen), (t)->name

/* Skip FWS only when s[i] starts some: the common case costs one lookup. */
#define SKIP_FWS(s, len, i) \
	((i) < (len) && (cls[(unsigned char)(s)[i]] & (C_WSP | C_EOL)) ? \
	    skip_fws((s), (len), &(i)) : 0)

au_status
au_tags_parse(au_taglist *tl, const char *s, size_t len, char *err, size_t errlen)
{
	size_t i = 0, j, k, start;
	uint64_t seen1 = 0;	/* one-letter names seen: bit (letter & 63) */
	au_tag *t;

	pthread_once(&cls_once, cls_init);
	tl->count = 0;
	tl->empty_specs = 0;
	if (errlen)
		err[0] = '\0';
	for (;;) {
		if (SKIP_FWS(s, len, i) < 0)
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
		if (cls[(unsigned char)s[i]] != C_ALPHA)
			return tag_err(err, errlen, AU_ESYNTAX,
			    "tag name expected at offset %zu, found '%c'", i,
			    (s[i] > 32 && s[i] < 127) ? s[i] : '?');
		start = i++;
		while (i < len && (cls[(unsigned char)s[i]] & C_NAME) == C_NAME)
			i++;
		if (tl->count == AU_TAGS_MAX)
			return tag_err(err, errlen, AU_ETOOBIG,
			    "more than %d tags", AU_TAGS_MAX);
		t = &tl->tag[tl->count];
		t->name = s + start;
		t->namelen = i - start;
		if (t->namelen == 1) {
			/* Letters: 'A'-'Z' & 63 is 1-26, 'a'-'z' & 63 is 33-58. */
			uint64_t bit = (uint64_t)1 << ((unsigned char)s[start] & 63);

			if (seen1 & bit)
				return tag_err(err, errlen, AU_ESYNTAX,
				    "duplicate tag '%.*s'", SHOWN(t));
			seen1 |= bit;
		} else {
			for (k = 0; k < tl->count; k++)
				if (tl->tag[k].namelen == t->namelen &&
				    tl->tag[k].name[0] == t->name[0] &&
				    memcmp(tl->tag[k].name, t->name, t->namelen) == 0)
					return tag_err(err, errlen, AU_ESYNTAX,
					    "duplicate tag '%.*s'", SHOWN(t));
		}
		if (SKIP_FWS(s, len, i) < 0 || i >= len || s[i] != '=')
			return tag_err(err, errlen, AU_ESYNTAX, "tag '%.*s' has no '='", SHOWN(t));
		i++;
		t->raw_start = i;
		if (SKIP_FWS(s, len, i) < 0)
			return tag_err(err, errlen, AU_ESYNTAX,
			    "line break not followed by white space in tag '%.*s'", SHOWN(t));
		/* tag-value: up to ';' or the end; the last non-white octet ends it. */
		start = i;
		j = i;		/* end of the value seen so far */
		while (i < len) {
			unsigned char k2 = cls[(unsigned char)s[i]];

			if (k2 & C_VAL) {
				i = skip_val(s, i + 1, len);
				j = i;
				continue;
			}
			if (k2 == C_SEMI)
				break;
			if (k2 == C_WSP || k2 == C_EOL) {
				if (skip_fws(s, len, &i) < 0)
					return tag_err(err, errlen, AU_ESYNTAX,
					    "line break not followed by white space in tag '%.*s'",
					    SHOWN(t));
				continue;
			}
			return tag_err(err, errlen, AU_ESYNTAX,
			    "tag '%.*s' value has a control character (0x%02x)", SHOWN(t),
			    (unsigned char)s[i]);
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
		if (tl->tag[k].namelen == n && tl->tag[k].name[0] == name[0] &&
		    memcmp(tl->tag[k].name, name, n) == 0)
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
