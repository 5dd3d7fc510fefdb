/*
 * fromaddr.c - the address of a From header field, for the SigningTable
 * lookup: the first mailbox, as lower-case "local@domain".  The parsing is
 * libauth's RFC 5322 address-list parser (au_addr), the same one DMARC
 * uses, so signing and verification never disagree on the From address.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "au_addr.h"
#include "tables.h"

int
am_from_address(const char *v, size_t len, char *out, size_t outlen)
{
	au_addr_list *l = NULL;
	const au_addr *a;
	char err[128];
	int n, rc = -1;
	size_t i;

	if (au_addr_parse(v, len, &l, err, sizeof(err)) != AU_OK)
		return -1;
	if (l->naddrs > 0) {
		a = &l->addrs[0];
		if (a->domain != NULL && a->domain[0] != '\0' && a->local != NULL) {
			n = snprintf(out, outlen, "%s@%s", a->local, a->domain);
			if (n > 0 && (size_t)n < outlen) {
				for (i = 0; out[i]; i++)
					out[i] = (char)tolower((unsigned char)out[i]);
				rc = 0;
			}
		}
	}
	au_addr_list_free(l);
	return rc;
}
