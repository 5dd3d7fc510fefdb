/*
 * fuzz_dkim_canon.c - libFuzzer target for DKIM canonicalization (RFC 6376
 * 3.4).  The first octet picks the algorithm and a seed for cutting the
 * rest, the body, into chunks.  Checked: the streaming body canonicalizer
 * gives the same octets whole, cut at random places and octet by octet;
 * the result equals a direct transcription of 3.4.3/3.4.4; header
 * canonicalization of the input as a field stays within its bound and,
 * relaxed, holds in its value no line end but the final CRLF, no HTAB and
 * no double SP, and equals a direct transcription of 3.4.2.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dkim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
capture(void *arg, const void *p, size_t n)
{
	if (au_buf_append(arg, p, n) != AU_OK)
		abort();
}

static void
run(au_dkim_canon c, const char *b, size_t n, unsigned seed, int mode, au_buf *out)
{
	dkim_body *body = malloc(sizeof *body);
	dkim_sink s = { capture, out, UINT64_MAX, 0 };
	size_t off = 0, m;

	au_dkim__body_init(body, c);
	au_dkim__body_add_sink(body, &s);
	while (off < n) {
		if (mode == 0)
			m = n - off;
		else if (mode == 1)
			m = 1;
		else {
			seed = seed * 1103515245u + 12345u;
			m = 1 + (seed >> 16) % 97;
		}
		if (m > n - off)
			m = n - off;
		au_dkim__body_update(body, b + off, m);
		off += m;
	}
	au_dkim__body_final(body);
	if (body->total != out->len)
		abort();
	free(body);
}

/* RFC 6376 3.4.3/3.4.4 on the whole body, bare LF taken as CRLF. */
static size_t
ref(au_dkim_canon c, const char *in, size_t n, char *o)
{
	char *norm = malloc(2 * n + 1);
	size_t i, m = 0, w = 0, ls = 0, j;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			norm[m++] = '\r';
		norm[m++] = in[i];
	}
	if (c == AU_DKIM_CANON_SIMPLE) {
		memcpy(o, norm, m);
		w = m;
	} else {
		for (i = 0; i <= m; i++) {
			int eol = i + 1 < m && norm[i] == '\r' && norm[i + 1] == '\n';
			int sp = 0;

			if (i < m && !eol)
				continue;
			for (j = ls; j < i; j++) {
				if (norm[j] == ' ' || norm[j] == '\t') {
					sp = 1;
					continue;
				}
				if (sp)
					o[w++] = ' ';
				sp = 0;
				o[w++] = norm[j];
			}
			if (eol) {
				o[w++] = '\r';
				o[w++] = '\n';
				i++;
			}
			ls = i + 1;
		}
	}
	while (w >= 2 && o[w - 2] == '\r' && o[w - 1] == '\n')
		w -= 2;
	if (c == AU_DKIM_CANON_SIMPLE || w > 0) {
		o[w++] = '\r';
		o[w++] = '\n';
	}
	free(norm);
	return w;
}

/* RFC 6376 3.4.2 as written, on one field (see test_dkim_canon.c). */
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
		if ((f[i] == '\r' && i + 1 < n && f[i + 1] == '\n') || f[i] == '\n')
			continue;
		unf[m++] = f[i];
	}
	for (a = 0; a < m && (unf[a] == ' ' || unf[a] == '\t'); a++)
		;
	for (b = m; b > a && (unf[b - 1] == ' ' || unf[b - 1] == '\t'); b--)
		;
	for (i = a; i < b; i++) {
		if (unf[i] == ' ' || unf[i] == '\t') {
			/* the first WSP of a run (unf[a] is not WSP, so i > a) */
			if (unf[i - 1] != ' ' && unf[i - 1] != '\t')
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	au_dkim_canon c;
	const char *b;
	size_t n, rl, i;
	au_buf whole = AU_BUF_INIT(0), cut = AU_BUF_INIT(0), bytes = AU_BUF_INIT(0);
	au_buf h = AU_BUF_INIT(0);
	char *r;

	if (size < 1 || size > 100000)
		return 0;
	c = (data[0] & 1) ? AU_DKIM_CANON_SIMPLE : AU_DKIM_CANON_RELAXED;
	b = (const char *)data + 1;
	n = size - 1;
	run(c, b, n, data[0], 0, &whole);
	run(c, b, n, data[0], 2, &cut);
	run(c, b, n, data[0], 1, &bytes);
	if (whole.len != cut.len || whole.len != bytes.len ||
	    (whole.len && (memcmp(whole.data, cut.data, whole.len) != 0 ||
	    memcmp(whole.data, bytes.data, whole.len) != 0)))
		abort();
	if ((r = malloc(2 * n + 4)) == NULL)
		abort();
	rl = ref(c, b, n, r);
	if (rl != whole.len || (rl && memcmp(r, whole.data, rl) != 0))
		abort();
	free(r);
	/* The input as a header field. */
	if (au_dkim__canon_header(c, b, n, 1, &h) == AU_OK) {
		if (h.len > 2 * n + 2)
			abort();
		/* The value (after the first colon): the name is copied as given. */
		if (c == AU_DKIM_CANON_RELAXED) {
			for (i = (size_t)((char *)memchr(h.data, ':', h.len) - h.data); i + 2 < h.len; i++)
				if (h.data[i] == '\n' || h.data[i] == '\t' ||
				    (h.data[i] == ' ' && h.data[i + 1] == ' '))
					abort();
			if ((r = malloc(2 * n + 4)) == NULL)
				abort();
			rl = ref_header(b, n, r);
			if (rl != h.len || memcmp(r, h.data, rl) != 0)
				abort();
			free(r);
		}
	} else if (memchr(b, ':', n) != NULL)
		abort();
	au_buf_free(&whole);
	au_buf_free(&cut);
	au_buf_free(&bytes);
	au_buf_free(&h);
	return 0;
}
