/*
 * dkim_int.h - internal interfaces between the DKIM files (not installed):
 *
 *   dkim_canon.c   header and body canonicalization (RFC 6376 3.4), streaming
 *   dkim_sig.c     DKIM-Signature parsing and validation (RFC 6376 3.5, 6.1.1)
 *   dkim_key.c     key records (3.6.1), public/private keys, the key cache
 *   dkim_verify.c  the verifier (RFC 6376 6, RFC 8301, RFC 8463)
 *   dkim_sign.c    the signer (RFC 6376 5)
 */
#ifndef DKIM_INT_H
#define DKIM_INT_H

#include <pthread.h>
#include <stdint.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include "au_buf.h"
#include "au_dkim.h"
#include "au_tags.h"

/* Bounds on hostile input. */
#define DKIM_MAX_HEADERS	1000		/* header fields kept per message */
#define DKIM_MAX_HEADER_BYTES	(1024 * 1024)	/* bytes of header fields kept */
#define DKIM_MAX_HNAMES		512		/* names in one h= */
#define DKIM_MAX_B		1024		/* decoded b= octets (8192-bit RSA) */
#define DKIM_MAX_IDENTITY	512		/* decoded i= */
#define DKIM_MAX_NAME		256		/* d=, s= (DNS limits them to 253) */
#define DKIM_MAX_SIGS_CHECKED	64		/* hard cap on max_signatures */
#define DKIM_RSA_MIN_BITS	1024		/* RFC 8301 3.2 */
#define DKIM_RSA_MAX_VERIFY_BITS 8192
#define DKIM_RSA_MAX_SIGN_BITS	4096
#define DKIM_MAX_KEYREC		8192		/* bytes of one key TXT record */

/* ------------------------------------------------------------ canon */

/* Where canonical body octets go: up to limit octets are written. */
typedef struct dkim_sink {
	void		(*write)(void *arg, const void *p, size_t n);
	void		*arg;
	uint64_t	 limit;		/* UINT64_MAX: the whole body */
	uint64_t	 taken;
} dkim_sink;

#define DKIM_MAX_SINKS	DKIM_MAX_SIGS_CHECKED
#define DKIM_STAGE	4096

/*
 * A streaming body canonicalizer.  Memory is constant: pending empty lines
 * and pending white space are counters and flags, never bytes.
 */
typedef struct dkim_body {
	au_dkim_canon	 canon;
	uint64_t	 pend;		/* line ends seen but not yet written */
	uint64_t	 total;		/* canonical octets produced */
	uint64_t	 maxlimit;	/* largest sink limit */
	int		 wsp;		/* relaxed: white space pending in the line */
	int		 cr;		/* the last chunk ended with CR */
	int		 any;		/* some non-line-end octet was produced */
	int		 done;		/* every sink is full: stop working */
	int		 final;		/* au_dkim__body_final was called */
	size_t		 nsinks;
	dkim_sink	*sinks[DKIM_MAX_SINKS];
	size_t		 stagelen;
	unsigned char	 stage[DKIM_STAGE];
} dkim_body;

void	 au_dkim__body_init(dkim_body *b, au_dkim_canon c);
/* Attach a sink (kept by pointer); returns -1 when there are too many. */
int	 au_dkim__body_add_sink(dkim_body *b, dkim_sink *s);
void	 au_dkim__body_update(dkim_body *b, const void *p, size_t n);
void	 au_dkim__body_final(dkim_body *b);
/* Forget the message; sinks stay attached with taken = 0. */
void	 au_dkim__body_reset(dkim_body *b);

/*
 * Append the canonical form of one header field f[0..n) ("Name: value",
 * folded with CRLF or LF) to out, followed by CRLF when crlf is set.
 */
au_status au_dkim__canon_header(au_dkim_canon c, const char *f, size_t n,
    int crlf, au_buf *out);
/*
 * The same for f with the octets [cut0, cut1) left out (the b= value of a
 * signature being checked).  The colon must lie before cut0, and the cut
 * must not split a run of white space: cut0 follows "b=" and cut1 is at
 * ';' or the end, so it never does.
 */
au_status au_dkim__canon_header_cut(au_dkim_canon c, const char *f, size_t n,
    size_t cut0, size_t cut1, int crlf, au_buf *out);

/* ------------------------------------------------------------ helpers */

/* The SHA-256 implementation, fetched once per process. */
const EVP_MD *au_dkim__sha256(void);
/* Decode base64 (white space ignored, padding optional); -1 on bad input or overflow. */
int	 au_dkim__b64_decode(const char *s, size_t n, unsigned char *out, size_t outmax,
    size_t *outlen);
/* Encode; out must hold 4 * ((n + 2) / 3) + 1 bytes. */
size_t	 au_dkim__b64_encode(const unsigned char *p, size_t n, char *out);
/* ASCII case-insensitive compare of a[0..an) with b[0..bn). */
int	 au_dkim__ieq(const char *a, size_t an, const char *b, size_t bn);
/* Is s[0..n) a domain-name per RFC 6376 (sub-domain 1*("." sub-domain))? */
int	 au_dkim__is_domain(const char *s, size_t n, int allow_underscore, int min_labels);
/*
 * Eight octets with ASCII 'A'-'Z' turned into 'a'-'z': a lane gets 0x20
 * added when its octet is in [0x41, 0x5A].  (c | 0x80) - 0x41 keeps the top
 * bit iff c >= 0x41, (c | 0x80) - 0x5B iff c >= 0x5B; no lane borrows from
 * the next, and octets of 0x80 and above are left alone.
 */
