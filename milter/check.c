/*
 * check.c - the checks of `authmilter -n` beyond reading the file: the
 * Socket value, and for every signing key its DKIM key record in DNS
 * (RFC 6376 3.6.2.2: SELECTOR._domainkey.DOMAIN TXT) and whether the
 * record's p= is the public half of the private key we hold.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "conf.h"
#include "au_ip.h"

/* ---------------------------------------------------------------- socket */

static int
port_ok(const char *s, size_t len)
{
	unsigned long n = 0;
	size_t i;

	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	return n >= 1 && n <= 65535;
}

int
am_socket_check(const char *spec, char *err, size_t errlen)
{
	const char *rest, *at;
	struct stat sb;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;
	int v6;

	if (strncasecmp(spec, "unix:", 5) == 0 || strncasecmp(spec, "local:", 6) == 0 ||
	    spec[0] == '/') {
		rest = spec[0] == '/' ? spec : strchr(spec, ':') + 1;
		if (rest[0] != '/') {
			snprintf(err, errlen, "'%s': the socket path must be absolute",
			    spec);
			return -1;
		}
		if (strlen(rest) >= sizeof(dir)) {
			snprintf(err, errlen, "'%s': the socket path is longer than "
			    "%zu bytes", spec, sizeof(dir) - 1);
			return -1;
		}
		snprintf(dir, sizeof(dir), "%s", rest);
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "'%s': directory %s does not exist",
			    spec, dir);
			return -1;
		}
		return 0;
	}
	if (strncasecmp(spec, "inet:", 5) == 0)
		v6 = 0, rest = spec + 5;
	else if (strncasecmp(spec, "inet6:", 6) == 0)
		v6 = 1, rest = spec + 6;
	else {
		snprintf(err, errlen, "'%s' is not inet:PORT@HOST, inet6:PORT@HOST "
		    "or unix:/path", spec);
		return -1;
	}
	at = strchr(rest, '@');
	if (!port_ok(rest, at ? (size_t)(at - rest) : strlen(rest))) {
		snprintf(err, errlen, "'%s': the port must be a number from 1 to "
		    "65535", spec);
		return -1;
	}
	if (at != NULL) {
		au_ip ip;
		char host[256];
		size_t hl = strlen(at + 1);

		if (hl == 0 || hl >= sizeof(host)) {
			snprintf(err, errlen, "'%s': bad host after '@'", spec);
			return -1;
		}
		snprintf(host, sizeof(host), "%s", at + 1);
		if (au_ip_parse_str(host, &ip) == AU_OK) {
			if ((ip.family == AU_IP_V6) != v6) {
				snprintf(err, errlen, "'%s': %s address with %s", spec,
				    v6 ? "an IPv4" : "an IPv6", v6 ? "inet6" : "inet");
				return -1;
			}
		} else {
			const char *p;

			for (p = host; *p; p++)
				if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-') {
					snprintf(err, errlen, "'%s': '%s' is neither an "
					    "address nor a host name", spec, host);
					return -1;
				}
		}
	}
	return 0;
}

/* ------------------------------------------------------------ key match */

/* Base64 of n bytes into a malloc'd string. */
static char *
b64(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/*
 * The public key(s) of a private key file as a DKIM p= value: for RSA the
 * SubjectPublicKeyInfo and the bare RSAPublicKey forms, for Ed25519 the
 * raw 32 bytes.  Returns 0, or -1 if the file cannot be read this way.
 */
static int
public_b64(const char *path, char **spki, char **pkcs1)
{
	unsigned char *der = NULL, raw[64], buf[8192];
	EVP_PKEY *pk = NULL;
	size_t rawlen = sizeof(raw), n;
	int len, ok = -1;
	FILE *fp;
	BIO *bio;

	*spki = *pkcs1 = NULL;
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (strstr((char *)buf, "-----BEGIN") != NULL) {
		if ((bio = BIO_new_mem_buf(buf, (int)n)) != NULL) {
			pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
			BIO_free(bio);
		}
	} else {
		/* the raw base64 Ed25519 seed of OpenDKIM / dkimpy */
		unsigned char seed[64];
		char *s = (char *)buf, *e = s + n;

		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e - s == 44 && EVP_DecodeBlock(seed, (unsigned char *)s, 44) == 33)
			pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
			    seed, 32);
	}
	if (pk == NULL)
		return -1;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) == 1 &&
		    (*spki = b64(raw, rawlen)) != NULL)
			ok = 0;
	} else {
		if ((len = i2d_PUBKEY(pk, &der)) > 0 &&
		    (*spki = b64(der, (size_t)len)) != NULL)
			ok = 0;
		OPENSSL_free(der);
		der = NULL;
		if ((len = i2d_PublicKey(pk, &der)) > 0)
			*pkcs1 = b64(der, (size_t)len);
		OPENSSL_free(der);
	}
	EVP_PKEY_free(pk);
	return ok;
}

