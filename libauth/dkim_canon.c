/*
 * dkim_canon.c - DKIM canonicalization, RFC 6376 3.4.1-3.4.4, streaming.
 *
 * Body: chunks of any size split anywhere (also inside CRLF and inside runs
 * of white space) go through a canonicalizer whose state is a handful of
 * counters and flags, so memory does not depend on the body:
 *   pend   line ends seen but not yet written: they are written only when
 *          more content follows, which drops empty lines at the end
 *          (3.4.3, 3.4.4 b) without keeping them;
 *   wsp    relaxed: a run of white space is pending in the current line;
 *   cr     the previous chunk ended with CR (a line end if LF comes next).
 * A bare LF counts as CRLF (the input is taken as "network normal" text
 * with its line ends possibly stored as LF).  A CR not followed by LF is an
 * ordinary octet.  For relaxed, white space at the end of the last line is
 * dropped too when the body does not end with a line end (3.4.4 a applies
 * to every line), then CRLF is added (3.4.4 b).
 *
 * Speed: the common case (CRLF text, single spaces between words) needs no
 * change at all, so the canonicalizers look for the few octets that need
 * work with a 16-byte SSE2 scan, and hand the unchanged stretches between
 * them to the hash in one piece.  Small pieces (a space, a CRLF) are
 * gathered in a staging buffer so the hash sees few large updates.
 *
 * Headers: 3.4.1 (simple: as is, bare LF made CRLF) and 3.4.2 (relaxed).
 */
#include <stddef.h>
#include <string.h>
#include "dkim_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const char crlfs[] =
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";
#define NCRLFS ((sizeof crlfs - 1) / 2)

/* ------------------------------------------------------------ output */

/* Give n octets to every sink that still wants some. */
static void
sinks_write(dkim_body *b, const void *p, size_t n)
{
	size_t i;
	uint64_t m;

	for (i = 0; i < b->nsinks; i++) {
		dkim_sink *s = b->sinks[i];

		if (s->taken >= s->limit)
			continue;
		m = s->limit - s->taken;
		if (m > n)
			m = n;
		s->write(s->arg, p, (size_t)m);
		s->taken += m;
	}
}

static void
stage_flush(dkim_body *b)
{
	if (b->stagelen) {
		sinks_write(b, b->stage, b->stagelen);
		b->stagelen = 0;
	}
}

/* Produce n canonical octets. */
static inline void
out(dkim_body *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	b->total += n;
	if (n >= DKIM_STAGE / 2) {
		stage_flush(b);
		sinks_write(b, p, n);
	} else {
		if (b->stagelen + n > DKIM_STAGE)
			stage_flush(b);
		memcpy(b->stage + b->stagelen, p, n);
		b->stagelen += n;
	}
	if (b->maxlimit != UINT64_MAX && b->total > b->maxlimit)
		b->done = 1;
}

/* Write the line ends owed. */
static void
flush_pend(dkim_body *b)
{
	while (b->pend > 0 && !b->done) {
		uint64_t m = b->pend < NCRLFS ? b->pend : NCRLFS;

		out(b, crlfs, (size_t)(2 * m));
		b->pend -= m;
	}
	b->pend = 0;
}

/* Produce content octets (not line ends): owed line ends go first. */
static inline void
content(dkim_body *b, const void *p, size_t n)
{
	if (b->pend)
		flush_pend(b);
	out(b, p, n);
	b->any = 1;
}

/*
 * Produce an unchanged stretch of input s[0..n) that holds content and
 * CRLF line ends.  Line ends at its end are only counted: they may be the
 * empty lines at the end of the body.
 */
static inline void
span(dkim_body *b, const unsigned char *s, size_t n)
{
	uint64_t k = 0;

	while (n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n') {
		n -= 2;
		k++;
	}
	if (n > 0)
		content(b, s, n);
	b->pend += k;
}

/* ------------------------------------------------------------ scanners */

/*
 * Must the relaxed canonicalizer look at q (p is the start of the chunk,
 * e its end)?  HTAB; SP followed by WSP, CR or LF (or at the chunk end);
 * CR at the chunk end; LF not preceded by CR in this chunk.
 */