static inline uint64_t
au_dkim__lower8(uint64_t x)
{
	const uint64_t hi = 0x8080808080808080ull;
	uint64_t t = x | hi;
	uint64_t m = (t - 0x4141414141414141ull) & ~(t - 0x5b5b5b5b5b5b5b5bull) & ~x & hi;

	return x | (m >> 2);
}

/*
 * Case-insensitive hash of a header field name (n > 0): its length and
 * three of its octets, ASCII letters folded.  Cheap, O(1); it only narrows
 * the fields that h= can name, a full compare decides.
 */
static inline uint32_t
au_dkim__name_hash(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	return ((uint32_t)n & 0xff) | ((uint32_t)(u[0] | 0x20) << 8) |
	    ((uint32_t)(u[n / 2] | 0x20) << 16) | ((uint32_t)(u[n - 1] | 0x20) << 24);
}
/* Length of the field name before ':' (white space before the colon excluded), or -1. */
long	 au_dkim__field_name(const char *f, size_t n);

/* ------------------------------------------------------------ signature */

typedef struct dkim_hname {
	uint32_t	 off;		/* offset of the name inside the field */
	uint32_t	 len;
	uint32_t	 hash;		/* au_dkim__name_hash of the name */
} dkim_hname;

typedef struct dkim_sig {
	au_dkim_alg	 alg;
	au_dkim_canon	 hcanon, bcanon;
	char		 domain[DKIM_MAX_NAME];
	char		 selector[DKIM_MAX_NAME];
	char		 identity[DKIM_MAX_IDENTITY];
	char		 bprefix[16];
	unsigned char	 bh[64];
	size_t		 bhlen;
	unsigned char	 b[DKIM_MAX_B];
	size_t		 blen;
	int		 has_l, has_t, has_x;
	uint64_t	 l, t, x;
	size_t		 nh;
	dkim_hname	 h[DKIM_MAX_HNAMES];
	size_t		 bval_start;	/* b= raw value [start, end) inside the field */
	size_t		 bval_end;
} dkim_sig;

/*
 * Parse and validate a whole DKIM-Signature field (RFC 6376 3.5, 6.1.1):
 * tags, required tags, version, algorithm, canonicalization, d=, s=, i=
 * within d=, h= with From, bh=/b= encoding, l=, t=, x=, q=.  Time checks
 * are left to the verifier.  Returns 0, or -1 with reason set (permerror);
 * domain and selector are filled whenever they could be read.
 */
int	 au_dkim__sig_parse(dkim_sig *sig, const char *field, size_t len,
    char *reason, size_t rlen);

/* ------------------------------------------------------------ keys */

enum { DKIM_KEY_RSA = 1, DKIM_KEY_ED25519 = 2 };

#define DKIM_CTX_POOL	8

/*
 * A parsed public key record, shared (refcounted) through the key cache.
 * It keeps a few ready verification contexts (an EVP_PKEY_CTX for RSA, an
 * EVP_MD_CTX for Ed25519) so a verification does not set one up each time.
 */
typedef struct dkim_pubkey {
	int		 refs;		/* atomic */
	pthread_mutex_t	 lock;		/* guards pool */
	void		*pool[DKIM_CTX_POOL];
	int		 npool;
	EVP_PKEY	*pkey;		/* NULL when revoked */
	/* RSA: modulus, exponent and Montgomery form, made once (see pubkey_verify) */
	BIGNUM		*rsa_n, *rsa_e;
	BIGNUM		*rsa_prefix;	/* the EMSA-PKCS1-v1_5 encoding with a zero hash */
	BN_MONT_CTX	*rsa_mont;
	size_t		 rsa_len;	/* modulus octets: the signature length */
	int		 ktype;		/* DKIM_KEY_* */
	unsigned	 bits;		/* RSA modulus size, 256 for Ed25519 */
	int		 revoked;	/* empty p= */
	int		 testing;	/* t=y */
	int		 strict;	/* t=s */
	int		 sha256_ok;	/* h= absent or lists sha256 */
	int		 sha1_only;	/* h= lists sha1 and not sha256 */
	int		 email_ok;	/* s= absent or lists email or * */
	int		 v_present;
	size_t		 empty_specs;
} dkim_pubkey;

/*
 * Parse a key record (RFC 6376 3.6.1, RFC 8463 4.2).  Returns a new key
 * (refs 1) or NULL with reason set (key syntax error).
 */
dkim_pubkey *au_dkim__pubkey_parse(const char *txt, size_t len, char *reason, size_t rlen);
dkim_pubkey *au_dkim__pubkey_ref(dkim_pubkey *k);
void	 au_dkim__pubkey_unref(dkim_pubkey *k);
/*
 * Check sig over the 32-octet SHA-256 hash with k: RSASSA-PKCS1-v1_5 with
 * SHA-256 for RSA (RFC 8017 8.2.2), PureEdDSA over the hash octets for
 * Ed25519 (RFC 8463 3).  1 good, 0 not.  Thread-safe.
 */
int	 au_dkim__pubkey_verify(dkim_pubkey *k, const unsigned char *sig, size_t siglen,
    const unsigned char *hash);

/* Key cache look-up (a new reference) and insertion (takes its own reference). */
dkim_pubkey *au_dkim__keycache_get(au_dkim_keycache *kc, const char *name, time_t now);
void	 au_dkim__keycache_put(au_dkim_keycache *kc, const char *name, dkim_pubkey *k,
    time_t expires);

struct au_dkim_private_key {
	EVP_PKEY	*pkey;
	au_dkim_alg	 alg;
	unsigned	 bits;
};

#endif
