/*
 * test_dkim_util.c - the DKIM helpers on the verification hot path, against
 * independent references: base64 decoding (RFC 2045 6.8 with the FWS of
 * RFC 6376 2.10) against OpenSSL's encoder on random data folded at random
 * places, with every output bound; the ASCII case-insensitive compare
 * against a byte-by-byte transcription; the field-name hash (equal for
 * names that compare equal); and header canonicalization with the b= value
 * cut out against canonicalizing the field with that value removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_random_against_openssl),
		cmocka_unit_test(test_b64_malformed),
		cmocka_unit_test(test_ieq_against_reference),
		cmocka_unit_test(test_name_hash_case_blind),
		cmocka_unit_test(test_canon_cut_equals_removed),
	};

	return cmocka_run_group_tests_name("dkim_util", tests, NULL, NULL);
}