static inline int
relaxed_special(const unsigned char *p, const unsigned char *q, const unsigned char *e)
{
	switch (*q) {
	case '\t':
		return 1;
	case ' ':
		return q + 1 == e || q[1] == ' ' || q[1] == '\t' || q[1] == '\r' ||
		    q[1] == '\n';
	case '\r':
		return q + 1 == e;
	case '\n':
		return q == p || q[-1] != '\r';
	default:
		return 0;
	}
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_SCAN 1

/* scan_relaxed() on 32 octets at a time, for CPUs with AVX2 (q > p). */
__attribute__((target("avx2")))
static const unsigned char *
scan_relaxed_avx2(const unsigned char *q, const unsigned char *e)
{
	const __m256i v21 = _mm256_set1_epi8(0x21), vsp = _mm256_set1_epi8(' ');
	const __m256i vtab = _mm256_set1_epi8('\t'), vcr = _mm256_set1_epi8('\r');
	const __m256i vlf = _mm256_set1_epi8('\n');

	while (e - q >= 33) {
		__m256i cur = _mm256_loadu_si256((const __m256i *)q);
		__m256i nxt, prv, nws, sp2, lf;
		unsigned m;

		if ((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(cur, v21),
		    cur)) == 0xFFFFFFFFu) {
			q += 32;
			continue;
		}
		nxt = _mm256_loadu_si256((const __m256i *)(q + 1));
		prv = _mm256_loadu_si256((const __m256i *)(q - 1));
		nws = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(nxt, vsp),
		    _mm256_cmpeq_epi8(nxt, vtab)), _mm256_or_si256(_mm256_cmpeq_epi8(nxt, vcr),
		    _mm256_cmpeq_epi8(nxt, vlf)));
		sp2 = _mm256_and_si256(_mm256_cmpeq_epi8(cur, vsp), nws);
		lf = _mm256_andnot_si256(_mm256_cmpeq_epi8(prv, vcr), _mm256_cmpeq_epi8(cur, vlf));
		m = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(sp2, lf),
		    _mm256_cmpeq_epi8(cur, vtab)));
		if (m)
			return q + __builtin_ctz(m);
		q += 32;
	}
	return q;
}
#endif

/* The first octet at or after q that relaxed_special() picks, or e. */
static const unsigned char *
scan_relaxed(const unsigned char *p, const unsigned char *q, const unsigned char *e)
{
#if defined(__SSE2__)
	const __m128i v21 = _mm_set1_epi8(0x21), vsp = _mm_set1_epi8(' ');
	const __m128i vtab = _mm_set1_epi8('\t'), vcr = _mm_set1_epi8('\r');
	const __m128i vlf = _mm_set1_epi8('\n');

	/* The vector loop reads q[-1] and q[16]: start past the chunk start. */
	if (q == p && q < e) {
		if (*q <= ' ' && relaxed_special(p, q, e))
			return q;
		q++;
	}
#if defined(HAVE_AVX2_SCAN)
	if (e - q >= 33 && __builtin_cpu_supports("avx2")) {
		q = scan_relaxed_avx2(q, e);
		if (q < e && *q <= ' ' && relaxed_special(p, q, e))
			return q;
	}
#endif
	while (e - q >= 17) {
		__m128i cur = _mm_loadu_si128((const __m128i *)q);
		__m128i nxt, prv, nws, sp2, lf;
		unsigned m;

		/* Every octet above SP: nothing to do in these 16. */
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(cur, v21), cur)) == 0xFFFF) {
			q += 16;
			continue;
		}
		nxt = _mm_loadu_si128((const __m128i *)(q + 1));
		prv = _mm_loadu_si128((const __m128i *)(q - 1));
		nws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(nxt, vsp),
		    _mm_cmpeq_epi8(nxt, vtab)), _mm_or_si128(_mm_cmpeq_epi8(nxt, vcr),
		    _mm_cmpeq_epi8(nxt, vlf)));
		sp2 = _mm_and_si128(_mm_cmpeq_epi8(cur, vsp), nws);
		lf = _mm_andnot_si128(_mm_cmpeq_epi8(prv, vcr), _mm_cmpeq_epi8(cur, vlf));
		m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(sp2, lf),
		    _mm_cmpeq_epi8(cur, vtab)));
		if (m)
			return q + __builtin_ctz(m);
		q += 16;
	}
#endif
	for (; q < e; q++)
		if (*q <= ' ' && relaxed_special(p, q, e))
			return q;
	return e;
}

