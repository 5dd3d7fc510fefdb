/*
 * dmarc_domain.c - domain name helpers for DMARC (lower-casing, label
 * arithmetic for the DNS Tree Walk of RFC 9989 4.10) and the names of the
 * DMARC enums (RFC 8601 2.7.1 result names, RFC 9989 4.7 policy names).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef HAVE_IDN2
#include <idn2.h>
#endif
#include "dmarc_int.h"

const char *
au_dmarc_result_str(au_dmarc_result r)
{
	switch (r) {
	case AU_DMARC_NONE:		return "none";
	case AU_DMARC_PASS:		return "pass";
	case AU_DMARC_FAIL:		return "fail";
	case AU_DMARC_TEMPERROR:	return "temperror";
	case AU_DMARC_PERMERROR:	return "permerror";
	}
	return "permerror";
}

const char *
au_dmarc_policy_str(au_dmarc_policy p)
{
	switch (p) {
	case AU_DMARC_POLICY_NONE:		return "none";
	case AU_DMARC_POLICY_QUARANTINE:	return "quarantine";
	case AU_DMARC_POLICY_REJECT:		return "reject";
	}
	return "none";
}

const char *
au_dmarc_mode_str(au_dmarc_mode m)
{
	return m == AU_DMARC_RFC7489 ? "rfc7489" : "rfc9989";
}

static int
ldh_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_';
}

/*
 * A domain with 8-bit bytes (UTF-8 U-labels) as an A-label domain in out
 * (RFC 9989 5.3.1, IDNA2008 via libidn2).  -1 when it cannot be.
 */
static int
to_alabel(const char *in, size_t len, char *out, size_t outlen)
{
#ifdef HAVE_IDN2
	char u[AU_DMARC_DOMAIN_MAX * 4 + 1], *a = NULL;
	int ok;

	if (len >= sizeof u)
		return -1;
	memcpy(u, in, len);
	u[len] = '\0';
	if (memchr(u, '\0', len) != NULL)
		return -1;
	if (idn2_to_ascii_8z(u, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) !=
	    IDN2_OK)
		return -1;
	ok = strlen(a) < outlen;
	if (ok)
		memcpy(out, a, strlen(a) + 1);
	idn2_free(a);
	return ok ? 0 : -1;
#else
	(void)in;
	(void)len;
	(void)out;
	(void)outlen;
	return -1;
#endif
}

int
au_dmarc__domain_norm(const char *in, size_t len, char *out, size_t outlen)
{
	size_t i, lab = 0;
	char alabel[AU_DMARC_DOMAIN_MAX];

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80)
			break;
	if (i < len) {
		if (to_alabel(in, len, alabel, sizeof alabel) < 0)
			return -1;
		in = alabel;
		len = strlen(alabel);
	}
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || len >= outlen)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c == '.') {
			if (lab == 0)
				return out[0] = '\0', -1;
			lab = 0;
		} else if (ldh_char(c)) {
			if (++lab > 63)
				return out[0] = '\0', -1;
		} else
			return out[0] = '\0', -1;
		out[i] = (char)c;
	}
	if (lab == 0)
		return out[0] = '\0', -1;
	out[len] = '\0';
	return 0;
}

int
au_dmarc__labels(const char *dom)
{
	int n;

	if (dom == NULL || *dom == '\0')
		return 0;
	for (n = 1; *dom; dom++)
		if (*dom == '.')
			n++;
	return n;
}

const char *
au_dmarc__suffix(const char *dom, int n)
{
	int have = au_dmarc__labels(dom);

	while (have > n && have > 0) {
		dom = strchr(dom, '.') + 1;
		have--;
	}
	return dom;
}

const char *
au_dmarc__parent(const char *dom)
{
	const char *dot = strchr(dom, '.');

	return dot ? dot + 1 : NULL;
}

int
au_dmarc__same(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

char *
au_dmarc__strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}
