/*
 * dkim_bench.c - DKIM throughput of libauth: sign and verify messages of
 * about 2 KB, 100 KB and 10 MB with rsa-sha256 (RSA-2048) and
 * ed25519-sha256, relaxed/relaxed, keys from an in-memory zone
 * (au_dns_new_zone_text) and a key cache, signer and verifier reused from
 * message to message (au_dkim_*_reset), body fed in 64 KB chunks.
 *
 * Prints one line per measurement, for bench/dkim to read:
 *   RESULT op=sign alg=rsa2048 size=2KB msgs_per_s=... mb_per_s=... n=...
 *
 * usage: dkim_bench [SECONDS [OP [ALG [SIZE]]]]
 *   SECONDS per measurement (default 2); OP sign|verify, ALG rsa2048|ed25519,
 *   SIZE 2KB|100KB|10MB limit the run to matching measurements (for profiling).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "au_buf.h"
#include "au_dkim.h"
#include "au_dns.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const fields[] = {
	"Received: from mail.example.org (mail.example.org [192.0.2.25])\r\n"
	"\tby mx.example.net (Postfix) with ESMTPS id 4Xyz123abc\r\n"
	"\tfor <bob@example.net>; Mon, 1 Jan 2024 10:00:00 +0000 (UTC)",
	"From: Alice Example <alice@example.com>",
	"To: Bob Example <bob@example.net>, Carol <carol@example.net>",
	"Subject: Quarterly report and the plans for the next meeting",
	"Date: Mon, 1 Jan 2024 10:00:00 +0000",
	"Message-ID: <20240101100000.12345.abcdef@mail.example.com>",
	"MIME-Version: 1.0",
	"Content-Type: text/plain; charset=utf-8",
	"Content-Transfer-Encoding: 8bit",
	"X-Mailer: bench 1.0",
	NULL
};
/* Their lengths, measured once: a milter knows them, strlen is not DKIM's cost. */
static size_t field_len[sizeof fields / sizeof fields[0]];

static const char *const words[] = {
	"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog,", "report",
	"meeting", "agenda", "numbers.", "please", "review", "attached", "and",
	"reply", "before", "Friday;", "thanks", "regards", "budget", "2024",
};

/* Text body of about n octets: lines of ~72 octets, CRLF, some white space quirks. */
static char *
make_body(size_t n, size_t *len)
{
	char *b = malloc(n + 128);
	size_t o = 0, col = 0, w = 0, line = 0;

	while (o < n) {
		const char *s = words[(w * 7 + line) % (sizeof words / sizeof words[0])];
		size_t l = strlen(s);

		memcpy(b + o, s, l);
		o += l;
		col += l;
		w++;
		if (col > 64) {
			if (line % 17 == 3)
				b[o++] = ' ';	/* trailing white space now and then */
			b[o++] = '\r';
			b[o++] = '\n';
			col = 0;
			line++;
			if (line % 9 == 0) {
				b[o++] = '\r';
				b[o++] = '\n';
			}
		} else {
			b[o++] = ' ';
			if (w % 29 == 0)
				b[o++] = ' ';	/* a double space now and then */
			col++;
		}
	}
	memcpy(b + o, "\r\n", 2);
	o += 2;
	*len = o;
	return b;
}

static size_t
header_len(void)
{
	size_t i, n = 0;

	for (i = 0; fields[i]; i++)
		n += strlen(fields[i]) + 2;
	return n + 2;
}

static void
feed_sign(au_dkim_signer *s, const char *body, size_t blen)
{
	size_t i;

	for (i = 0; fields[i]; i++)
		au_dkim_signer_header(s, fields[i], field_len[i]);
	au_dkim_signer_eoh(s);
	for (i = 0; i < blen; i += 65536)
		au_dkim_signer_body(s, body + i, blen - i < 65536 ? blen - i : 65536);
}

