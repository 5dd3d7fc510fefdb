/*
 * dkim_util.c - small helpers shared by the DKIM files: base64 (RFC 2045
 * 6.8, with FWS ignored as RFC 6376 2.10 base64string allows), ASCII case
 * folding, domain-name syntax (RFC 6376 3.5 d=, RFC 5321 sub-domain), and
 * the process-wide SHA-256 implementation handle.
 */
#include <pthread.h>
#include <string.h>
#include "dkim_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/*
 * Fetching once avoids OpenSSL 3's implicit fetch on every digest
 * initialisation.  The handle lives until the process exits.
 */
const EVP_MD *
au_dkim__sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md ? sha256_md : EVP_sha256();
}

#if defined(__SSE2__)
/*
 * The 16 base64 values of the octets c, or all-ones in the mask when one of
 * them is not in the alphabet.  Octets of 0x80 and above are negative as
 * signed lanes and fall outside every range.
 */
static inline __m128i
b64_values16(__m128i c, unsigned *okmask)
{
	const __m128i up = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('A' - 1)),
	    _mm_cmplt_epi8(c, _mm_set1_epi8('Z' + 1)));
	const __m128i lo = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('a' - 1)),
	    _mm_cmplt_epi8(c, _mm_set1_epi8('z' + 1)));
	const __m128i di = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
	    _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
	const __m128i pl = _mm_cmpeq_epi8(c, _mm_set1_epi8('+'));
	const __m128i sl = _mm_cmpeq_epi8(c, _mm_set1_epi8('/'));
	__m128i d;

	*okmask = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(up, lo),
	    _mm_or_si128(di, _mm_or_si128(pl, sl))));
	/* value = octet + offset of its range: A-Z -65, a-z -71, 0-9 +4, '+' +19, '/' +16 */
	d = _mm_or_si128(_mm_or_si128(_mm_and_si128(up, _mm_set1_epi8(-65)),
	    _mm_and_si128(lo, _mm_set1_epi8(-71))), _mm_or_si128(_mm_and_si128(di,
	    _mm_set1_epi8(4)), _mm_or_si128(_mm_and_si128(pl, _mm_set1_epi8(19)),
	    _mm_and_si128(sl, _mm_set1_epi8(16)))));
	return _mm_add_epi8(c, d);
}

/*
 * Decode blocks of 16 alphabet octets, 12 octets out each, from in[*i..n)
 * to out[*o..outmax), while a whole block is in the alphabet and the output
 * has room for 16 (the tail of each store is scratch).  Advances *i, *o.
 */
static void
b64_run_sse2(const unsigned char *in, size_t *i, size_t n, unsigned char *out, size_t *o,
    size_t outmax)
{
	size_t ii = *i, oo = *o;

	while (ii + 16 <= n && oo + 16 <= outmax) {
		unsigned ok;
		__m128i v = b64_values16(_mm_loadu_si128((const __m128i *)(const void *)(in + ii)),
		    &ok);
		__m128i w16, w32;
		uint32_t x[4];
		int j;

		if (ok != 0xffff)
			break;
		/* Two 6-bit values per 16-bit lane into 12 bits, two of those into 24. */
		w16 = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0xff)), 6),
		    _mm_srli_epi16(v, 8));
		w32 = _mm_or_si128(_mm_slli_epi32(_mm_and_si128(w16, _mm_set1_epi32(0xffff)), 12),
		    _mm_srli_epi32(w16, 16));
		_mm_storeu_si128((__m128i *)(void *)x, w32);
		for (j = 0; j < 4; j++) {
			uint32_t be = __builtin_bswap32(x[j] << 8);	/* x2 x1 x0 0 in memory */

			memcpy(out + oo + 3 * j, &be, 4);
		}
		ii += 16;
		oo += 12;
	}
	*i = ii;
	*o = oo;
}

#if (defined(__GNUC__) || defined(__clang__)) && !defined(AU_NO_SSSE3)
#include <tmmintrin.h>
#define HAVE_B64_SSSE3 1

/* The same with SSSE3: multiply-add packs the values, one shuffle orders the octets. */
__attribute__((target("ssse3")))
static void
b64_run_ssse3(const unsigned char *in, size_t *i, size_t n, unsigned char *out, size_t *o,
    size_t outmax)
{
	const __m128i pair = _mm_set1_epi16(0x0140), quad = _mm_set1_epi32(0x00011000);
	const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12,
	    -1, -1, -1, -1);
	size_t ii = *i, oo = *o;

	while (ii + 16 <= n && oo + 16 <= outmax) {
		unsigned ok;
		__m128i v = b64_values16(_mm_loadu_si128((const __m128i *)(const void *)(in + ii)),
		    &ok);

		if (ok != 0xffff)
			break;
		/* lane pairs: a * 64 + b (12 bits), then p * 4096 + q (24 bits per 32-bit lane); */
		/* each lane then holds x0 x1 x2 0 in memory, the output wants x2 x1 x0 */
		v = _mm_madd_epi16(_mm_maddubs_epi16(v, pair), quad);
		_mm_storeu_si128((__m128i *)(void *)(out + oo), _mm_shuffle_epi8(v, order));
		ii += 16;
		oo += 12;
	}
	*i = ii;
	*o = oo;
}
#endif
#endif

/*
 * Base64 alphabet as 32-bit entries: 0..63 for the alphabet, anything
 * above 63 is not data (B64_WS white space, skipped; B64_PAD '='; B64_BAD).
 * 32-bit entries let the fast path OR eight lookups and test them at once.
 */