/* Same for simple: CR at the chunk end; LF not preceded by CR. */
static const unsigned char *
scan_simple(const unsigned char *p, const unsigned char *q, const unsigned char *e)
{
	const unsigned char *lf;

	for (;;) {
		lf = memchr(q, '\n', (size_t)(e - q));
		if (lf == NULL)
			return (e > q && e[-1] == '\r') ? e - 1 : e;
		if (lf == p || lf[-1] != '\r')
			return lf;
		q = lf + 1;
	}
}

/* ------------------------------------------------------------ body */

void
au_dkim__body_init(dkim_body *b, au_dkim_canon c)
{
	/* The sink pointers and the stage need no clearing: nsinks and stagelen say what is valid. */
	b->canon = c;
	b->pend = b->total = b->maxlimit = 0;
	b->wsp = b->cr = b->any = b->done = b->final = 0;
	b->nsinks = 0;
	b->stagelen = 0;
}

int
au_dkim__body_add_sink(dkim_body *b, dkim_sink *s)
{
	if (b->nsinks == DKIM_MAX_SINKS)
		return -1;
	b->sinks[b->nsinks++] = s;
	if (s->limit > b->maxlimit)
		b->maxlimit = s->limit;
	return 0;
}

void
au_dkim__body_reset(dkim_body *b)
{
	size_t i;

	b->pend = b->total = 0;
	b->wsp = b->cr = b->any = b->done = b->final = 0;
	b->stagelen = 0;
	for (i = 0; i < b->nsinks; i++)
		b->sinks[i]->taken = 0;
}

static void
body_simple(dkim_body *b, const unsigned char *p, size_t n)
{
	const unsigned char *e = p + n, *i = p, *s;

	if (b->cr && i < e) {
		b->cr = 0;
		if (*i == '\n') {
			b->pend++;
			i++;
		} else
			content(b, "\r", 1);
	}
	s = i;
	while (i < e && !b->done) {
		i = scan_simple(p, i, e);
		if (i == e)
			break;
		if (*i == '\r') {		/* at the chunk end */
			span(b, s, (size_t)(i - s));
			b->cr = 1;
			return;
		}
		/* bare LF */
		span(b, s, (size_t)(i - s));
		b->pend++;
		s = ++i;
	}
	if (!b->done)
		span(b, s, (size_t)(e - s));
}

static void
body_relaxed(dkim_body *b, const unsigned char *p, size_t n)
{
	const unsigned char *e = p + n, *i = p, *s, *j;

	/* What the previous chunk left open. */
	while (i < e && (b->cr || b->wsp)) {
		if (b->cr) {
			b->cr = 0;
			if (*i == '\n') {
				b->wsp = 0;
				b->pend++;
				i++;
				continue;
			}
			if (b->wsp) {
				content(b, " ", 1);
				b->wsp = 0;
			}
			content(b, "\r", 1);
			break;
		}
		if (*i == ' ' || *i == '\t') {
			i++;
			continue;
		}
		if (*i == '\r') {
			if (i + 1 == e) {
				b->cr = 1;	/* keep wsp too */
				return;
			}
			if (i[1] != '\n')
				content(b, " ", 1);
		} else if (*i != '\n')
			content(b, " ", 1);
		b->wsp = 0;
		break;
	}
	s = i;
	while (i < e && !b->done) {
		i = scan_relaxed(p, i, e);
		if (i == e)
			break;
		switch (*i) {
		case ' ':
		case '\t':
			span(b, s, (size_t)(i - s));
			for (j = i + 1; j < e && (*j == ' ' || *j == '\t'); j++)
				;
			if (j == e) {
				b->wsp = 1;
				return;
			}
			if (*j == '\r') {
				if (j + 1 == e) {
					b->wsp = 1;
					b->cr = 1;
					return;
				}
				if (j[1] != '\n')
					content(b, " ", 1);
			} else if (*j != '\n')
				content(b, " ", 1);
			s = i = j;
			break;
		case '\r':			/* at the chunk end */
			span(b, s, (size_t)(i - s));
			b->cr = 1;
			return;
		default:			/* bare LF */
			span(b, s, (size_t)(i - s));
			b->pend++;
			s = ++i;
			break;
		}
	}
	if (!b->done)
		span(b, s, (size_t)(e - s));
}

