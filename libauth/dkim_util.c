/*
 * dkim_util.c - small helpers shared by the DKIM files: base64 (RFC 2045
 * 6.8, with FWS ignored as RFC 6376 2.10 base64string allows), ASCII case
 * folding, domain-name syntax (RFC 6376 3.5 d=, RFC 5321 sub-domain), and
 * the process-wide SHA-256 implementation handle.
 */
#include <pthread.h>
#include <string.h>
#include "dkim_int.h"

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

/* Base64 alphabet: value 0..63; B64_WS white space (skipped); B64_PAD '='; B64_BAD. */
enum { B64_WS = 64, B64_PAD = 65, B64_BAD = 255 };
static unsigned char b64_tab[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void
b64_init(void)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int i;

	memset(b64_tab, B64_BAD, sizeof b64_tab);
	for (i = 0; i < 64; i++)
		b64_tab[(unsigned char)alpha[i]] = (unsigned char)i;
	b64_tab[' '] = b64_tab['\t'] = b64_tab['\r'] = b64_tab['\n'] = B64_WS;
	b64_tab['='] = B64_PAD;
}

int
au_dkim__b64_decode(const char *s, size_t n, unsigned char *outp, size_t outmax,
    size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, pad = 0;
	unsigned acc = 0, bits = 0, v;

	pthread_once(&b64_once, b64_init);
	while (i < n) {
		/* Four alphabet octets in a row (the common case): three octets out. */
		if (bits == 0 && pad == 0 && i + 4 <= n && o + 3 <= outmax) {
			unsigned a = b64_tab[u[i]], b = b64_tab[u[i + 1]];
			unsigned c = b64_tab[u[i + 2]], d = b64_tab[u[i + 3]];

			if ((a | b | c | d) < 64) {
				unsigned w = (a << 18) | (b << 12) | (c << 6) | d;

				outp[o] = (unsigned char)(w >> 16);
				outp[o + 1] = (unsigned char)(w >> 8);
				outp[o + 2] = (unsigned char)w;
				o += 3;
				i += 4;
				continue;
			}
		}
		v = b64_tab[u[i++]];
		if (v == B64_BAD)
			return -1;		/* not base64 */
		if (v == B64_WS)
			continue;
		if (v == B64_PAD) {
			pad++;
			continue;
		}
		if (pad > 0)
			return -1;		/* data after padding */
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outmax)
				return -1;
			outp[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* 6 leftover bits cannot encode anything; padding beyond 2 is wrong. */
	if (bits == 6 || pad > 2)
		return -1;
	*outlen = o;
	return 0;
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
	size_t i;

	if (an != bn)
		return 0;
	for (i = 0; i < an; i++) {
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
