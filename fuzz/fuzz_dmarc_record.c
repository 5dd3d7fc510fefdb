/*
 * fuzz_dmarc_record.c - libFuzzer target for the DMARC record parser
 * (dmarc_record.c, RFC 9989 4.7/4.8 and RFC 7489 6.3/6.4) and, with the
 * input published as a DMARC record in an in-memory zone, for policy
 * discovery (the RFC 9989 tree walk and RFC 7489 PSL discovery) and
 * evaluation (dmarc_eval.c).
 *
 * The input is the record text.  It is parsed under both modes; then it
 * is served at _dmarc.example.com and at _dmarc.a.b.example.com (next to
 * a PSD record at _dmarc.com), and a few messages are evaluated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_buf.h"
#include "au_dns.h"
#include "au_dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as master-file TXT rdata: strings of <= 255 bytes, \DDD escapes. */
static void
put_txt(au_buf *z, const uint8_t *data, size_t size)
{
	size_t i;

	au_buf_putc(z, '"');
	for (i = 0; i < size; i++) {
		if (i > 0 && i % 255 == 0)
			au_buf_puts(z, "\" \"");
		if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '"' &&
		    data[i] != '\\')
			au_buf_putc(z, (char)data[i]);
		else
			au_buf_printf(z, "\\%03u", data[i]);
	}
	au_buf_puts(z, "\"\n");
}

static void
evaluate(au_dns *dns, au_dmarc_mode mode)
{
	static const char *froms[] = { "example.com", "x.a.b.example.com",
	    "nx.example.com", "a.b.example.com" };
	au_dmarc_dkim_input dk[2] = {
		{ "example.com", "s", AU_DKIM_PASS },
		{ "mail.example.com", "s", AU_DKIM_FAIL },
	};
	au_dmarc_opts o;
	au_dmarc_input in;
	au_dmarc_verdict v;
	au_dmarc_discovery disc;
	au_dmarc *d = NULL;
	char err[256];
	size_t i;

	memset(&o, 0, sizeof o);
	o.mode = mode;
	if (au_dmarc_new(&d, dns, &o, err, sizeof err) != AU_OK)
		return;
	for (i = 0; i < sizeof froms / sizeof froms[0]; i++) {
		memset(&in, 0, sizeof in);
		in.from_domains = &froms[i];
		in.nfrom = 1;
		in.spf_domain = i & 1 ? "bounce.example.com" : "other.example";
		in.spf_result = AU_SPF_PASS;
		in.dkim = dk;
		in.ndkim = i & 2 ? 2 : 0;
		if (au_dmarc_evaluate(d, &in, &v) == AU_OK)
			au_dmarc_verdict_clear(&v);
	}
	if (au_dmarc_discover(d, "a.b.example.com", &disc) == AU_OK)
		au_dmarc_discovery_clear(&disc);
	au_dmarc_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	au_dmarc_record *r = NULL;
	au_buf z = AU_BUF_INIT(0);
	au_dns *dns = NULL;
	char err[256];
	size_t i;
	int m;

	if (size > 4096)
		return 0;
	for (m = 0; m < 2; m++) {
		if (au_dmarc_record_parse((const char *)data, size, (au_dmarc_mode)m,
		    &r, err, sizeof err) == AU_OK) {
			const au_dmarc_record_info *ri = au_dmarc_record_get(r);

			for (i = 0; i < au_dmarc_record_warning_count(r); i++)
				(void)strlen(au_dmarc_record_warning(r, i));
			for (i = 0; i < ri->nrua; i++)
				(void)strlen(ri->rua[i].uri);
			au_dmarc_record_free(r);
		}
	}
	au_buf_puts(&z, "$ORIGIN .\n$TTL 300\n"
	    "example.com. IN A 192.0.2.1\n"
	    "_dmarc.com. IN TXT \"v=DMARC1; p=reject; psd=y\"\n"
	    "_dmarc.example.com. IN TXT ");
	put_txt(&z, data, size);
	au_buf_puts(&z, "_dmarc.a.b.example.com. IN TXT ");
	put_txt(&z, data, size);
	if (au_dns_new_zone_text(&dns, au_buf_cstr(&z), z.len, err, sizeof err) == AU_OK) {
		evaluate(dns, AU_DMARC_RFC9989);
		evaluate(dns, AU_DMARC_RFC7489);
		au_dns_free(dns);
	}
	au_buf_free(&z);
	return 0;
}
