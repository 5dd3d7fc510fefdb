/*
 * au_dkim.h - DKIM signing and verification, RFC 6376, RFC 8301, RFC 8463.
 *
 * Both directions are streaming and follow the milter event order:
 *   header field * -> end of headers -> body chunk * -> end of message.
 * A header field is passed whole, as it appeared in the message, WITHOUT
 * its final line end: "Name:value", folded lines joined by CRLF (a bare LF
 * is accepted and treated as CRLF).  Body chunks may be of any size and
 * split anywhere; line ends are CRLF, a bare LF counts as CRLF.  Memory per
 * message stays bounded whatever the body size.
 *
 * Keys: private keys are parsed once (au_dkim_key_load*) and may be shared
 * by any number of signers and threads.  Public keys fetched from DNS are
 * cached, parsed, with the DNS TTL, in an au_dkim_keycache that the
 * application creates once and names in au_dkim_verify_opts (thread-safe;
 * without one, each verification parses the keys it fetches).
 *
 * Bounds: a message may have at most 1000 header fields and 1 MB of header
 * fields; beyond that the verifier gives every signature permerror and the
 * signer refuses (AU_ETOOBIG).  At most max_signatures signatures (default
 * 10, the topmost) are checked; further DKIM-Signature fields are not kept,
 * parsed, hashed or looked up, only counted (au_dkim_verifier_ignored), so
 * they cost nothing and do not count against the bounds (a checked
 * signature whose h= names DKIM-Signature cannot select them).
 */
#ifndef AU_DKIM_H
#define AU_DKIM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "au_status.h"
#include "au_dns.h"

typedef enum au_dkim_result {
	AU_DKIM_NONE = 0,	/* no signature (message-level only) */
	AU_DKIM_PASS,
	AU_DKIM_FAIL,
	AU_DKIM_NEUTRAL,
	AU_DKIM_POLICY,
	AU_DKIM_TEMPERROR,
	AU_DKIM_PERMERROR
} au_dkim_result;

typedef enum au_dkim_alg {
	AU_DKIM_RSA_SHA256 = 0,
	AU_DKIM_ED25519_SHA256,
	AU_DKIM_RSA_SHA1	/* recognised, refused on verify (RFC 8301) */
} au_dkim_alg;

typedef enum au_dkim_canon {
	AU_DKIM_CANON_RELAXED = 0,
	AU_DKIM_CANON_SIMPLE
} au_dkim_canon;

/* One verified signature. Strings are owned by the verifier. */
typedef struct au_dkim_sig_result {
	au_dkim_result	 result;
	const char	*domain;	/* d= (NULL if unparseable) */
	const char	*selector;	/* s= */
	const char	*identity;	/* i= or "@d" */
	const char	*b_prefix;	/* first 8+ chars of b=, for header.b */
	au_dkim_alg	 alg;
	int		 testing;	/* key t=y */
	int		 body_length_partial; /* l= shorter than the body */
	char		 reason[256];	/* e.g. "body hash mismatch" */
} au_dkim_sig_result;

typedef struct au_dkim_private_key au_dkim_private_key;
typedef struct au_dkim_keycache au_dkim_keycache;

/*
 * Load a private key: PEM (PKCS#1 or PKCS#8 RSA, PKCS#8 Ed25519) or the
 * base64 raw 32-byte Ed25519 seed.  With require_safe, a file that group or
 * others may read or write is refused (AU_EPERM).  err gets a sentence.
 */
AU_API au_status au_dkim_key_load(au_dkim_private_key **out, const char *path,
    int require_safe, char *err, size_t errlen);
AU_API au_status au_dkim_key_load_mem(au_dkim_private_key **out, const void *data,
    size_t len, char *err, size_t errlen);
AU_API au_dkim_alg au_dkim_key_alg(const au_dkim_private_key *k);
/* RSA modulus bits, or 256 for Ed25519. */
AU_API unsigned	 au_dkim_key_bits(const au_dkim_private_key *k);
AU_API au_dkim_private_key *au_dkim_key_free(au_dkim_private_key *k);

/*
 * Make a new key: alg AU_DKIM_RSA_SHA256 (bits 1024..4096, 0 = 2048) or
 * AU_DKIM_ED25519_SHA256 (bits ignored).
 */
AU_API au_status au_dkim_key_generate(au_dkim_private_key **out, au_dkim_alg alg,
    unsigned bits, char *err, size_t errlen);
/* The private key as PKCS#8 PEM text (malloc'd). */
AU_API au_status au_dkim_key_pem(const au_dkim_private_key *k, char **out);
/*
 * The key record to publish at S._domainkey.D (malloc'd, one line):
 * "v=DKIM1; k=rsa; p=<SubjectPublicKeyInfo>" or "v=DKIM1; k=ed25519; p=<32 octets>".
 */
AU_API au_status au_dkim_key_record(const au_dkim_private_key *k, char **out);
/* Does the key record txt publish k's public key?  1 yes, 0 no, -1 unparseable. */
AU_API int	 au_dkim_key_matches_record(const au_dkim_private_key *k,
    const char *txt, size_t len);

