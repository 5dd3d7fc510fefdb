/*
 * dkim_key.c - DKIM keys:
 *   - public key records: RFC 6376 3.6.1 (v h k n p s t tags), 6.1.2 steps
 *     5-8 (what makes a record unusable), RFC 8463 4.2 (k=ed25519, p= the
 *     raw 32-octet key), RFC 8301 3.2 (RSA size);
 *   - private keys: PEM (PKCS#1 or PKCS#8 RSA, PKCS#8 Ed25519), DER, and
 *     the base64 raw Ed25519 seed written by dkimpy (RFC 8463 A.1 shows one),
 *     with the file permission check;
 *   - key generation and the key record text for a private key.
 *
 * Public keys are parsed once into a refcounted dkim_pubkey; the key cache
 * (dkim_keycache.c) shares them between messages and threads.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "au_status_int.h"
#include "dkim_int.h"

#define KEYFILE_MAX	65536

/* ------------------------------------------------------------ public keys */

dkim_pubkey *
au_dkim__pubkey_ref(dkim_pubkey *k)
{
	if (k)
		__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
	return k;
}

/*
 * The per-call state of a verification, pooled per key: a BN_CTX for RSA
 * (the key itself is shared read-only), an EVP_MD_CTX set up for Ed25519.
 */
static void
ctx_free(const dkim_pubkey *k, void *c)
{
	if (k->ktype == DKIM_KEY_RSA)
		BN_CTX_free(c);
	else
		EVP_MD_CTX_free(c);
}

void
au_dkim__pubkey_unref(dkim_pubkey *k)
{
	int i;

	if (k && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		for (i = 0; i < k->npool; i++)
			ctx_free(k, k->pool[i]);
		BN_MONT_CTX_free(k->rsa_mont);
		BN_free(k->rsa_n);
		BN_free(k->rsa_e);
		BN_free(k->rsa_prefix);
		pthread_mutex_destroy(&k->lock);
		EVP_PKEY_free(k->pkey);
		free(k);
	}
}

/* A verification context for k: from the pool, or a new one. */
static void *
ctx_get(dkim_pubkey *k)
{
	void *c = NULL;

	pthread_mutex_lock(&k->lock);
	if (k->npool > 0)
		c = k->pool[--k->npool];
	pthread_mutex_unlock(&k->lock);
	if (c)
		return c;
	if (k->ktype == DKIM_KEY_RSA) {
		return BN_CTX_new();
	} else {
		EVP_MD_CTX *mc = EVP_MD_CTX_new();

		if (mc == NULL || EVP_DigestVerifyInit(mc, NULL, NULL, NULL, k->pkey) != 1) {
			EVP_MD_CTX_free(mc);
			return NULL;
		}
		return mc;
	}
}

