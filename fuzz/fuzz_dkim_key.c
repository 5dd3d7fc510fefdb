/*
 * fuzz_dkim_key.c - libFuzzer target for DKIM key records (RFC 6376 3.6.1,
 * RFC 8463 4.2) and private key files: the input is a TXT record, and
 * (when short) a key file.  Checked: a parsed record that is not revoked
 * holds a key of the type it names; Ed25519 keys are 256 bits; a refusal
 * says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "au_dkim.h"
#include "dkim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[256];
	dkim_pubkey *k;
	au_dkim_keyrec_info info;
	au_dkim_private_key *pk = NULL;

	if (size > 16384)
		return 0;
	reason[0] = '\0';
	k = au_dkim__pubkey_parse((const char *)data, size, reason, sizeof reason);
	if (k == NULL) {
		if (reason[0] == '\0')
			abort();
	} else {
		if (!k->revoked && k->pkey == NULL)
			abort();
		if (k->pkey && k->ktype == DKIM_KEY_ED25519 &&
		    (EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_ED25519 || k->bits != 256))
			abort();
		if (k->pkey && k->ktype == DKIM_KEY_RSA &&
		    EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA)
			abort();
		au_dkim__pubkey_unref(k);
	}
	if ((au_dkim_keyrec_parse((const char *)data, size, &info) == AU_OK) != (k != NULL))
		abort();
	if (size < 4096 && au_dkim_key_load_mem(&pk, data, size, reason, sizeof reason) == AU_OK) {
		if (pk == NULL)
			abort();
		au_dkim_key_free(pk);
	}
	return 0;
}
