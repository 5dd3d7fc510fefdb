/*
 * test_dkim_canon.c - DKIM canonicalization (RFC 6376 3.4): the examples
 * of 3.4.5, the empty-body digests of 3.4.3/3.4.4, the corners (trailing
 * white space, empty lines at the end, last line without CRLF, bare LF,
 * bare CR, white-space-only lines, 8-bit octets, folded fields, empty
 * values, name case), and chunk-split invariance: the streaming
 * canonicalizer must give the same octets however the body is cut, and
 * the same octets as a direct, non-streaming transcription of the RFC
 * rules (ref_body below) on random bodies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dkim_int.h"

/* ---------------------------------------------------------------- helpers */

static void
capture(void *arg, const void *p, size_t n)
{
	au_buf_append(arg, p, n);
}

/* Canonicalize body[0..n) cut into pieces of the given sizes (cycled). */
static void
canon_chunks(au_dkim_canon c, const char *body, size_t n, const size_t *cuts,
    size_t ncuts, au_buf *out)
{
	dkim_body *b = malloc(sizeof *b);
	dkim_sink s = { capture, out, UINT64_MAX, 0 };
	size_t off = 0, k = 0;

	au_dkim__body_init(b, c);
	au_dkim__body_add_sink(b, &s);
	while (off < n) {
		size_t m = ncuts ? cuts[k++ % ncuts] : n;

		if (m > n - off)
			m = n - off;
		au_dkim__body_update(b, body + off, m);
		off += m;
	}
	au_dkim__body_final(b);
	assert_int_equal(b->total, out->len);
	free(b);
}

static char *
canon_whole(au_dkim_canon c, const char *body, size_t n, size_t *outlen)
{
	au_buf out = AU_BUF_INIT(0);
	char *p;

	canon_chunks(c, body, n, NULL, 0, &out);
	*outlen = out.len;
	au_buf_detach(&out, &p);
	return p;
}

static void
check_body(au_dkim_canon c, const char *in, const char *want)
{
	size_t n;
	char *got = canon_whole(c, in, strlen(in), &n);

	if (n != strlen(want) || memcmp(got, want, n) != 0) {
		fprintf(stderr, "# canon %s of [", c == AU_DKIM_CANON_SIMPLE ? "simple" : "relaxed");
		fwrite(in, 1, strlen(in), stderr);
		fprintf(stderr, "] gave [");
		fwrite(got, 1, n, stderr);
		fprintf(stderr, "]\n");
	}
	assert_int_equal(n, strlen(want));
	assert_memory_equal(got, want, n);
	free(got);
}

static void
check_header(au_dkim_canon c, const char *in, const char *want)
{
	au_buf out = AU_BUF_INIT(0);

	assert_int_equal(au_dkim__canon_header(c, in, strlen(in), 1, &out), AU_OK);
	assert_string_equal(au_buf_cstr(&out), want);
	au_buf_free(&out);
}

/*
 * A direct transcription of RFC 6376 3.4.3/3.4.4 on a whole body, after
 * turning bare LF into CRLF: no streaming, no cleverness.
 */
static size_t
ref_body(au_dkim_canon c, const char *in, size_t n, char *out)
{
	char *norm = malloc(2 * n + 1), *lines;
	size_t i, m = 0, o = 0, ls;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			norm[m++] = '\r';
		norm[m++] = in[i];
	}
	lines = malloc(m + 1);
	if (c == AU_DKIM_CANON_SIMPLE) {
		memcpy(lines, norm, m);
		o = m;
	} else {
		/* Per line: WSP runs to one SP, then trailing SP removed. */
		ls = 0;
		for (i = 0; i <= m; i++) {
			int eol = i + 1 < m && norm[i] == '\r' && norm[i + 1] == '\n';

			if (i == m || eol) {
				size_t j;
				int sp = 0;

				for (j = ls; j < i; j++) {
					if (norm[j] == ' ' || norm[j] == '\t') {
						sp = 1;
						continue;
					}
					if (sp)
						lines[o++] = ' ';
					sp = 0;
					lines[o++] = norm[j];
				}
				if (eol) {
					lines[o++] = '\r';
					lines[o++] = '\n';
					i++;
				}
				ls = i + 1;
			}
		}
	}
	/* Remove all CRLF at the end, then add one (relaxed: unless empty). */
	while (o >= 2 && lines[o - 2] == '\r' && lines[o - 1] == '\n')
		o -= 2;
	memcpy(out, lines, o);
	if (c == AU_DKIM_CANON_SIMPLE || o > 0) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	free(norm);
	free(lines);
	return o;
}

/* ---------------------------------------------------------------- RFC examples */