static void
ctx_put(dkim_pubkey *k, void *c)
{
	pthread_mutex_lock(&k->lock);
	if (k->npool < DKIM_CTX_POOL) {
		k->pool[k->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&k->lock);
	if (c)
		ctx_free(k, c);
}

/* DigestInfo for SHA-256 (RFC 8017 9.2, note 1); the 32 hash octets follow it. */
static const unsigned char sha256_di[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20
};

/*
 * RSASSA-PKCS1-v1_5 verification with SHA-256, RFC 8017 8.2.2: the
 * signature must be exactly as long as the modulus and, as an integer,
 * smaller than it; s^e mod n must equal the encoding EMSA-PKCS1-v1_5 makes
 * of the hash (9.2), read as an integer:
 *
 *   0x00 0x01 0xFF ... 0xFF 0x00 DigestInfo(SHA-256) H
 *
 * The hash fills the low 32 octets, so that integer is the same encoding
 * with a zero hash (made once per key, rsa_prefix) plus H: the test is
 * m - prefix == H.  Encoding and comparing, rather than parsing the
 * padding, is the method the RFC gives, and accepts exactly what OpenSSL's
 * RSA_verify accepts.  The exponentiation is OpenSSL's (BN_mod_exp_mont)
 * with the Montgomery form of n made once per key; this skips the per-call
 * set-up of the EVP_PKEY_verify path and its octet-string conversions of
 * the result.  Every input here is public: nothing needs constant time.
 */
static int
rsa_verify(dkim_pubkey *k, BN_CTX *bc, const unsigned char *sig, size_t siglen,
    const unsigned char *hash)
{
	BIGNUM *s, *m, *h;
	int ok = 0;

	if (k->rsa_mont == NULL || siglen != k->rsa_len)
		return 0;
	BN_CTX_start(bc);
	s = BN_CTX_get(bc);
	m = BN_CTX_get(bc);
	h = BN_CTX_get(bc);
	if (h != NULL && BN_bin2bn(sig, (int)siglen, s) != NULL &&
	    BN_ucmp(s, k->rsa_n) < 0 &&
	    BN_mod_exp_mont(m, s, k->rsa_e, k->rsa_n, bc, k->rsa_mont) == 1 &&
	    BN_cmp(m, k->rsa_prefix) >= 0 && BN_sub(m, m, k->rsa_prefix) == 1 &&
	    BN_bin2bn(hash, 32, h) != NULL)
		ok = BN_cmp(m, h) == 0;
	BN_CTX_end(bc);
	return ok;
}

int
au_dkim__pubkey_verify(dkim_pubkey *k, const unsigned char *sig, size_t siglen,
    const unsigned char *hash)
{
	void *c;
	int r;

	if (k->pkey == NULL || (k->ktype == DKIM_KEY_ED25519 && siglen != 64))
		return 0;
	if ((c = ctx_get(k)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	if (k->ktype == DKIM_KEY_RSA)
		r = rsa_verify(k, c, sig, siglen, hash);
	else
		r = EVP_DigestVerify(c, sig, siglen, hash, 32);
	if (r != 1)
		ERR_clear_error();
	/* "good" and "bad" leave the context reusable; an error may not. */
	if (r >= 0)
		ctx_put(k, c);
	else
		ctx_free(k, c);
	return r == 1;
}

/* Does the colon-separated list t contain word (exact, white space ignored)? */
static int
list_has(const au_tag *t, const char *word)
{
	size_t i = 0, s0, n, wl = strlen(word);

	while (i <= t->valuelen) {
		while (i < t->valuelen && (t->value[i] == ' ' || t->value[i] == '\t' ||
		    t->value[i] == '\r' || t->value[i] == '\n'))
			i++;
		s0 = i;
		while (i < t->valuelen && t->value[i] != ':')
			i++;
		n = i - s0;
		while (n > 0 && (t->value[s0 + n - 1] == ' ' || t->value[s0 + n - 1] == '\t' ||
		    t->value[s0 + n - 1] == '\r' || t->value[s0 + n - 1] == '\n'))
			n--;
		if (n == wl && memcmp(t->value + s0, word, n) == 0)
			return 1;
		i++;
	}
	return 0;
}

/* Turn DER (SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey) into a key. */
static EVP_PKEY *
rsa_from_der(const unsigned char *der, size_t n)
{
	const unsigned char *p = der;
	EVP_PKEY *pk;

	pk = d2i_PUBKEY(NULL, &p, (long)n);
	if (pk && p == der + n)
		return pk;
	EVP_PKEY_free(pk);
	p = der;
	pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)n);
	if (pk && p == der + n)
		return pk;
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return NULL;
}

/*
 * n, e and the Montgomery form of n for rsa_verify.  NULL, or why the key
 * cannot be used.  A public exponent is refused beyond 64 bits, as OpenSSL
 * does for moduli over 3072 bits: a key record is hostile input, and a
 * long exponent would make every verification with it arbitrarily slow.
 */
static const char *
rsa_prepare(dkim_pubkey *k)
{
	unsigned char em[DKIM_MAX_B];
	size_t klen, ps;
	BN_CTX *bc;
	int ok;

	if (EVP_PKEY_get_bn_param(k->pkey, "n", &k->rsa_n) != 1 ||
	    EVP_PKEY_get_bn_param(k->pkey, "e", &k->rsa_e) != 1) {
		ERR_clear_error();
		return "out of memory reading the RSA key";
	}
	if (!BN_is_odd(k->rsa_n))
		return "key record p= has an even RSA modulus (not a valid key)";
	if (BN_num_bits(k->rsa_e) > 64 || !BN_is_odd(k->rsa_e) || BN_is_one(k->rsa_e))
		return "key record p= has an RSA public exponent that is even, 1, or longer "
		    "than 64 bits (refused)";
	if ((k->rsa_mont = BN_MONT_CTX_new()) == NULL || (bc = BN_CTX_new()) == NULL) {
		ERR_clear_error();
		return "out of memory preparing the RSA key";
	}
	ok = BN_MONT_CTX_set(k->rsa_mont, k->rsa_n, bc) == 1;
	BN_CTX_free(bc);
	if (!ok) {
		ERR_clear_error();
		return "out of memory preparing the RSA key";
	}
	k->rsa_len = (size_t)BN_num_bytes(k->rsa_n);
	/* 0x00 0x01 PS 0x00 DigestInfo, and 32 zero octets where the hash goes */
	klen = k->rsa_len;
	if (klen < 3 + 8 + sizeof sha256_di + 32 || klen > DKIM_MAX_B)
		return "key record p= has an RSA modulus of an unusable size";
	ps = klen - 3 - sizeof sha256_di - 32;
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, ps);
	em[2 + ps] = 0x00;
	memcpy(em + 3 + ps, sha256_di, sizeof sha256_di);
	memset(em + klen - 32, 0, 32);
	if ((k->rsa_prefix = BN_bin2bn(em, (int)klen, NULL)) == NULL) {
		ERR_clear_error();
		return "out of memory preparing the RSA key";
	}
	return NULL;
}