/* The p= tag of a key record, whitespace removed (malloc'd), or NULL. */
static char *
record_p(const char *txt, size_t len)
{
	const char *p = txt, *end = txt + len, *semi;
	char *out;
	size_t n;

	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		if (end - p >= 1 && *p == 'p') {
			const char *q = p + 1;

			while (q < semi && isspace((unsigned char)*q))
				q++;
			if (q < semi && *q == '=') {
				if ((out = malloc((size_t)(semi - q))) == NULL)
					return NULL;
				for (n = 0, q++; q < semi; q++)
					if (!isspace((unsigned char)*q))
						out[n++] = *q;
				out[n] = '\0';
				return out;
			}
		}
		p = semi + 1;
	}
	return NULL;
}

static void
check_record(const am_conf *c, const am_key *k, const char *domain,
    am_problems *pr)
{
	char name[600], *p = NULL, *spki = NULL, *pkcs1 = NULL;
	au_dns_answer *a = NULL;
	size_t i;
	int found = 0;

	snprintf(name, sizeof(name), "%s._domainkey.%s", k->selector, domain);
	if (au_dns_query(c->dns->dns, name, AU_DNS_T_TXT, &a) != AU_OK) {
		am_problem(pr, 0, k->where, "could not look up %s", name);
		return;
	}
	switch (a->outcome) {
	case AU_DNS_NXDOMAIN:
	case AU_DNS_NODATA:
		am_problem(pr, 1, k->where,
		    "no DKIM key record at %s TXT (publish the public key, e.g. "
		    "the S.txt of `authtool dkim keygen`)", name);
		goto out;
	case AU_DNS_SERVFAIL:
	case AU_DNS_TIMEOUT:
		am_problem(pr, 0, k->where, "DNS could not say whether %s exists "
		    "(%s%s%s)", name, au_dns_outcome_str(a->outcome),
		    a->reason[0] ? ": " : "", a->reason);
		goto out;
	case AU_DNS_RECORDS:
		break;
	}
	for (i = 0; i < a->count && !found; i++) {
		free(p);
		p = record_p(a->rr[i].u.txt.data, a->rr[i].u.txt.len);
		if (p != NULL)
			found = 1;
	}
	if (!found) {
		am_problem(pr, 1, k->where, "%s TXT is not a DKIM key record (no p=)",
		    name);
		goto out;
	}
	if (*p == '\0') {
		am_problem(pr, 1, k->where, "%s has an empty p=: the key is revoked",
		    name);
		goto out;
	}
	if (k->path == NULL || public_b64(k->path, &spki, &pkcs1) < 0)
		goto out;	/* a format only libauth reads: nothing to compare */
	if (strcmp(p, spki) != 0 && (pkcs1 == NULL || strcmp(p, pkcs1) != 0))
		am_problem(pr, 1, k->where,
		    "the public key at %s does not match the private key %s",
		    name, k->path);
out:
	free(p);
	free(spki);
	free(pkcs1);
	au_dns_answer_free(a);
}

void
am_conf_check(const am_conf *c, am_problems *pr)
{
	size_t i, j;

	if (c->dns == NULL || c->dns->dns == NULL)
		return;
	for (i = 0; i < c->keys.n; i++) {
		const am_key *k = &c->keys.keys[i];

		if (k->key == NULL || !k->used)
			continue;
		if (strcmp(k->domain, "%") != 0) {
			check_record(c, k, k->domain, pr);
			continue;
		}
		if (c->keytable == NULL) {
			for (j = 0; j < c->domains.n; j++)
				check_record(c, k, c->domains.v[j], pr);
			continue;
		}
		am_problem(pr, 0, k->where, "key '%s' signs as the From domain "
		    "(%%): its DNS record cannot be checked here", k->name);
	}
	if (c->pidfile != NULL) {
		char dir[4096], *slash;
		struct stat sb;

		snprintf(dir, sizeof(dir), "%s", c->pidfile);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
				am_problem(pr, 1, "PidFile", "directory %s does not "
				    "exist", dir);
		}
	}
}