static void
feed_verify(au_dkim_verifier *v, const char *sig, size_t siglen, const char *body,
    size_t blen)
{
	size_t i;

	au_dkim_verifier_header(v, sig, siglen);
	for (i = 0; fields[i]; i++)
		au_dkim_verifier_header(v, fields[i], field_len[i]);
	au_dkim_verifier_eoh(v);
	for (i = 0; i < blen; i += 65536)
		au_dkim_verifier_body(v, body + i, blen - i < 65536 ? blen - i : 65536);
	au_dkim_verifier_eom(v);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	const char *fop = argc > 2 ? argv[2] : NULL, *falg = argc > 3 ? argv[3] : NULL;
	const char *fsize = argc > 4 ? argv[4] : NULL;
	static const struct {
		const char *name;
		size_t body;
	} sizes[] = { { "2KB", 2048 }, { "100KB", 100 * 1024 }, { "10MB", 10 * 1024 * 1024 } };
	static const char *const algs[] = { "rsa2048", "ed25519" };
	au_dkim_private_key *keys[2];
	au_buf zone = AU_BUF_INIT(0);
	au_dns *dns;
	au_dkim_keycache *kc;
	char err[300], *rec;
	size_t a, z, i;

	if (secs <= 0)
		secs = 2.0;
	for (i = 0; fields[i]; i++)
		field_len[i] = strlen(fields[i]);
	if (fop && (!*fop || strcmp(fop, "all") == 0))
		fop = NULL;
	if (falg && (!*falg || strcmp(falg, "all") == 0))
		falg = NULL;
	if (au_dkim_key_generate(&keys[0], AU_DKIM_RSA_SHA256, 2048, err, sizeof err) != AU_OK ||
	    au_dkim_key_generate(&keys[1], AU_DKIM_ED25519_SHA256, 0, err, sizeof err) != AU_OK) {
		fprintf(stderr, "dkim_bench: %s\n", err);
		return 1;
	}
	for (a = 0; a < 2; a++) {
		size_t n;

		au_dkim_key_record(keys[a], &rec);
		au_buf_printf(&zone, "%s._domainkey.example.com. 3600 IN TXT (", algs[a]);
		for (n = 0; n < strlen(rec); n += 200)
			au_buf_printf(&zone, " \"%.*s\"", 200, rec + n);
		au_buf_puts(&zone, " )\n");
		free(rec);
	}
	if (au_dns_new_zone_text(&dns, zone.data, zone.len, err, sizeof err) != AU_OK) {
		fprintf(stderr, "dkim_bench: zone: %s\n", err);
		return 1;
	}
	au_dkim_keycache_new(&kc, 16);
	for (z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
		if (fsize && strcmp(fsize, sizes[z].name) != 0)
			continue;
		size_t want = sizes[z].body > header_len() ? sizes[z].body - header_len() : 256;
		size_t blen, msglen;
		char *body = make_body(want, &blen);

		msglen = header_len() + blen;
		for (a = 0; a < 2; a++) {
			au_dkim_sign_opts so = { 0 };
			au_dkim_verify_opts vo = { 0 };
			au_dkim_signer *s;
			au_dkim_verifier *v;
			char *sig = NULL, *f;
			size_t siglen = 0;
			double t0, t;
			unsigned long n;

			if (falg && strcmp(falg, algs[a]) != 0)
				continue;
			so.domain = "example.com";
			so.selector = algs[a];
			if (au_dkim_signer_new(&s, keys[a], &so, err, sizeof err) != AU_OK) {
				fprintf(stderr, "dkim_bench: %s\n", err);
				return 1;
			}
			/* sign */
			n = 0;
			t0 = now_s();
			do {
				feed_sign(s, body, blen);
				if (au_dkim_signer_eom(s, &f) != AU_OK) {
					fprintf(stderr, "dkim_bench: sign: %s\n", au_dkim_signer_error(s));
					return 1;
				}
				free(sig);
				sig = f;
				siglen = strlen(sig);
				au_dkim_signer_reset(s, 0);
				n++;
			} while (n % 8 || (t = now_s() - t0) < (fop && strcmp(fop, "sign") ? 0.01 : secs));
			if (!fop || strcmp(fop, "sign") == 0)
			printf("RESULT op=sign alg=%s size=%s msgs_per_s=%.1f mb_per_s=%.1f n=%lu bytes=%zu\n",
			    algs[a], sizes[z].name, n / t, n * (double)msglen / t / 1e6, n, msglen);
			fflush(stdout);
			/* verify */
			vo.keycache = kc;
			au_dkim_verifier_new(&v, dns, &vo);
			n = 0;
			t0 = now_s();
			do {
				const au_dkim_sig_result *r;

				feed_verify(v, sig, siglen, body, blen);
				r = au_dkim_verifier_result(v, 0);
				if (r == NULL || r->result != AU_DKIM_PASS) {
					fprintf(stderr, "dkim_bench: verify: %s\n", r ? r->reason : "no result");
					return 1;
				}
				au_dkim_verifier_reset(v);
				n++;
			} while (n % 8 || (t = now_s() - t0) < (fop && strcmp(fop, "verify") ? 0.01 : secs));
			if (!fop || strcmp(fop, "verify") == 0)
			printf("RESULT op=verify alg=%s size=%s msgs_per_s=%.1f mb_per_s=%.1f n=%lu bytes=%zu\n",
			    algs[a], sizes[z].name, n / t, n * (double)msglen / t / 1e6, n, msglen);
			fflush(stdout);
			au_dkim_verifier_free(v);
			au_dkim_signer_free(s);
			free(sig);
		}
		free(body);
	}
	for (i = 0; i < 2; i++)
		au_dkim_key_free(keys[i]);
	au_dkim_keycache_free(kc);
	au_dns_free(dns);
	au_buf_free(&zone);
	return 0;
}