dkim_pubkey *
au_dkim__pubkey_parse(const char *txt, size_t len, char *reason, size_t rlen)
{
	au_taglist tl;
	const au_tag *tv, *th, *tk, *tp, *ts, *tt;
	char err[160];
	dkim_pubkey *k;
	unsigned char *der = NULL;
	size_t derlen = 0;
	const char *why;

	if (len > DKIM_MAX_KEYREC) {
		au_status__msg(reason, rlen, "key record longer than %d octets", DKIM_MAX_KEYREC);
		return NULL;
	}
	if (au_tags_parse(&tl, txt, len, err, sizeof err) != AU_OK) {
		au_status__msg(reason, rlen, "key record syntax error: %s", err);
		return NULL;
	}
	if ((k = calloc(1, sizeof *k)) == NULL) {
		au_status__msg(reason, rlen, "out of memory");
		return NULL;
	}
	k->refs = 1;
	if (pthread_mutex_init(&k->lock, NULL) != 0) {
		free(k);
		au_status__msg(reason, rlen, "out of resources");
		return NULL;
	}
	k->empty_specs = tl.empty_specs;
	tv = au_tags_find(&tl, "v");
	th = au_tags_find(&tl, "h");
	tk = au_tags_find(&tl, "k");
	tp = au_tags_find(&tl, "p");
	ts = au_tags_find(&tl, "s");
	tt = au_tags_find(&tl, "t");
	if (tv) {
		k->v_present = 1;
		if (tv != &tl.tag[0]) {
			au_status__msg(reason, rlen, "key record v= is not the first tag");
			goto bad;
		}
		if (tv->valuelen != 5 || memcmp(tv->value, "DKIM1", 5) != 0) {
			au_status__msg(reason, rlen, "key record v=%.*s is not DKIM1",
			    (int)(tv->valuelen > 20 ? 20 : tv->valuelen), tv->value);
			goto bad;
		}
	}
	if (tk == NULL || (tk->valuelen == 3 && memcmp(tk->value, "rsa", 3) == 0))
		k->ktype = DKIM_KEY_RSA;
	else if (tk->valuelen == 7 && memcmp(tk->value, "ed25519", 7) == 0)
		k->ktype = DKIM_KEY_ED25519;
	else {
		au_status__msg(reason, rlen, "key record has an unknown key type k=%.*s",
		    (int)(tk->valuelen > 20 ? 20 : tk->valuelen), tk->value);
		goto bad;
	}
	k->sha256_ok = th == NULL || list_has(th, "sha256");
	k->sha1_only = th != NULL && !k->sha256_ok && list_has(th, "sha1");
	k->email_ok = ts == NULL || list_has(ts, "email") || list_has(ts, "*");
	if (tt) {
		k->testing = list_has(tt, "y");
		k->strict = list_has(tt, "s");
	}
	if (tp == NULL) {
		au_status__msg(reason, rlen, "key record has no p= tag");
		goto bad;
	}
	if (tp->valuelen == 0) {
		k->revoked = 1;
		return k;
	}
	if ((der = malloc(tp->valuelen)) == NULL) {
		au_status__msg(reason, rlen, "out of memory");
		goto bad;
	}
	if (au_dkim__b64_decode(tp->value, tp->valuelen, der, tp->valuelen, &derlen) < 0 ||
	    derlen == 0) {
		au_status__msg(reason, rlen, "key record p= is not valid base64");
		goto bad;
	}
	if (k->ktype == DKIM_KEY_ED25519) {
		if (derlen != 32) {
			au_status__msg(reason, rlen, "key record p= for k=ed25519 holds %zu octets, not 32",
			    derlen);
			goto bad;
		}
		k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, 32);
		k->bits = 256;
	} else {
		k->pkey = rsa_from_der(der, derlen);
		if (k->pkey && EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA) {
			au_status__msg(reason, rlen, "key record p= is not an RSA key but k=rsa");
			goto bad;
		}
		if (k->pkey) {
			k->bits = (unsigned)EVP_PKEY_get_bits(k->pkey);
			/* Keys the verifier refuses for their size get no Montgomery form. */
			if (k->bits >= DKIM_RSA_MIN_BITS && k->bits <= DKIM_RSA_MAX_VERIFY_BITS &&
			    (why = rsa_prepare(k)) != NULL) {
				au_status__msg(reason, rlen, "%s", why);
				goto bad;
			}
		}
	}
	if (k->pkey == NULL) {
		ERR_clear_error();
		au_status__msg(reason, rlen, "key record p= is not a valid %s public key",
		    k->ktype == DKIM_KEY_RSA ? "RSA" : "Ed25519");
		goto bad;
	}
	free(der);
	return k;
