/*
 * fuzz_zone.c - libFuzzer target for our RFC 1035 master-file reader
 * (dns_zone_parse.c) and the zone query path (dns_zone.c).
 *
 * The input is loaded as master-file text; when it loads, a few names taken
 * from the input itself and some fixed ones are queried for every type, so
 * CNAME chains, ;%TIMEOUT marks and empty non-terminals get exercised.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "au_dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const au_dns_type types[] = {
	AU_DNS_T_A, AU_DNS_T_NS, AU_DNS_T_CNAME, AU_DNS_T_SOA, AU_DNS_T_PTR,
	AU_DNS_T_MX, AU_DNS_T_TXT, AU_DNS_T_AAAA, AU_DNS_T_SPF,
	(au_dns_type)65280,
};

static void
query_all(au_dns *dns, const char *name)
{
	au_dns_answer *a;
	size_t i, j;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (au_dns_query(dns, name, types[i], &a) != AU_OK)
			continue;
		/* Touch every record so a bad answer shows up under ASan. */
		for (j = 0; j < a->count; j++) {
			if (types[i] == AU_DNS_T_TXT || types[i] == AU_DNS_T_SPF)
				(void)memchr(a->rr[j].u.txt.data, 0,
				    a->rr[j].u.txt.len + 1);
			else if (types[i] == AU_DNS_T_MX)
				(void)strlen(a->rr[j].u.mx.host);
			else if (types[i] == AU_DNS_T_CNAME ||
			    types[i] == AU_DNS_T_PTR || types[i] == AU_DNS_T_NS)
				(void)strlen(a->rr[j].u.name);
		}
		au_dns_answer_free(a);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *fixed[] = {
		"a", "example", "a.example", "www.example.com", "x.y.z",
		"null.example.com", "loop.example",
	};
	char name[300];
	au_dns *dns;
	char err[256];
	size_t i, n, start;

	if (au_dns_new_zone_text(&dns, (const char *)data, size, err,
	    sizeof(err)) != AU_OK)
		return 0;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		query_all(dns, fixed[i]);
	/* The first word of the first few lines, as a name. */
	for (start = 0, n = 0; start < size && n < 4; n++) {
		for (i = 0; start + i < size && i < sizeof(name) - 1 &&
		    data[start + i] != ' ' && data[start + i] != '\t' &&
		    data[start + i] != '\n' && data[start + i] != '\0'; i++)
			name[i] = (char)data[start + i];
		name[i] = '\0';
		query_all(dns, name);
		while (start < size && data[start] != '\n')
			start++;
		start++;
	}
	au_dns_free(dns);
	return 0;
}