/* RFC 6376 3.4.5, the example message, header fields one by one. */
static void
test_rfc_example_headers(void **state)
{
	check_header(AU_DKIM_CANON_RELAXED, "A: X", "a:X\r\n");
	check_header(AU_DKIM_CANON_RELAXED, "B : Y\t\r\n\tZ  ", "b:Y Z\r\n");
	check_header(AU_DKIM_CANON_SIMPLE, "A: X", "A: X\r\n");
	check_header(AU_DKIM_CANON_SIMPLE, "B : Y\t\r\n\tZ  ", "B : Y\t\r\n\tZ  \r\n");
}

static void
test_rfc_example_body(void **state)
{
	const char *body = " C \r\nD \t E\r\n\r\n\r\n";

	check_body(AU_DKIM_CANON_RELAXED, body, " C\r\nD E\r\n");
	check_body(AU_DKIM_CANON_SIMPLE, body, " C \r\nD \t E\r\n");
}

static void
md_update(void *arg, const void *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

/* RFC 6376 3.4.3 and 3.4.4 give the SHA-256 of the empty body. */
static void
test_empty_body_digests(void **state)
{
	static const struct {
		au_dkim_canon c;
		const char *body, *b64;
	} v[] = {
		{ AU_DKIM_CANON_SIMPLE, "", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=" },
		{ AU_DKIM_CANON_SIMPLE, "\r\n\r\n\r\n", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=" },
		{ AU_DKIM_CANON_RELAXED, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
		{ AU_DKIM_CANON_RELAXED, " \t \r\n\r\n  \n\t", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		dkim_body *b = malloc(sizeof *b);
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		dkim_sink s;
		unsigned char d[32];
		unsigned dl;
		char b64[64];

		s.write = md_update;
		s.arg = md;
		s.limit = UINT64_MAX;
		s.taken = 0;
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		au_dkim__body_init(b, v[i].c);
		au_dkim__body_add_sink(b, &s);
		au_dkim__body_update(b, v[i].body, strlen(v[i].body));
		au_dkim__body_final(b);
		EVP_DigestFinal_ex(md, d, &dl);
		au_dkim__b64_encode(d, 32, b64);
		assert_string_equal(b64, v[i].b64);
		EVP_MD_CTX_free(md);
		free(b);
	}
}

/* ---------------------------------------------------------------- corners */

static void
test_body_corners(void **state)
{
	const au_dkim_canon S = AU_DKIM_CANON_SIMPLE, R = AU_DKIM_CANON_RELAXED;

	/* Empty bodies. */
	check_body(S, "", "\r\n");
	check_body(R, "", "");
	check_body(S, "\r\n", "\r\n");
	check_body(R, "\r\n", "");
	/* Trailing white space on lines. */
	check_body(S, "a  \r\nb\t\r\n", "a  \r\nb\t\r\n");
	check_body(R, "a  \r\nb\t\r\n", "a\r\nb\r\n");
	/* Runs of white space inside a line, leading white space. */
	check_body(R, "\t a \t\t b  c\r\n", " a b c\r\n");
	/* Empty lines at the end, and in the middle (kept). */
	check_body(S, "a\r\n\r\n\r\nb\r\n\r\n\r\n", "a\r\n\r\n\r\nb\r\n");
	check_body(R, "a\r\n\r\n\r\nb\r\n\r\n\r\n", "a\r\n\r\n\r\nb\r\n");
	/* Empty lines at the start are content-relative: kept. */
	check_body(S, "\r\n\r\nx", "\r\n\r\nx\r\n");
	check_body(R, "\r\n \r\nx", "\r\n\r\nx\r\n");
	/* White-space-only lines are empty after relaxed. */
	check_body(R, "a\r\n \t \r\n  \r\n", "a\r\n");
	check_body(S, "a\r\n \t \r\n", "a\r\n \t \r\n");
	/* Last line without CRLF. */
	check_body(S, "a\r\nb", "a\r\nb\r\n");
	check_body(R, "a\r\nb", "a\r\nb\r\n");
	/* ... with trailing white space (3.4.4 a applies to it as well). */
	check_body(R, "a\r\nb  ", "a\r\nb\r\n");
	check_body(S, "a\r\nb  ", "a\r\nb  \r\n");
	/* Bare LF is a line end. */
	check_body(S, "a\nb\n\n", "a\r\nb\r\n");
	check_body(R, "a \nb\t\n\n", "a\r\nb\r\n");
	check_body(R, "\n\n", "");
	check_body(S, "\n\n", "\r\n");
	/* A CR without LF is an ordinary octet. */
	check_body(S, "a\rb\r\n", "a\rb\r\n");
	check_body(R, "a \r b\r\n", "a \r b\r\n");
	check_body(R, "a\r \r\n", "a\r\r\n");
	check_body(S, "a\r", "a\r\r\n");
	check_body(R, "a \r", "a \r\r\n");
	check_body(S, "a\r\r\n", "a\r\r\n");
	/* 8-bit octets pass through. */
	check_body(R, "caf\xc3\xa9  \xff\r\n", "caf\xc3\xa9 \xff\r\n");
	check_body(S, "\x80\x81\r\n\r\n", "\x80\x81\r\n");
	/* NUL octets too. */
	{
		const char in[] = "a\0 \0\r\n";
		size_t n;
		char *got = canon_whole(R, in, sizeof in - 1, &n);

		assert_int_equal(n, 6);
		assert_memory_equal(got, "a\0 \0\r\n", 6);
		free(got);
	}
}

static void
test_header_corners(void **state)
{
	const au_dkim_canon S = AU_DKIM_CANON_SIMPLE, R = AU_DKIM_CANON_RELAXED;

	check_header(R, "SUBJect: AbC", "subject:AbC\r\n");
	check_header(R, "X-Empty:", "x-empty:\r\n");
	check_header(R, "X-Empty:  \t ", "x-empty:\r\n");
	check_header(S, "X-Empty:", "X-Empty:\r\n");
	check_header(R, "Name \t: \t v  w \t", "name:v w\r\n");
	/* Folding, with CRLF and with bare LF. */
	check_header(R, "To: a@example.com,\r\n\tb@example.com", "to:a@example.com, b@example.com\r\n");
	check_header(R, "Subject: one\n two\n\tthree", "subject:one two three\r\n");
	check_header(S, "Subject: one\n two", "Subject: one\r\n two\r\n");
	check_header(R, "To:\r\n  x@y", "to:x@y\r\n");
	/* 8-bit octets in the value are kept; the name is ASCII-folded only. */
	check_header(R, "Subject: caf\xc3\xa9", "subject:caf\xc3\xa9\r\n");
	/* A field without a colon is refused. */
	{
		au_buf out = AU_BUF_INIT(0);

		assert_int_equal(au_dkim__canon_header(R, "nocolon", 7, 1, &out), AU_ESYNTAX);
		au_buf_free(&out);
	}
}

/* ---------------------------------------------------------------- streaming */

static const char *const split_bodies[] = {
	" C \r\nD \t E\r\n\r\n\r\n",
	"a  \r\n\t\r\n  b \t\r\n\r\n \r\n",
	"x\r\r\n\r\r\n \r \r\n\n\r\n",
	"line one\nline  two  \n\n\n",
	"  \t  ",
	"\r",
	"\r\n\r",
	"abc \r",
	"tab\there   and    there\r\nlast line no crlf   ",
	"\xc3\xa9t\xc3\xa9 \t \xe2\x82\xac\r\n\r\n",
	"no line end at all",
	"a very long line that is longer than the sixteen-byte vector blocks  of "
	"the scanner, with  double  spaces and a\ttab near the end \r\nand more\r\n",
};

/* Byte by byte, every two-piece split, and odd cycles: same as whole. */
static void
test_split_invariance(void **state)
{
	static const size_t cycles[][4] = { { 1 }, { 2 }, { 3 }, { 1, 2 }, { 5, 1, 17 }, { 16, 1 } };
	size_t i, k, cut;
	int c;

	for (c = 0; c < 2; c++) {
		au_dkim_canon canon = c ? AU_DKIM_CANON_SIMPLE : AU_DKIM_CANON_RELAXED;

		for (i = 0; i < sizeof split_bodies / sizeof split_bodies[0]; i++) {
			const char *body = split_bodies[i];
			size_t n = strlen(body), wl;
			char *whole = canon_whole(canon, body, n, &wl);

			for (k = 0; k < sizeof cycles / sizeof cycles[0]; k++) {
				au_buf out = AU_BUF_INIT(0);
				size_t nc = cycles[k][1] ? (cycles[k][2] ? 3 : 2) : 1;

				canon_chunks(canon, body, n, cycles[k], nc, &out);
				assert_int_equal(out.len, wl);
				assert_memory_equal(out.data ? out.data : "", whole, wl);
				au_buf_free(&out);
			}
			for (cut = 0; cut <= n; cut++) {
				au_buf out = AU_BUF_INIT(0);
				size_t two[2] = { cut ? cut : n, n };

				canon_chunks(canon, body, n, two, 2, &out);
				assert_int_equal(out.len, wl);
				assert_memory_equal(out.data ? out.data : "", whole, wl);
				au_buf_free(&out);
			}
			free(whole);
		}
	}
}

/* Random bodies from a nasty alphabet: streaming (random cuts) == reference. */
static void
test_random_against_reference(void **state)
{
	static const char alphabet[] = { 'a', 'b', ' ', ' ', '\t', '\r', '\n', '\n', (char)0xe9, '.' };
	unsigned seed = 12345;
	int iter, c;

	for (iter = 0; iter < 6000; iter++) {
		/* Lengths up to 400: long enough for the 16- and 32-octet scanners. */
		size_t n = (size_t)(seed % (iter % 3 ? 90 : 400)), i, rl, ncuts;
		char body[400], ref[1200];
		size_t cuts[8];

		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Every other body is mostly letters: long runs for the vector scans. */
			if (iter % 2 && (seed >> 16) % 16 != 0)
				body[i] = (char)('a' + (seed >> 20) % 26);
			else
				body[i] = alphabet[(seed >> 16) % sizeof alphabet];
		}
		seed = seed * 1103515245u + 12345u;
		ncuts = 1 + (seed >> 16) % 8;
		for (i = 0; i < ncuts; i++) {
			seed = seed * 1103515245u + 12345u;
			cuts[i] = 1 + (seed >> 16) % (iter % 2 ? 20 : 200);
		}
		for (c = 0; c < 2; c++) {
			au_dkim_canon canon = c ? AU_DKIM_CANON_SIMPLE : AU_DKIM_CANON_RELAXED;
			au_buf out = AU_BUF_INIT(0);

			rl = ref_body(canon, body, n, ref);
			canon_chunks(canon, body, n, cuts, ncuts, &out);
			if (out.len != rl || memcmp(out.data ? out.data : "", ref, rl) != 0) {
				fprintf(stderr, "# mismatch (%s) on body of %zu octets:",
				    c ? "simple" : "relaxed", n);
				for (i = 0; i < n; i++)
					fprintf(stderr, " %02x", (unsigned char)body[i]);
				fprintf(stderr, "\n");
			}
			assert_int_equal(out.len, rl);
			assert_memory_equal(out.data ? out.data : "", ref, rl);
			au_buf_free(&out);
		}
		seed = seed * 1103515245u + 12345u;
	}
}

/*
 * RFC 6376 3.4.2 as written, on one field: name lower-cased, WSP before
 * the colon dropped; value unfolded (CRLF, and bare LF, removed), WSP runs
 * made one SP, WSP at both ends removed.
 */
static size_t
ref_header(const char *f, size_t n, char *out)
{
	const char *colon = memchr(f, ':', n);
	char *unf = malloc(n + 1);
	size_t k = (size_t)(colon - f), i, m = 0, o = 0, a, b;

	while (k > 0 && (f[k - 1] == ' ' || f[k - 1] == '\t'))
		k--;
	for (i = 0; i < k; i++)
		out[o++] = (f[i] >= 'A' && f[i] <= 'Z') ? (char)(f[i] + 32) : f[i];
	out[o++] = ':';
	for (i = (size_t)(colon - f) + 1; i < n; i++) {
		if (f[i] == '\r' && i + 1 < n && f[i + 1] == '\n')
			continue;
		if (f[i] == '\n')
			continue;
		unf[m++] = f[i];
	}
	for (a = 0; a < m && (unf[a] == ' ' || unf[a] == '\t'); a++)
		;
	for (b = m; b > a && (unf[b - 1] == ' ' || unf[b - 1] == '\t'); b--)
		;
	for (i = a; i < b; i++) {
		if (unf[i] == ' ' || unf[i] == '\t') {
			if (out[o - 1] != ' ' || i == a)
				out[o++] = ' ';
			continue;
		}
		out[o++] = unf[i];
	}
	free(unf);
	out[o++] = '\r';
	out[o++] = '\n';
	return o;
}

/* Random fields: relaxed header canonicalization == the reference. */
static void
test_random_headers_against_reference(void **state)
{
	static const char alphabet[] = { 'a', 'B', ' ', ' ', '\t', '\r', '\n', ':', (char)0xe9, 'x' };
	unsigned seed = 777;
	int iter;

	for (iter = 0; iter < 20000; iter++) {
		size_t n, i, rl;
		char f[300], ref[700];
		au_buf out = AU_BUF_INIT(0);

		seed = seed * 1103515245u + 12345u;
		n = 4 + (seed >> 16) % (iter % 4 ? 40 : 250);
		memcpy(f, "Na:", 3);
		for (i = 3; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			if (iter % 2 && (seed >> 16) % 8 != 0)
				f[i] = (char)('a' + (seed >> 20) % 26);
			else
				f[i] = alphabet[(seed >> 16) % sizeof alphabet];
		}
		/* A name with white space before the colon now and then. */
		if (iter % 5 == 0)
			memcpy(f, "N \t", 3), f[3] = ':';
		rl = ref_header(f, n, ref);
		assert_int_equal(au_dkim__canon_header(AU_DKIM_CANON_RELAXED, f, n, 1, &out), AU_OK);
		if (out.len != rl || memcmp(out.data, ref, rl) != 0) {
			fprintf(stderr, "# header mismatch on:");
			for (i = 0; i < n; i++)
				fprintf(stderr, " %02x", (unsigned char)f[i]);
			fprintf(stderr, "\n");
		}
		assert_int_equal(out.len, rl);
		assert_memory_equal(out.data, ref, rl);
		au_buf_free(&out);
	}
}

/* Counting sink: a huge body of empty lines must cost no memory. */
static void
count_write(void *arg, const void *p, size_t n)
{
	*(uint64_t *)arg += n;
}

static void
test_many_empty_lines_constant_memory(void **state)
{
	static char chunk[65536];
	uint64_t count = 0;
	dkim_sink s = { count_write, &count, UINT64_MAX, 0 };
	dkim_body *b = malloc(sizeof *b);
	int i;

	/* 64 MB of CRLF then spaces: nothing is produced before the end ... */
	for (i = 0; i < (int)sizeof chunk; i += 2) {
		chunk[i] = '\r';
		chunk[i + 1] = '\n';
	}
	au_dkim__body_init(b, AU_DKIM_CANON_RELAXED);
	au_dkim__body_add_sink(b, &s);
	au_dkim__body_update(b, "x", 1);
	for (i = 0; i < 1024; i++)
		au_dkim__body_update(b, chunk, sizeof chunk);
	assert_int_equal(count, 0);	/* "x" sits in the staging buffer at most */
	assert_int_equal(b->pend, 1024ull * 32768ull);
	au_dkim__body_final(b);
	/* ... and then just "x" CRLF. */
	assert_int_equal(count, 3);
	/* With content after them, every line end counts. */
	count = 0;
	au_dkim__body_init(b, AU_DKIM_CANON_SIMPLE);
	s.taken = 0;
	au_dkim__body_add_sink(b, &s);
	for (i = 0; i < 64; i++)
		au_dkim__body_update(b, chunk, sizeof chunk);
	au_dkim__body_update(b, "y", 1);
	au_dkim__body_final(b);
	assert_int_equal(count, 64ull * 65536ull + 3);
	free(b);
}

/* l=: a sink takes at most its limit; total still counts everything. */
static void
test_limit(void **state)
{
	au_buf o1 = AU_BUF_INIT(0), o2 = AU_BUF_INIT(0);
	dkim_sink a = { capture, &o1, 5, 0 }, b2 = { capture, &o2, UINT64_MAX, 0 };
	dkim_body *b = malloc(sizeof *b);

	au_dkim__body_init(b, AU_DKIM_CANON_RELAXED);
	au_dkim__body_add_sink(b, &a);
	au_dkim__body_add_sink(b, &b2);
	au_dkim__body_update(b, "abc \r\n\r\ndef\r\n", 13);
	au_dkim__body_final(b);
	assert_int_equal(o1.len, 5);
	assert_memory_equal(o1.data, "abc\r\n", 5);
	assert_string_equal(au_buf_cstr(&o2), "abc\r\n\r\ndef\r\n");
	assert_int_equal(b->total, 12);
	au_buf_free(&o1);
	au_buf_free(&o2);
	/* A limited sink alone: the canonicalizer stops once it has enough. */
	au_dkim__body_init(b, AU_DKIM_CANON_SIMPLE);
	a.taken = 0;
	au_buf_init(&o1, 0);
	au_dkim__body_add_sink(b, &a);
	au_dkim__body_update(b, "0123456789\r\n", 12);
	au_dkim__body_final(b);
	assert_string_equal(au_buf_cstr(&o1), "01234");
	assert_true(b->total > 5);
	au_buf_free(&o1);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_example_headers),
		cmocka_unit_test(test_rfc_example_body),
		cmocka_unit_test(test_empty_body_digests),
		cmocka_unit_test(test_body_corners),
		cmocka_unit_test(test_header_corners),
		cmocka_unit_test(test_split_invariance),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_random_headers_against_reference),
		cmocka_unit_test(test_many_empty_lines_constant_memory),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests_name("dkim_canon", tests, NULL, NULL);
}
