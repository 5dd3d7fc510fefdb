/*
 * test_dkim_util.c - the DKIM helpers on the verification hot path, against
 * independent references: base64 decoding (RFC 2045 6.8 with the FWS of
 * RFC 6376 2.10) against OpenSSL's encoder on random data folded at random
 * places, with every output bound; the ASCII case-insensitive compare
 * against a byte-by-byte transcription; the field-name hash (equal for
 * names that compare equal); header canonicalization with the b= value
 * cut out against canonicalizing the field with that value removed; and
 * RSA signature verification (our RFC 8017 8.2.2 encode-and-compare over
 * BN_mod_exp_mont) against OpenSSL's EVP_PKEY_verify on good signatures,
 * flipped bits, wrong lengths, s >= n and hand-made encodings with the
 * wrong block type, hash algorithm or DigestInfo form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "dkim_int.h"

/* A small deterministic generator, so that failures can be replayed. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* ---------------------------------------------------------------- base64 */

/* Insert FWS (SP, HTAB, CRLF SP, LF HTAB) at random places of s. */
static size_t
fold(const char *s, size_t n, char *out, unsigned every)
{
	static const char *const ws[] = { " ", "\t", "\r\n ", "\n\t", "\r\n\t  " };
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (every && rnd(every) == 0) {
			const char *w = ws[rnd(5)];

			memcpy(out + o, w, strlen(w));
			o += strlen(w);
		}
		out[o++] = s[i];
	}
	return o;
}

static void
test_b64_random_against_openssl(void **state)
{
	static unsigned char data[1100], got[1200];
	static char enc[1600], folded[8000];
	size_t len, k, n, glen;
	int round;

	(void)state;
	for (round = 0; round < 6000; round++) {
		len = rnd(1100);
		for (k = 0; k < len; k++)
			data[k] = (unsigned char)rnd(256);
		n = (size_t)EVP_EncodeBlock((unsigned char *)enc, data, (int)len);
		/* padding is optional in DKIM: drop it now and then */
		if (rnd(3) == 0)
			while (n > 0 && enc[n - 1] == '=')
				n--;
		n = fold(enc, n, folded, round % 4 == 0 ? 0 : 1 + rnd(90));
		glen = 12345;
		assert_int_equal(au_dkim__b64_decode(folded, n, got, sizeof got, &glen), 0);
		assert_int_equal(glen, len);
		assert_memory_equal(got, data, len);
		/* an output buffer of exactly len fits; one octet less does not */
		assert_int_equal(au_dkim__b64_decode(folded, n, got, len, &glen), 0);
		assert_int_equal(glen, len);
		if (len > 0)
			assert_int_equal(au_dkim__b64_decode(folded, n, got, len - 1, &glen), -1);
	}
}

static void
test_b64_malformed(void **state)
{
	static const char *const bad[] = {
		"QUJD!",		/* not in the alphabet */
		"QUJDRA==QUJD",		/* data after padding */
		"QUJDR===",		/* three pad octets */
		"QUJDRAB",		/* fine so far ... */
		"Q",			/* a lone leftover octet: 6 bits */
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo\x80",	/* 8-bit octet */
		"QUJDREVGR0hJSktM\x01TU5PUFFSU1RVVldYWVo=",	/* control octet in a block */
		"QUJDREVGR0hJSktMTU5P\xc3\xa9RVVldYWVo=",	/* UTF-8 in a block */
		"QUJDREVG-0hJSktMTU5PUFFSU1RVVldYWVo=",		/* base64url is not base64 */
	};
	unsigned char out[64];
	size_t ol, i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = au_dkim__b64_decode(bad[i], strlen(bad[i]), out, sizeof out, &ol);

		if (i == 3) {	/* 7 octets: 5 bytes and 2 spare bits are fine */
			assert_int_equal(r, 0);
			assert_int_equal(ol, 5);
		} else
			assert_int_equal(r, -1);
	}
	/* empty input and padding only decode to nothing */
	assert_int_equal(au_dkim__b64_decode("", 0, out, sizeof out, &ol), 0);
	assert_int_equal(ol, 0);
	assert_int_equal(au_dkim__b64_decode(" \r\n =", 5, out, sizeof out, &ol), 0);
	assert_int_equal(ol, 0);
}