enum { B64_WS = 0x100, B64_PAD = 0x200, B64_BAD = 0x400 };
static uint32_t b64_tab[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;
static int b64_ssse3;		/* the CPU has SSSE3 (b64_run_ssse3) */

static void
b64_init(void)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int i;

	for (i = 0; i < 256; i++)
		b64_tab[i] = B64_BAD;
	for (i = 0; i < 64; i++)
		b64_tab[(unsigned char)alpha[i]] = (uint32_t)i;
	b64_tab[' '] = b64_tab['\t'] = b64_tab['\r'] = b64_tab['\n'] = B64_WS;
	b64_tab['='] = B64_PAD;
#if defined(HAVE_B64_SSSE3)
	b64_ssse3 = __builtin_cpu_supports("ssse3");
#endif
}


/*
 * Contiguous runs of alphabet octets (the common case) go through the fast
 * paths: sixteen in, twelve out (SSE2), then eight in, six out.  Anything
 * else (white space inside a quantum, padding, the end) is handled one
 * quantum of four alphabet octets at a time.
 */
int
au_dkim__b64_decode(const char *s, size_t n, unsigned char *outp, size_t outmax,
    size_t *outlen)
{
	const unsigned char *restrict u = (const unsigned char *)s;
	unsigned char *restrict w = outp;
	const uint32_t *t = b64_tab;
	size_t i = 0, o = 0, pad = 0;

	pthread_once(&b64_once, b64_init);
	for (;;) {
		uint32_t q[4], x;
		int k = 0;

#if defined(HAVE_B64_SSSE3)
		if (b64_ssse3)
			b64_run_ssse3(u, &i, n, w, &o, outmax);
		else
#endif
#if defined(__SSE2__)
		b64_run_sse2(u, &i, n, w, &o, outmax);
#endif
		while (i + 8 <= n && o + 6 <= outmax) {
			uint32_t a = t[u[i]], b = t[u[i + 1]], c = t[u[i + 2]], d = t[u[i + 3]];
			uint32_t e = t[u[i + 4]], f = t[u[i + 5]], g = t[u[i + 6]], h = t[u[i + 7]];
			uint32_t y;

			if ((a | b | c | d | e | f | g | h) > 63)
				break;
			x = (a << 18) | (b << 12) | (c << 6) | d;
			y = (e << 18) | (f << 12) | (g << 6) | h;
			w[o] = (unsigned char)(x >> 16);
			w[o + 1] = (unsigned char)(x >> 8);
			w[o + 2] = (unsigned char)x;
			w[o + 3] = (unsigned char)(y >> 16);
			w[o + 4] = (unsigned char)(y >> 8);
			w[o + 5] = (unsigned char)y;
			o += 6;
			i += 8;
		}
		/* One quantum: four alphabet octets, white space skipped. */
		while (k < 4 && i < n) {
			uint32_t v = t[u[i]];

			if (v <= 63)
				q[k++] = v;
			else if (v != B64_WS)
				break;		/* padding or not base64 */
			i++;
		}
		if (k == 4) {
			if (o + 3 > outmax)
				return -1;
			x = (q[0] << 18) | (q[1] << 12) | (q[2] << 6) | q[3];
			w[o] = (unsigned char)(x >> 16);
			w[o + 1] = (unsigned char)(x >> 8);
			w[o + 2] = (unsigned char)x;
			o += 3;
			continue;
		}
		/* The end: at most two '=' and white space may follow. */
		for (; i < n; i++) {
			uint32_t v = t[u[i]];

			if (v == B64_PAD)
				pad++;
			else if (v != B64_WS)
				return -1;	/* not base64, or data after padding */
		}
		/* A lone leftover octet (6 bits) cannot encode anything. */
		if (pad > 2 || k == 1)
			return -1;
		if (k > 1) {
			if (o + (size_t)(k - 1) > outmax)
				return -1;
			x = (q[0] << 18) | (q[1] << 12) | (k == 3 ? q[2] << 6 : 0);
			w[o++] = (unsigned char)(x >> 16);
			if (k == 3)
				w[o++] = (unsigned char)(x >> 8);
		}
		*outlen = o;
		return 0;
	}
}

size_t
au_dkim__b64_encode(const unsigned char *p, size_t n, char *outp)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		outp[o++] = tab[p[i] >> 2];
		outp[o++] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		outp[o++] = tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		outp[o++] = tab[p[i + 2] & 63];
	}
	if (n - i == 1) {
		outp[o++] = tab[p[i] >> 2];
		outp[o++] = tab[(p[i] & 3) << 4];
		outp[o++] = '=';
		outp[o++] = '=';
	} else if (n - i == 2) {
		outp[o++] = tab[p[i] >> 2];
		outp[o++] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		outp[o++] = tab[(p[i + 1] & 15) << 2];
		outp[o++] = '=';
	}
	outp[o] = '\0';
	return o;
}

int
au_dkim__ieq(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0;

	if (an != bn)
		return 0;
	for (; i + 8 <= an; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y && au_dkim__lower8(x) != au_dkim__lower8(y))
			return 0;
	}
	for (; i < an; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/*
 * sub-domain = Let-dig [Ldh-str] (RFC 5321 4.1.2); labels of at most 63
 * octets, the whole at most 253.  allow_underscore admits '_' in labels
 * (selectors in the wild use it; DNS carries it fine).
 */
int
au_dkim__is_domain(const char *s, size_t n, int allow_underscore, int min_labels)
{
	size_t i, lab = 0;
	int labels = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-')
				return 0;
			labels++;
			lab = 0;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (allow_underscore && c == '_')) {
			lab++;
			continue;
		}
		if (c == '-' && lab > 0) {
			lab++;
			continue;
		}
		return 0;
	}
	return labels >= min_labels;
}