/* What a key record says (RFC 6376 3.6.1), for linting. */
typedef struct au_dkim_keyrec_info {
	au_dkim_alg	 alg;		/* AU_DKIM_RSA_SHA256 for k=rsa, ..._ED25519_... */
	unsigned	 bits;		/* RSA modulus bits, 256 for Ed25519 */
	int		 revoked;	/* empty p= */
	int		 testing;	/* t=y */
	int		 strict;	/* t=s */
	int		 sha256_ok;	/* h= absent or lists sha256 */
	int		 sha1_only;	/* h= lists sha1 but not sha256 */
	int		 email_ok;	/* s= absent or lists email or * */
	int		 v_present;	/* v=DKIM1 given */
	size_t		 empty_specs;	/* ";;" and the like */
	char		 reason[256];	/* why it does not parse */
} au_dkim_keyrec_info;

/* Parse a key record: AU_OK, or AU_ESYNTAX with info->reason. */
AU_API au_status au_dkim_keyrec_parse(const char *txt, size_t len,
    au_dkim_keyrec_info *info);

/*
 * The public key cache (thread-safe, bounded; max_entries 0 = 1024).
 * Entries live for the TTL of the DNS answer they came from.
 */
AU_API au_status au_dkim_keycache_new(au_dkim_keycache **out, size_t max_entries);
AU_API au_dkim_keycache *au_dkim_keycache_free(au_dkim_keycache *kc);
AU_API void	 au_dkim_keycache_stats(au_dkim_keycache *kc, unsigned long *hits,
    unsigned long *misses, size_t *entries);

/* ---- verify ---- */

typedef struct au_dkim_verify_opts {
	unsigned	 max_signatures;	/* default 10 */
	int		 fail_partial_body;	/* l= shorter than body -> fail */
	unsigned	 clock_skew;		/* seconds of t= in future allowed (default 300) */
	time_t		 now;			/* 0 = time(NULL) */
	au_dkim_keycache *keycache;		/* parsed-key cache to use, or NULL */
} au_dkim_verify_opts;

typedef struct au_dkim_verifier au_dkim_verifier;

AU_API au_status au_dkim_verifier_new(au_dkim_verifier **out, au_dns *dns,
    const au_dkim_verify_opts *opts);
AU_API au_status au_dkim_verifier_header(au_dkim_verifier *v, const char *field, size_t len);
AU_API au_status au_dkim_verifier_eoh(au_dkim_verifier *v);
AU_API au_status au_dkim_verifier_body(au_dkim_verifier *v, const void *chunk, size_t len);
/* Finish: fetch keys (DNS), check signatures. */
AU_API au_status au_dkim_verifier_eom(au_dkim_verifier *v);
/* Results after eom: count (0 = no signature) and each one. */
AU_API size_t	 au_dkim_verifier_count(const au_dkim_verifier *v);
AU_API const au_dkim_sig_result *au_dkim_verifier_result(const au_dkim_verifier *v, size_t i);
/* DKIM-Signature fields beyond max_signatures, not checked (not in the results). */
AU_API size_t	 au_dkim_verifier_ignored(const au_dkim_verifier *v);
/* Forget the message, keep the options: ready for the next message. */
AU_API void	 au_dkim_verifier_reset(au_dkim_verifier *v);
AU_API au_dkim_verifier *au_dkim_verifier_free(au_dkim_verifier *v);

/* ---- sign ---- */

typedef struct au_dkim_sign_opts {
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	const char	*identity;	/* i=, optional */
	au_dkim_canon	 header_canon;	/* default (0) relaxed */
	au_dkim_canon	 body_canon;	/* default (0) relaxed */
	/*
	 * headers: the h= list "from:to:..." used as given (a name listed n
	 * times signs n instances, or over-signs); "from" is added when
	 * missing.  NULL: every field of the RFC 6376 5.4.1 recommended set
	 * present in the message, with the over-sign set listed once more
	 * than present.
	 * oversign: the over-sign set "from:to:..."; NULL = the default
	 * (from to cc subject date reply-to sender message-id in-reply-to
	 * references mime-version content-type content-transfer-encoding)
	 * when headers is NULL, none when headers is given.
	 */
	const char	*headers;
	const char	*oversign;
	unsigned long	 expire_after;	/* x= = t= + this; 0 = no x= */
	time_t		 now;		/* 0 = time(NULL) */
} au_dkim_sign_opts;

typedef struct au_dkim_signer au_dkim_signer;

AU_API au_status au_dkim_signer_new(au_dkim_signer **out, const au_dkim_private_key *key,
    const au_dkim_sign_opts *opts, char *err, size_t errlen);
AU_API au_status au_dkim_signer_header(au_dkim_signer *s, const char *field, size_t len);
AU_API au_status au_dkim_signer_eoh(au_dkim_signer *s);
AU_API au_status au_dkim_signer_body(au_dkim_signer *s, const void *chunk, size_t len);
/*
 * Finish and produce the whole header field "DKIM-Signature: v=1; ..."
 * (folded with CRLF+TAB, no final CRLF) in *field (malloc'd).
 */
AU_API au_status au_dkim_signer_eom(au_dkim_signer *s, char **field);
/* Why the last call failed (one sentence, "" if none). */
AU_API const char *au_dkim_signer_error(const au_dkim_signer *s);
/*
 * Forget the message, keep key, options and crypto contexts: sign the next
 * message.  now is the new t= (0 = time(NULL)).
 */
AU_API void	 au_dkim_signer_reset(au_dkim_signer *s, time_t now);
AU_API au_dkim_signer *au_dkim_signer_free(au_dkim_signer *s);

AU_API const char *au_dkim_result_str(au_dkim_result r);	/* "pass", ... */

#endif