/* ---------------------------------------------------------------- ieq */

static int
ref_ieq(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned x = a[i], y = b[i];

		if (x - 'A' < 26)
			x += 32;
		if (y - 'A' < 26)
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

static void
test_ieq_against_reference(void **state)
{
	/* octets where a wrong case fold would show: the neighbours of the letters, 8-bit */
	static const unsigned char pool[] = "aAzZ@[`{mM-_:09 \x80\xc1\xe1\xff\x40\x5b\x60\x7b";
	unsigned char a[40], b[40];
	int round, eq = 0;

	(void)state;
	for (round = 0; round < 200000; round++) {
		size_t n = rnd(40), k;

		for (k = 0; k < n; k++) {
			a[k] = pool[rnd(sizeof pool - 1)];
			/* mostly the same letter in either case, sometimes anything */
			b[k] = rnd(8) == 0 ? pool[rnd(sizeof pool - 1)] :
			    (unsigned char)(a[k] - 'a' < 26 && rnd(2) ? a[k] - 32 :
			    a[k] - 'A' < 26 && rnd(2) ? a[k] + 32 : a[k]);
		}
		assert_int_equal(au_dkim__ieq((char *)a, n, (char *)b, n), ref_ieq(a, b, n));
		eq += ref_ieq(a, b, n);
		if (n > 0)
			assert_int_equal(au_dkim__ieq((char *)a, n, (char *)b, n - 1), 0);
	}
	/* both outcomes were exercised */
	assert_true(eq > 1000 && eq < 199000);
	assert_true(au_dkim__ieq("Content-Transfer-Encoding", 25, "content-transfer-encoding", 25));
	assert_false(au_dkim__ieq("Content-Transfer-Encodinf", 25, "content-transfer-encoding", 25));
}

static void
test_name_hash_case_blind(void **state)
{
	static const char *const pairs[][2] = {
		{ "From", "fROM" }, { "DKIM-Signature", "dkim-signature" },
		{ "X", "x" }, { "Content-Transfer-Encoding", "CONTENT-TRANSFER-ENCODING" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		assert_int_equal(au_dkim__name_hash(pairs[i][0], strlen(pairs[i][0])),
		    au_dkim__name_hash(pairs[i][1], strlen(pairs[i][1])));
}

/* ---------------------------------------------------------------- canon cut */

/* A random tag value: letters, runs of white space, folds. */
static size_t
rand_value(char *o)
{
	static const char *const piece[] = { "ab", "Q", "x=y", " ", "  ", "\t", "\r\n\t", "\r\n  ", "z9+/" };
	size_t n = 0, k, parts = rnd(12);

	for (k = 0; k < parts; k++) {
		const char *p = piece[rnd(sizeof piece / sizeof piece[0])];

		memcpy(o + n, p, strlen(p));
		n += strlen(p);
	}
	return n;
}

static void
test_canon_cut_random(void **state)
{
	int round, c, checked = 0;

	(void)state;
	for (round = 0; round < 5000; round++) {
		char f[600];
		size_t n = 0, voff, cut0, cut1;
		au_taglist tl;
		const au_tag *t;
		char err[100];
		au_buf joined = AU_BUF_INIT(0);

		memcpy(f, "DKIM-Signature:", 15);
		n = 15;
		voff = n;
		if (rnd(2)) {
			memcpy(f + n, " a=", 3);
			n += 3;
			n += rand_value(f + n);
			f[n++] = ';';
		}
		memcpy(f + n, " b=", 3);
		n += 3;
		n += rand_value(f + n);
		if (rnd(2)) {
			memcpy(f + n, "; c=", 4);
			n += 4;
			n += rand_value(f + n);
		}
		if (au_tags_parse(&tl, f + voff, n - voff, err, sizeof err) != AU_OK)
			continue;	/* a fold at the very end, say */
		assert_non_null(t = au_tags_find(&tl, "b"));
		cut0 = voff + t->raw_start;
		cut1 = voff + t->raw_end;
		checked++;
		au_buf_append(&joined, f, cut0);
		au_buf_append(&joined, f + cut1, n - cut1);
		for (c = 0; c < 2; c++) {
			au_buf x = AU_BUF_INIT(0), y = AU_BUF_INIT(0);

			assert_int_equal(au_dkim__canon_header_cut((au_dkim_canon)c, f, n, cut0, cut1,
			    1, &x), AU_OK);
			assert_int_equal(au_dkim__canon_header((au_dkim_canon)c, joined.data,
			    joined.len, 1, &y), AU_OK);
			assert_int_equal(x.len, y.len);
			assert_memory_equal(x.data, y.data, x.len);
			au_buf_free(&x);
			au_buf_free(&y);
		}
		au_buf_free(&joined);
	}
	assert_true(checked > 2500);
}

static void
test_canon_cut_equals_removed(void **state)
{
	static const char *const fields[] = {
		"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel;\r\n"
		"\th=from:to; bh=AAAA; b=abc\r\n\tdef==; x=1",
		"DKIM-Signature:v=1;b=  xyz  ;d=example.com",
		"dkim-signature : a=b; b=\r\n QUJD\r\n REVG",
		"DKIM-Signature: b=QUJD;\r\n\t  z=a|b  \t \r\n  c",
		"DKIM-Signature: b=;x=  y  ",
	};
	size_t i;
	int c;

	(void)state;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *f = fields[i];
		size_t n = strlen(f), cut0, cut1;
		const char *b = strstr(f, "b=");
		au_taglist tl;
		const au_tag *t;
		char err[100];
		au_buf joined = AU_BUF_INIT(0);

		/* the raw b= value, as the tag parser reports it */
		assert_non_null(b);
		assert_int_equal(au_tags_parse(&tl, strchr(f, ':') + 1, n - (size_t)(strchr(f, ':') + 1 - f),
		    err, sizeof err), AU_OK);
		assert_non_null(t = au_tags_find(&tl, "b"));
		cut0 = (size_t)(strchr(f, ':') + 1 - f) + t->raw_start;
		cut1 = (size_t)(strchr(f, ':') + 1 - f) + t->raw_end;
		au_buf_append(&joined, f, cut0);
		au_buf_append(&joined, f + cut1, n - cut1);
		for (c = 0; c < 2; c++) {
			au_buf x = AU_BUF_INIT(0), y = AU_BUF_INIT(0);

			assert_int_equal(au_dkim__canon_header_cut((au_dkim_canon)c, f, n, cut0, cut1,
			    c, &x), AU_OK);
			assert_int_equal(au_dkim__canon_header((au_dkim_canon)c, joined.data,
			    joined.len, c, &y), AU_OK);
			assert_int_equal(x.len, y.len);
			assert_memory_equal(x.data, y.data, x.len);
			au_buf_free(&x);
			au_buf_free(&y);
		}
		au_buf_free(&joined);
	}
}

/* ---------------------------------------------------------------- RSA */

/* The key record for pk, parsed by libauth (NULL with why on refusal). */
static dkim_pubkey *
record_key(EVP_PKEY *pk, char *why, size_t whylen)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	char *rec = malloc((size_t)n * 2 + 64);
	dkim_pubkey *k;

	assert_true(n > 0);
	strcpy(rec, "v=DKIM1; k=rsa; p=");
	au_dkim__b64_encode(der, (size_t)n, rec + strlen(rec));
	k = au_dkim__pubkey_parse(rec, strlen(rec), why, whylen);
	OPENSSL_free(der);
	free(rec);
	return k;
}

/* OpenSSL's verdict: RSASSA-PKCS1-v1_5 with SHA-256 over the 32-octet hash. */
static int
ossl_verify(EVP_PKEY *pk, const unsigned char *sig, size_t siglen, const unsigned char *h)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	int r;

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_verify_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()), 1);
	r = EVP_PKEY_verify(c, sig, siglen, h, 32);
	EVP_PKEY_CTX_free(c);
	return r == 1;
}

