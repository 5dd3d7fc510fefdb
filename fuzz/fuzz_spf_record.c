/*
 * fuzz_spf_record.c - libFuzzer target for the SPF record parser
 * (spf_record.c, RFC 7208 section 12) and, for inputs that parse,
 * check_host() (spf_eval.c) over the record served from an in-memory zone.
 *
 * The input is the record text.  When it parses, it is published as the
 * TXT record of x.example next to a few helper names (A, MX, PTR, an
 * explanation) and evaluated for an IPv4 and an IPv6 client, so macro
 * expansion, include/redirect and the limits run on hostile records.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "au_buf.h"
#include "au_dns.h"
#include "au_spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char helpers[] =
	"$ORIGIN .\n$TTL 300\n"
	"a.example. IN A 192.0.2.1\n"
	"a.example. IN AAAA 2001:db8::1\n"
	"a.example. IN MX 10 a.example.\n"
	"a.example. IN TXT \"v=spf1 a mx ptr -all\"\n"
	"e.example. IN TXT \"%{i} %{s} %{p} %{c} %{r} not allowed\"\n"
	"1.2.0.192.in-addr.arpa. IN PTR a.example.\n"
	"r.example. IN TXT \"v=spf1 include:x.example ~all\"\n";

/* Publish the input as x.example's TXT record, every byte escaped. */
static au_dns *
make_zone(const uint8_t *data, size_t size)
{
	au_buf z = AU_BUF_INIT(0);
	au_dns *dns = NULL;
	char err[256];
	size_t i;

	au_buf_puts(&z, helpers);
	au_buf_puts(&z, "x.example. IN TXT");
	for (i = 0; i < size; i++) {
		if (i % 255 == 0)
			au_buf_puts(&z, i ? "\" \"" : " \"");
		au_buf_printf(&z, "\\%03u", data[i]);
	}
	au_buf_puts(&z, size ? "\"\n" : " \"\"\n");
	if (z.data && au_dns_new_zone_text(&dns, z.data, z.len, err, sizeof err) != AU_OK)
		dns = NULL;
	au_buf_free(&z);
	return dns;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *ips[] = { "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.9" };
	au_spf_record *rec = NULL;
	au_spf_verdict v;
	au_dns *dns;
	char err[512];
	size_t i, n;

	if (au_spf_record_parse((const char *)data, size, &rec, err,
	    sizeof err) != AU_OK) {
		(void)strlen(err);
		return 0;
	}
	n = au_spf_record_count(rec);
	for (i = 0; i < n; i++) {
		const au_spf_term *t = au_spf_record_term(rec, i);

		(void)strlen(t->text);
		if (t->domain_spec)
			(void)strlen(t->domain_spec);
		if (t->name)
			(void)strlen(t->name);
	}
	au_spf_record_free(rec);
	if (size > 2000 || (dns = make_zone(data, size)) == NULL)
		return 0;
	for (i = 0; i < sizeof ips / sizeof ips[0]; i++) {
		if (au_spf_check_mailfrom(dns, NULL, ips[i], "user.name@x.example",
		    "helo.example", &v) == AU_OK)
			au_spf_verdict_clear(&v);
	}
	if (au_spf_check_mailfrom(dns, NULL, ips[0], "u@r.example", NULL, &v) == AU_OK)
		au_spf_verdict_clear(&v);
	au_dns_free(dns);
	return 0;
}