void
au_dkim__body_update(dkim_body *b, const void *p, size_t n)
{
	if (b->done || b->final || n == 0)
		return;
	if (b->canon == AU_DKIM_CANON_SIMPLE)
		body_simple(b, p, n);
	else
		body_relaxed(b, p, n);
}

void
au_dkim__body_final(dkim_body *b)
{
	if (b->final)
		return;
	b->final = 1;
	if (!b->done) {
		if (b->cr) {
			/* A CR at the very end is content; white space before it too. */
			if (b->canon == AU_DKIM_CANON_RELAXED && b->wsp)
				content(b, " ", 1);
			content(b, "\r", 1);
		}
		b->pend = 0;
		/*
		 * simple: "*CRLF" at the end becomes one CRLF, an empty body is
		 * CRLF.  relaxed: the same, but an empty body stays empty.
		 */
		if (b->canon == AU_DKIM_CANON_SIMPLE || b->any)
			out(b, "\r\n", 2);
	}
	stage_flush(b);
	b->cr = b->wsp = 0;
}

/* ------------------------------------------------------------ headers */

long
au_dkim__field_name(const char *f, size_t n)
{
	const char *colon = memchr(f, ':', n);
	size_t k;

	if (colon == NULL)
		return -1;
	k = (size_t)(colon - f);
	while (k > 0 && (f[k - 1] == ' ' || f[k - 1] == '\t'))
		k--;
	return (long)k;
}

/*
 * First octet at or after i of a relaxed header value that is not copied
 * as is: a control octet (HTAB, CR, LF, ...) or an SP followed by an octet
 * <= SP (or at the end).  A single SP between words is copied as is.
 * Octets from base on (base <= f) may be read: the last 16 positions are
 * then checked with one block that overlaps what was checked before.
 */
#if defined(__SSE2__)
static inline unsigned
hdr_stops16(const unsigned char *q)
{
	const __m128i v20 = _mm_set1_epi8(0x20);
	__m128i cur = _mm_loadu_si128((const __m128i *)(const void *)q);
	__m128i nxt = _mm_loadu_si128((const __m128i *)(const void *)(q + 1));
	__m128i le = _mm_cmpeq_epi8(_mm_min_epu8(cur, v20), cur);	/* <= SP */
	__m128i sp = _mm_cmpeq_epi8(cur, v20);
	__m128i nle = _mm_cmpeq_epi8(_mm_min_epu8(nxt, v20), nxt);

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(sp, le),
	    _mm_and_si128(sp, nle)));
}
#endif