/* The raw private operation on em (klen octets): a signature over any encoding. */
static void
raw_sign(EVP_PKEY *pk, const unsigned char *em, size_t klen, unsigned char *sig)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	size_t sl = klen;

	assert_int_equal(EVP_PKEY_sign_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING), 1);
	assert_int_equal(EVP_PKEY_sign(c, sig, &sl, em, klen), 1);
	assert_int_equal(sl, klen);
	EVP_PKEY_CTX_free(c);
}

static void
check_same(EVP_PKEY *pk, dkim_pubkey *k, const unsigned char *sig, size_t siglen,
    const unsigned char *h, int *goods)
{
	int ours = au_dkim__pubkey_verify(k, sig, siglen, h);

	assert_int_equal(ours, ossl_verify(pk, sig, siglen, h));
	*goods += ours;
}

static void
test_rsa_verify_against_openssl(void **state)
{
	static const unsigned bits[] = { 1024, 2047, 2048, 3072 };
	static const unsigned char di256[19] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20
	};
	size_t b;

	(void)state;
	for (b = 0; b < sizeof bits / sizeof bits[0]; b++) {
		EVP_PKEY *pk = EVP_RSA_gen(bits[b]);
		char why[200];
		dkim_pubkey *k = record_key(pk, why, sizeof why);
		size_t klen = (size_t)EVP_PKEY_get_size(pk), ps = klen - 3 - 19 - 32;
		unsigned char h[32], sig[512], em[512], bad[513];
		int round, goods = 0, variant;
		static int splus_n;

		assert_non_null(k);
		for (round = 0; round < 40; round++) {
			EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
			size_t sl = sizeof sig, i;

			for (i = 0; i < 32; i++)
				h[i] = (unsigned char)rnd(256);
			assert_int_equal(EVP_PKEY_sign_init(c), 1);
			assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING), 1);
			assert_int_equal(EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()), 1);
			assert_int_equal(EVP_PKEY_sign(c, sig, &sl, h, 32), 1);
			EVP_PKEY_CTX_free(c);
			check_same(pk, k, sig, sl, h, &goods);			/* good */
			memcpy(bad, sig, sl);
			bad[rnd((unsigned)sl)] ^= (unsigned char)(1u << rnd(8));
			check_same(pk, k, bad, sl, h, &goods);			/* a flipped bit */
			check_same(pk, k, sig, sl - 1, h, &goods);		/* short */
			memcpy(bad + 1, sig, sl);
			bad[0] = 0;
			check_same(pk, k, bad, sl + 1, h, &goods);		/* long, same value */
			{
				/* s + n: the same value mod n, but not a valid signature */
				BIGNUM *n = NULL, *sn = BN_bin2bn(sig, (int)sl, NULL);

				assert_int_equal(EVP_PKEY_get_bn_param(pk, "n", &n), 1);
				assert_int_equal(BN_add(sn, sn, n), 1);
				if ((size_t)BN_num_bytes(sn) <= klen) {
					assert_int_equal(BN_bn2binpad(sn, bad, (int)klen), (int)klen);
					check_same(pk, k, bad, klen, h, &goods);
					splus_n++;
				}
				BN_free(n);
				BN_free(sn);
			}
			h[rnd(32)] ^= 1;
			check_same(pk, k, sig, sl, h, &goods);			/* another hash */
		}
		/* s >= n: the modulus itself, and all-ones */
		{
			BIGNUM *n = NULL;

			assert_int_equal(EVP_PKEY_get_bn_param(pk, "n", &n), 1);
			assert_int_equal(BN_bn2binpad(n, bad, (int)klen), (int)klen);
			check_same(pk, k, bad, klen, h, &goods);
			memset(bad, 0xff, klen);
			check_same(pk, k, bad, klen, h, &goods);
			BN_free(n);
		}
		/* hand-made encodings: the right one, then one wrong part each */
		for (variant = 0; variant < 6; variant++) {
			size_t o = 0;

			em[o++] = 0x00;
			em[o++] = variant == 1 ? 0x02 : 0x01;		/* block type */
			memset(em + o, variant == 2 ? 0xfe : 0xff, ps);	/* padding octets */
			o += ps;
			em[o++] = 0x00;
			memcpy(em + o, di256, 19);
			if (variant == 3)
				em[o + 14] = 0x02;			/* SHA-384's OID arc */
			if (variant == 4)
				em[o + 1] ^= 0x80;			/* a DER length off */
			o += 19;
			memcpy(em + o, h, 32);
			if (variant == 5)
				em[o + 31] ^= 1;			/* another hash */
			raw_sign(pk, em, klen, sig);
			check_same(pk, k, sig, klen, h, &goods);
			if (variant == 0)
				assert_true(au_dkim__pubkey_verify(k, sig, klen, h));
			else
				assert_false(au_dkim__pubkey_verify(k, sig, klen, h));
		}
		/* 40 good signatures plus the hand-made good one, nothing else */
		assert_int_equal(goods, 41);
		au_dkim__pubkey_unref(k);
		EVP_PKEY_free(pk);
		/* the 2047-bit key always leaves room for s + n */
		if (bits[b] == 2047)
			assert_true(splus_n >= 40);
	}
}