bad:
	free(der);
	au_dkim__pubkey_unref(k);
	return NULL;
}

/* ------------------------------------------------------------ private keys */

static int
no_password(char *buf, int size, int rwflag, void *u)
{
	return -1;	/* encrypted keys are not supported */
}

/* Take an EVP_PKEY as a signing key: RSA 1024..4096 bits or Ed25519. */
static au_status
adopt(au_dkim_private_key **out, EVP_PKEY *pk, char *err, size_t errlen)
{
	au_dkim_private_key *k;
	int id = EVP_PKEY_get_base_id(pk);
	unsigned bits = (unsigned)EVP_PKEY_get_bits(pk);

	if (id == EVP_PKEY_RSA) {
		if (bits < DKIM_RSA_MIN_BITS) {
			au_status__msg(err, errlen, "RSA key of %u bits is shorter than %d (RFC 8301); "
			    "make a new one with 'authtool dkim keygen'", bits, DKIM_RSA_MIN_BITS);
			EVP_PKEY_free(pk);
			return AU_ESYNTAX;
		}
		if (bits > DKIM_RSA_MAX_SIGN_BITS) {
			au_status__msg(err, errlen, "RSA key of %u bits is longer than %d: verifiers "
			    "need not accept it (RFC 8301 3.2)", bits, DKIM_RSA_MAX_SIGN_BITS);
			EVP_PKEY_free(pk);
			return AU_ESYNTAX;
		}
	} else if (id != EVP_PKEY_ED25519) {
		au_status__msg(err, errlen, "key is neither RSA nor Ed25519 (DKIM signs with these only)");
		EVP_PKEY_free(pk);
		return AU_ESYNTAX;
	}
	if ((k = calloc(1, sizeof *k)) == NULL) {
		EVP_PKEY_free(pk);
		return AU_ENOMEM;
	}
	k->pkey = pk;
	k->alg = id == EVP_PKEY_RSA ? AU_DKIM_RSA_SHA256 : AU_DKIM_ED25519_SHA256;
	k->bits = bits;
	*out = k;
	return AU_OK;
}