static size_t
hdr_scan(const unsigned char *base, const unsigned char *f, size_t i, size_t n)
{
#if defined(__SSE2__)
	unsigned m;

	while (i + 17 <= n) {
		if ((m = hdr_stops16(f + i)) != 0)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
	/* positions n-17 .. n-2 in one block, those before i masked off */
	if (i + 1 < n && (size_t)(f - base) + n >= 17) {
		ptrdiff_t at = (ptrdiff_t)n - 17;	/* may lie before f, not before base */

		m = hdr_stops16(f + at) & ~((1u << ((ptrdiff_t)i - at)) - 1u);
		if (m)
			return (size_t)(at + __builtin_ctz(m));
		i = n - 1;
	}
#endif
	for (; i < n; i++) {
		if (f[i] > ' ')
			continue;
		if (f[i] != ' ' || i + 1 == n || f[i + 1] <= ' ')
			return i;
	}
	return n;
}

/* Simple header canonicalization of f[0..n): as is, but a bare LF becomes CRLF. */
static char *
simple_copy(const char *f, size_t n, char *w)
{
	const char *nl;
	size_t i, k;

	for (i = 0; i < n; i = k + 1) {
		nl = memchr(f + i, '\n', n - i);
		k = nl ? (size_t)(nl - f) : n;
		memcpy(w, f + i, k - i);
		w += k - i;
		if (k == n)
			break;
		if (k == 0 || f[k - 1] != '\r')
			*w++ = '\r';
		*w++ = '\n';
	}
	return w;
}

/*
 * Relaxed canonicalization of a header value u[i..n): unfold (CRLF and bare
 * LF vanish), runs of WSP become one SP, none at the end; with strip_lead
 * none at the start either.  A lone CR is an ordinary octet.  Octets from
 * base on (base <= u, inside the same field) may be read.
 */
static char *
relaxed_value(const unsigned char *base, const unsigned char *u, size_t i, size_t n, char *w,
    int strip_lead)
{
	size_t j;
	int pending = 0;

	while (strip_lead) {		/* leading white space and folding */
		if (i < n && (u[i] == ' ' || u[i] == '\t' || u[i] == '\n'))
			i++;
		else if (i + 1 < n && u[i] == '\r' && u[i + 1] == '\n')
			i += 2;
		else
			break;
	}
	while (i < n) {
		j = hdr_scan(base, u, i, n);
		if (j > i) {
			if (pending)
				*w++ = ' ';
			pending = 0;
			memcpy(w, u + i, j - i);
			w += j - i;
			i = j;
			if (i == n)
				break;
		}
		/* u[i] is white space, a line end or another control octet. */
		if (u[i] == ' ' || u[i] == '\t' || u[i] == '\n' ||
		    (u[i] == '\r' && i + 1 < n && u[i + 1] == '\n')) {
			int wsp = pending;

			while (i < n) {
				if (u[i] == ' ' || u[i] == '\t') {
					wsp = 1;
					i++;
				} else if (u[i] == '\n')
					i++;
				else if (u[i] == '\r' && i + 1 < n && u[i + 1] == '\n')
					i += 2;
				else
					break;
			}
			/*
			 * Line breaks just vanish; WSP (some content came before)
			 * becomes one SP if more content comes.
			 */
			pending = wsp && i < n;
			continue;
		}
		if (pending)
			*w++ = ' ';
		pending = 0;
		*w++ = (char)u[i++];	/* a lone CR or another control octet */
	}
	return w;
}

/* Canonical f[0..n) (which holds the colon) at w; returns the new end, NULL without a colon. */
static char *
canon_field(au_dkim_canon c, const char *f, size_t n, char *w)
{
	const char *colon = memchr(f, ':', n);
	const unsigned char *u = (const unsigned char *)f;
	size_t i, k;

	if (colon == NULL)
		return NULL;
	if (c == AU_DKIM_CANON_SIMPLE)
		return simple_copy(f, n, w);
	/* Name: lower case, white space before the colon dropped. */
	k = (size_t)(colon - f);
	while (k > 0 && (f[k - 1] == ' ' || f[k - 1] == '\t'))
		k--;
	for (i = 0; i + 8 <= k; i += 8) {
		uint64_t x;

		memcpy(&x, u + i, 8);
		x = au_dkim__lower8(x);
		memcpy(w, &x, 8);
		w += 8;
	}
	for (; i < k; i++) {
		unsigned char ch = u[i];

		*w++ = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : (char)ch;
	}
	*w++ = ':';
	return relaxed_value(u, u, (size_t)(colon - f) + 1, n, w, 1);
}

au_status
au_dkim__canon_header(au_dkim_canon c, const char *f, size_t n, int crlf, au_buf *o)
{
	return au_dkim__canon_header_cut(c, f, n, n, n, crlf, o);
}

au_status
au_dkim__canon_header_cut(au_dkim_canon c, const char *f, size_t n, size_t cut0,
    size_t cut1, int crlf, au_buf *o)
{
	au_status st;
	char *w;

	if (cut0 > cut1 || cut1 > n)
		return AU_EINVAL;
	/* The output is never longer than 2n + 2 (and a NUL); an unbounded buffer with room needs no call. */
	if ((o->data == NULL || o->max != 0 || o->cap - o->len < 2 * n + 3) &&
	    (st = au_buf_reserve(o, 2 * n + 2)) != AU_OK)
		return st;
	if ((w = canon_field(c, f, cut0, o->data + o->len)) == NULL)
		return AU_ESYNTAX;
	if (cut1 < n) {
		if (c == AU_DKIM_CANON_SIMPLE)
			w = simple_copy(f + cut1, n - cut1, w);
		else
			w = relaxed_value((const unsigned char *)f, (const unsigned char *)f + cut1, 0,
			    n - cut1, w, 0);
	}
	if (crlf) {
		*w++ = '\r';
		*w++ = '\n';
	}
	o->len = (size_t)(w - o->data);
	o->data[o->len] = '\0';
	return AU_OK;
}
