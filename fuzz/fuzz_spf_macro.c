/*
 * fuzz_spf_macro.c - libFuzzer target for SPF macro expansion
 * (spf_macro.c, RFC 7208 section 7).
 *
 * The input is split at NUL bytes into the macro text, the sender and the
 * client IP (missing parts get fixed values); the text is expanded both as
 * a domain-spec and as an explanation.  The result must respect the bounds:
 * at most 253 octets for a domain (unless one label is longer), at most
 * AU_SPF_MAX_EXPLANATION for an explanation.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "au_spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *spec, *sender = "strong-bad@email.example.com";
	char *ip = "192.0.2.3", *out, *p, err[256];
	int explain;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	spec = buf;
	if ((p = memchr(buf, '\0', size)) != NULL && p < buf + size) {
		sender = p + 1;
		if ((p = memchr(sender, '\0', (size_t)(buf + size - sender))) != NULL &&
		    p < buf + size)
			ip = p + 1;
	}
	for (explain = 0; explain < 2; explain++) {
		if (au_spf_macro_expand(spec, ip, sender, "email.example.com",
		    "helo.example", explain ? "mx.example" : NULL, explain, &out,
		    err, sizeof err) != AU_OK) {
			(void)strlen(err);
			continue;
		}
		if (explain && strlen(out) > AU_SPF_MAX_EXPLANATION)
			abort();
		if (!explain && strlen(out) > 253 && strchr(out, '.') != NULL)
			abort();
		free(out);
	}
	free(buf);
	return 0;
}