au_status
au_dkim_key_load_mem(au_dkim_private_key **out, const void *data, size_t len,
    char *err, size_t errlen)
{
	const char *s = data;
	EVP_PKEY *pk = NULL;
	BIO *bio;
	unsigned char raw[128];
	size_t rawlen = 0, i;
	const unsigned char *p;

	*out = NULL;
	if (data == NULL || len == 0) {
		au_status__msg(err, errlen, "no key data");
		return AU_EINVAL;
	}
	if (len > KEYFILE_MAX) {
		au_status__msg(err, errlen, "key data larger than %d bytes", KEYFILE_MAX);
		return AU_ETOOBIG;
	}
	if (len >= 11 && memmem(s, len, "-----BEGIN ", 11) != NULL) {
		if (memmem(s, len, "ENCRYPTED", 9) != NULL) {
			au_status__msg(err, errlen, "the key is encrypted; decrypt it first "
			    "(openssl pkey -in KEY -out PLAIN)");
			return AU_ESYNTAX;
		}
		if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
			return AU_ENOMEM;
		pk = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
		BIO_free(bio);
		ERR_clear_error();
		if (pk == NULL) {
			au_status__msg(err, errlen, "not a PEM private key (want PKCS#1 'RSA PRIVATE KEY' "
			    "or PKCS#8 'PRIVATE KEY')");
			return AU_ESYNTAX;
		}
		return adopt(out, pk, err, errlen);
	}
	/* Binary DER. */
	if (len > 0 && (unsigned char)s[0] == 0x30) {
		p = data;
		pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
		ERR_clear_error();
		if (pk)
			return adopt(out, pk, err, errlen);
	}
	/* Base64 text: a raw Ed25519 seed (32 octets) or seed + public key (64). */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '=' ||
		    c == '+' || c == '/' || (c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			break;
	}
	if (i == len && au_dkim__b64_decode(s, len, raw, sizeof raw, &rawlen) == 0 &&
	    (rawlen == 32 || rawlen == 64)) {
		pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32);
		if (pk && rawlen == 64) {
			unsigned char pub[32];
			size_t pl = sizeof pub;

			if (EVP_PKEY_get_raw_public_key(pk, pub, &pl) != 1 ||
			    memcmp(pub, raw + 32, 32) != 0) {
				EVP_PKEY_free(pk);
				OPENSSL_cleanse(raw, sizeof raw);
				au_status__msg(err, errlen, "64-octet Ed25519 key: its second half is not "
				    "the public key of its first half");
				return AU_ESYNTAX;
			}
		}
		OPENSSL_cleanse(raw, sizeof raw);
		ERR_clear_error();
		if (pk)
			return adopt(out, pk, err, errlen);
	}
	OPENSSL_cleanse(raw, sizeof raw);
	au_status__msg(err, errlen, "not a private key: want PEM (PKCS#1 or PKCS#8), DER, or a "
	    "base64 Ed25519 seed");
	return AU_ESYNTAX;
}

