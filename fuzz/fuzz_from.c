/*
 * fuzz_from.c - libFuzzer target for the RFC 5322 address-list parser
 * (addr.c) and the From handling of the message session (msg.c): the
 * input is a From field value.  It is parsed alone, then sent through an
 * au_msg session (SPF and DKIM off, DMARC on, records from an in-memory
 * zone) as the only From field, and as one of two From fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_addr.h"
#include "au_buf.h"
#include "au_dns.h"
#include "au_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone[] =
	"$ORIGIN .\n$TTL 300\n"
	"_dmarc.example.com. IN TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
	"example.com. IN A 192.0.2.1\n";

static au_dns *dns;

static void
session(const uint8_t *data, size_t size, int twice)
{
	au_msg_opts o;
	au_msg *m = NULL;
	au_buf f = AU_BUF_INIT(0);
	char *ar = NULL;

	memset(&o, 0, sizeof o);
	o.authserv_id = "fuzz.example";
	o.no_spf = 1;
	o.no_dkim = 1;
	if (au_msg_new(&m, dns, &o) != AU_OK)
		return;
	au_msg_connect(m, "192.0.2.1", "helo.example");
	au_buf_puts(&f, "From:");
	au_buf_append(&f, data, size);
	au_msg_header(m, f.data, f.len);
	if (twice)
		au_msg_header(m, "From: other@example.com", 23);
	au_msg_header(m, "Subject: x", 10);
	au_msg_eoh(m);
	au_msg_body(m, "body\r\n", 6);
	if (au_msg_eom(m) == AU_OK && au_msg_ar_value(m, &ar) == AU_OK) {
		if (strchr(ar, '\n') && strstr(ar, "\r\n") == NULL)
			abort();	/* folds are CRLF TAB only */
		free(ar);
	}
	au_msg_free(m);
	au_buf_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	au_addr_list *l = NULL;
	char err[256];
	size_t i;

	if (size > 2 * AU_ADDR_MAX_FIELD)
		return 0;
	if (dns == NULL && au_dns_new_zone_text(&dns, zone, sizeof zone - 1, err,
	    sizeof err) != AU_OK)
		abort();
	if (au_addr_parse((const char *)data, size, &l, err, sizeof err) == AU_OK) {
		for (i = 0; i < l->naddrs; i++)
			if (l->addrs[i].domain == NULL && l->addrs[i].literal == NULL)
				abort();
		au_addr_list_free(l);
	}
	session(data, size, 0);
	session(data, size, 1);
	return 0;
}
