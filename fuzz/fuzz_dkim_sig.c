/*
 * fuzz_dkim_sig.c - libFuzzer target for DKIM-Signature fields (RFC 6376
 * 3.2 tag lists, 3.5 tags, 6.1.1 checks): the input is the field value.
 * It goes through the tag tokenizer, the signature parser and a whole
 * verification (header hash with b= blanked, body hash, key look-up in an
 * empty zone).  Checked: offsets and counts the parser reports stay inside
 * the input and its bounds, the verifier always gives a verdict with a
 * reason, and the base64 decoder (SIMD fast paths) agrees with a direct
 * transcription of RFC 2045 6.8 on the input for several output bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_dkim.h"
#include "au_tags.h"
#include "dkim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static au_dns *dns;

/*
 * Base64 as the DKIM parser accepts it, octet by octet: alphabet octets
 * give 6 bits each, SP HTAB CR LF are skipped, up to two '=' may end it
 * (only white space after them), 6 leftover bits are an error, and the
 * output may not exceed outmax.  -1 on anything else.
 */
static int
ref_b64(const unsigned char *s, size_t n, unsigned char *out, size_t outmax, size_t *outlen)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0, bits = 0;
	size_t i, o = 0, pad = 0;

	for (i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(alpha, s[i]) : NULL;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (p == NULL || pad > 0)
			return -1;
		acc = (acc << 6) | (unsigned)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outmax)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (bits == 6 || pad > 2)
		return -1;
	*outlen = o;
	return 0;
}

static void
check_b64(const uint8_t *data, size_t size)
{
	static unsigned char a[4096], b[4096];
	static const size_t bounds[] = { 0, 1, 3, 12, 13, 16, 32, 256, 4096 };
	size_t k, la = 0, lb = 0;

	if (size > 4096)
		return;
	for (k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
		int ra = au_dkim__b64_decode((const char *)data, size, a, bounds[k], &la);
		int rb = ref_b64(data, size, b, bounds[k], &lb);

		if (ra != rb || (ra == 0 && (la != lb || memcmp(a, b, la) != 0)))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pfx[] = "DKIM-Signature:";
	static dkim_sig sig;
	au_taglist tl;
	char err[256], *field;
	size_t flen = sizeof pfx - 1 + size, k;
	au_dkim_verifier *v;
	au_dkim_verify_opts o = { 0 };
	const au_dkim_sig_result *r;

	if (size > 65536)
		return 0;
	if (dns == NULL && au_dns_new_zone_text(&dns, "", 0, err, sizeof err) != AU_OK)
		abort();
	check_b64(data, size);
	if (au_tags_parse(&tl, (const char *)data, size, err, sizeof err) == AU_OK) {
		if (tl.count > AU_TAGS_MAX)
			abort();
		for (k = 0; k < tl.count; k++)
			if (tl.tag[k].raw_start > tl.tag[k].raw_end || tl.tag[k].raw_end > size ||
			    tl.tag[k].value < (const char *)data ||
			    tl.tag[k].value + tl.tag[k].valuelen > (const char *)data + size)
				abort();
	}
	if ((field = malloc(flen + 1)) == NULL)
		return 0;
	memcpy(field, pfx, sizeof pfx - 1);
	memcpy(field + sizeof pfx - 1, data, size);
	field[flen] = '\0';
	if (au_dkim__sig_parse(&sig, field, flen, err, sizeof err) == 0) {
		if (sig.bval_start > sig.bval_end || sig.bval_end > flen ||
		    sig.nh == 0 || sig.nh > DKIM_MAX_HNAMES || sig.blen == 0 ||
		    sig.blen > DKIM_MAX_B || strchr(sig.identity, '@') == NULL)
			abort();
		for (k = 0; k < sig.nh; k++)
			if ((size_t)sig.h[k].off + sig.h[k].len > flen)
				abort();
	} else if (err[0] == '\0')
		abort();		/* a refusal always says why */
	o.now = 1700000000;
	if (au_dkim_verifier_new(&v, dns, &o) != AU_OK)
		abort();
	au_dkim_verifier_header(v, field, flen);
	au_dkim_verifier_header(v, "From: a@example.com", 19);
	au_dkim_verifier_header(v, "Subject: x", 10);
	au_dkim_verifier_eoh(v);
	au_dkim_verifier_body(v, "body  \r\n\r\n", 10);
	au_dkim_verifier_eom(v);
	if (au_dkim_verifier_count(v) > 1)
		abort();
	if ((r = au_dkim_verifier_result(v, 0)) != NULL &&
	    (r->reason[0] == '\0' || r->result == AU_DKIM_PASS))
		abort();		/* no key exists: nothing can pass */
	au_dkim_verifier_free(v);
	free(field);
	return 0;
}