au_status
au_dkim_key_load(au_dkim_private_key **out, const char *path, int require_safe,
    char *err, size_t errlen)
{
	int fd, rerr = 0;
	struct stat sb;
	char *buf;
	ssize_t n;
	size_t len = 0;
	au_status st;
	char sub[200];

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		int e = errno;

		au_status__msg(err, errlen, "cannot open key file %s: %s", path, strerror(e));
		return e == ENOENT ? AU_ENOTFOUND : AU_EIO;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		au_status__msg(err, errlen, "key file %s is not a regular file", path);
		close(fd);
		return AU_EIO;
	}
	if (require_safe && (sb.st_mode & (S_IRWXG | S_IRWXO))) {
		snprintf(sub, sizeof sub, "%s%s%s",
		    (sb.st_mode & (S_IRGRP | S_IROTH)) ? "readable" : "",
		    ((sb.st_mode & (S_IRGRP | S_IROTH)) &&
		    (sb.st_mode & (S_IWGRP | S_IWOTH | S_IXGRP | S_IXOTH))) ? " and " : "",
		    (sb.st_mode & (S_IWGRP | S_IWOTH)) ? "writable" :
		    (sb.st_mode & (S_IXGRP | S_IXOTH)) ? "executable" : "");
		au_status__msg(err, errlen, "key file %s is %s by group/others (mode %04o); chmod 600 %s",
		    path, sub, (unsigned)(sb.st_mode & 07777), path);
		close(fd);
		return AU_EPERM;
	}
	if (sb.st_size > KEYFILE_MAX) {
		au_status__msg(err, errlen, "key file %s is larger than %d bytes", path, KEYFILE_MAX);
		close(fd);
		return AU_ETOOBIG;
	}
	if ((buf = malloc(KEYFILE_MAX + 1)) == NULL) {
		close(fd);
		return AU_ENOMEM;
	}
	while ((n = read(fd, buf + len, KEYFILE_MAX + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rerr = errno;
			break;
		}
		len += (size_t)n;
		if (len > KEYFILE_MAX)
			break;
	}
	close(fd);
	if (n < 0 || len > KEYFILE_MAX) {
		au_status__msg(err, errlen, "reading key file %s: %s", path,
		    n < 0 ? strerror(rerr) : "file too large");
		OPENSSL_cleanse(buf, len);
		free(buf);
		return n < 0 ? AU_EIO : AU_ETOOBIG;
	}
	st = au_dkim_key_load_mem(out, buf, len, sub, sizeof sub);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (st != AU_OK)
		au_status__msg(err, errlen, "key file %s: %s", path, sub);
	return st;
}

au_dkim_alg
au_dkim_key_alg(const au_dkim_private_key *k)
{
	return k->alg;
}

unsigned
au_dkim_key_bits(const au_dkim_private_key *k)
{
	return k->bits;
}

au_dkim_private_key *
au_dkim_key_free(au_dkim_private_key *k)
{
	if (k) {
		EVP_PKEY_free(k->pkey);
		free(k);
	}
	return NULL;
}

au_status
au_dkim_key_generate(au_dkim_private_key **out, au_dkim_alg alg, unsigned bits,
    char *err, size_t errlen)
{
	EVP_PKEY *pk = NULL;

	*out = NULL;
	if (alg == AU_DKIM_RSA_SHA256) {
		if (bits == 0)
			bits = 2048;
		if (bits < DKIM_RSA_MIN_BITS || bits > DKIM_RSA_MAX_SIGN_BITS) {
			au_status__msg(err, errlen, "RSA keys must have %d to %d bits, not %u",
			    DKIM_RSA_MIN_BITS, DKIM_RSA_MAX_SIGN_BITS, bits);
			return AU_EINVAL;
		}
		pk = EVP_RSA_gen(bits);
	} else if (alg == AU_DKIM_ED25519_SHA256) {
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	} else {
		au_status__msg(err, errlen, "keys are generated for rsa-sha256 or ed25519-sha256 only");
		return AU_EINVAL;
	}
	if (pk == NULL) {
		ERR_clear_error();
		au_status__msg(err, errlen, "key generation failed in OpenSSL");
		return AU_ECRYPTO;
	}
	return adopt(out, pk, err, errlen);
}

