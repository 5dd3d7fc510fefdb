/*
 * dmarc_domain.c - domain name helpers for DMARC (lower-casing, label
 * arithmetic for the DNS Tree Walk of RFC 9989 4.10) and the names of the
 * DMARC enums (RFC 8601 2.7.1 result names, RFC 9989 4.7 policy names).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

int
au_dmarc__domain_norm(const char *in, size_t len, char *out, size_t outlen)
{
	size_t i, lab = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
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