/* A key record with the modulus of a real key and exponent e. */
static dkim_pubkey *
key_with_exponent(const BIGNUM *n, const BIGNUM *e, char *why, size_t whylen)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;
	dkim_pubkey *k;

	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, "n", n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, "e", e), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
	assert_int_equal(EVP_PKEY_fromdata(c, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
	k = record_key(pk, why, whylen);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return k;
}

static void
test_rsa_hostile_exponent(void **state)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	BIGNUM *n = NULL, *e = BN_new();
	char why[200];
	dkim_pubkey *k;

	(void)state;
	assert_int_equal(EVP_PKEY_get_bn_param(pk, "n", &n), 1);
	/* 65 bits: refused, so that a key cannot make verification slow */
	assert_int_equal(BN_set_word(e, 1), 1);
	assert_int_equal(BN_lshift(e, e, 64), 1);
	assert_int_equal(BN_add_word(e, 1), 1);
	why[0] = '\0';
	assert_null(key_with_exponent(n, e, why, sizeof why));
	assert_non_null(strstr(why, "exponent"));
	/* even */
	assert_int_equal(BN_set_word(e, 65538), 1);
	assert_null(key_with_exponent(n, e, why, sizeof why));
	/* 3 and 2^64 - 1 are fine */
	assert_int_equal(BN_set_word(e, 3), 1);
	assert_non_null(k = key_with_exponent(n, e, why, sizeof why));
	au_dkim__pubkey_unref(k);
	assert_int_equal(BN_set_word(e, UINT64_MAX), 1);
	assert_non_null(k = key_with_exponent(n, e, why, sizeof why));
	au_dkim__pubkey_unref(k);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_random_against_openssl),
		cmocka_unit_test(test_b64_malformed),
		cmocka_unit_test(test_ieq_against_reference),
		cmocka_unit_test(test_name_hash_case_blind),
		cmocka_unit_test(test_canon_cut_equals_removed),
		cmocka_unit_test(test_canon_cut_random),
		cmocka_unit_test(test_rsa_verify_against_openssl),
		cmocka_unit_test(test_rsa_hostile_exponent),
	};

	return cmocka_run_group_tests_name("dkim_util", tests, NULL, NULL);
}