au_status
au_dkim_key_pem(const au_dkim_private_key *k, char **out)
{
	BIO *bio;
	char *p;
	long n;
	au_status st = AU_OK;

	*out = NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return AU_ENOMEM;
	if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		ERR_clear_error();
		BIO_free(bio);
		return AU_ECRYPTO;
	}
	n = BIO_get_mem_data(bio, &p);
	if ((*out = malloc((size_t)n + 1)) == NULL)
		st = AU_ENOMEM;
	else {
		memcpy(*out, p, (size_t)n);
		(*out)[n] = '\0';
	}
	BIO_free(bio);
	return st;
}

au_status
au_dkim_key_record(const au_dkim_private_key *k, char **out)
{
	unsigned char *der = NULL, raw[32];
	size_t rl = sizeof raw;
	int n;
	char *txt;

	*out = NULL;
	if (k->alg == AU_DKIM_ED25519_SHA256) {
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rl) != 1 || rl != 32)
			return AU_ECRYPTO;
		if ((txt = malloc(64 + 45)) == NULL)
			return AU_ENOMEM;
		n = snprintf(txt, 64, "v=DKIM1; k=ed25519; p=");
		au_dkim__b64_encode(raw, 32, txt + n);
		*out = txt;
		return AU_OK;
	}
	/* RSA: SubjectPublicKeyInfo, what every verifier reads. */
	if ((n = i2d_PUBKEY(k->pkey, &der)) <= 0) {
		ERR_clear_error();
		return AU_ECRYPTO;
	}
	if ((txt = malloc(32 + 4 * (((size_t)n + 2) / 3) + 1)) == NULL) {
		OPENSSL_free(der);
		return AU_ENOMEM;
	}
	strcpy(txt, "v=DKIM1; k=rsa; p=");
	au_dkim__b64_encode(der, (size_t)n, txt + strlen(txt));
	OPENSSL_free(der);
	*out = txt;
	return AU_OK;
}

int
au_dkim_key_matches_record(const au_dkim_private_key *k, const char *txt, size_t len)
{
	char reason[200];
	dkim_pubkey *pk = au_dkim__pubkey_parse(txt, len, reason, sizeof reason);
	int r;

	if (pk == NULL)
		return -1;
	if (pk->pkey == NULL)
		r = 0;
	else
		r = EVP_PKEY_eq(pk->pkey, k->pkey) == 1;
	ERR_clear_error();
	au_dkim__pubkey_unref(pk);
	return r;
}

au_status
au_dkim_keyrec_parse(const char *txt, size_t len, au_dkim_keyrec_info *info)
{
	dkim_pubkey *k;

	memset(info, 0, sizeof *info);
	k = au_dkim__pubkey_parse(txt, len, info->reason, sizeof info->reason);
	if (k == NULL)
		return AU_ESYNTAX;
	info->revoked = k->revoked;
	info->testing = k->testing;
	info->strict = k->strict;
	info->alg = k->ktype == DKIM_KEY_ED25519 ? AU_DKIM_ED25519_SHA256 : AU_DKIM_RSA_SHA256;
	info->bits = k->bits;
	info->sha256_ok = k->sha256_ok;
	info->sha1_only = k->sha1_only;
	info->email_ok = k->email_ok;
	info->v_present = k->v_present;
	info->empty_specs = k->empty_specs;
	au_dkim__pubkey_unref(k);
	return AU_OK;
}
