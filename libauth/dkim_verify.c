/*
 * dkim_verify.c - the DKIM verifier: RFC 6376 section 6 (6.1 extract,
 * 6.1.1 validate, 6.1.2 get the key, 6.1.3 compute), 3.7 (the two hashes),
 * 5.4.2 (several instances of a field: bottom-up), RFC 8301 (no rsa-sha1,
 * RSA keys of at least 1024 bits) and RFC 8463 (ed25519-sha256: PureEdDSA
 * over the SHA-256 of the canonical header data).
 *
 * Event order: header fields are kept (bounded); at the end of the header
 * the first max_signatures DKIM-Signature fields are parsed, their header
 * hashes computed and a body hash per distinct (body canonicalization, l=)
 * set up; the body streams through at most two canonicalizers (simple and
 * relaxed) into those hashes; at the end of the message keys are fetched
 * (key cache, then DNS) and each signature is decided.
 *
 * Verdicts (au_dkim_result): pass; fail (body hash mismatch, signature did
 * not verify, l= shorter than the body with fail_partial_body); permerror
 * (anything malformed, unacceptable or missing: the signature or key
 * record, no key, revoked key, rsa-sha1, short keys, expiry, t= in the
 * future); temperror (the key lookup failed for now).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include "dkim_int.h"

typedef struct hfield {
	uint32_t	 off;		/* in v->hdr */
	uint32_t	 len;
	uint32_t	 namelen;
	uint32_t	 hash;		/* au_dkim__name_hash of the name */
	int32_t		 nextb;		/* next older field in the same bucket, or -1 */
} hfield;

/* Buckets of header fields by name hash: newest first within a bucket. */
#define HBUCKETS	64
#define HBUCKET(h)	(((h) * 2654435761u) >> 26)

/* One body hash, shared by the signatures with the same (canon, l=). */
typedef struct bslot {
	au_dkim_canon	 canon;
	uint64_t	 limit;
	EVP_MD_CTX	*md;
	dkim_sink	 sink;
	unsigned char	 digest[32];
} bslot;

typedef struct vsig {
	dkim_sig	 sig;
	au_dkim_sig_result res;
	size_t		 field;		/* index in v->fields */
	int		 decided;	/* res is final */
	int		 slot;		/* index in v->slots */
	unsigned char	 hhash[32];
} vsig;

struct au_dkim_verifier {
	au_dns		*dns;
	au_dkim_verify_opts opts;
	int		 state;		/* 0 headers, 1 body, 2 done */
	au_buf		 hdr;		/* raw header fields, back to back */
	hfield		*fields;
	size_t		 nfields, capfields;
	int32_t		 bucket[HBUCKETS];	/* newest field per bucket, or -1 */
	int		 overflow;
	char		 overflow_reason[128];
	size_t		 sigidx[DKIM_MAX_SIGS_CHECKED];	/* fields that are signatures */
	size_t		 nsigidx;	/* signatures kept for checking */
	size_t		 nsigseen;	/* all DKIM-Signature fields */
	vsig		*sigs;
	size_t		 nsigs, capsigs;
	bslot		 slots[DKIM_MAX_SIGS_CHECKED];
	size_t		 nslots;
	dkim_body	 canon[2];	/* [AU_DKIM_CANON_RELAXED], [AU_DKIM_CANON_SIMPLE] */
	int		 canon_used[2];
	au_buf		 scratch;	/* canonical header data */
	EVP_MD_CTX	*hmd;
};

static void
set_result(vsig *s, au_dkim_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_result(vsig *s, au_dkim_result r, const char *fmt, ...)
{
	va_list ap;

	s->res.result = r;
	s->decided = 1;
	va_start(ap, fmt);
	vsnprintf(s->res.reason, sizeof s->res.reason, fmt, ap);
	va_end(ap);
}

static void
md_write(void *arg, const void *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

au_status
au_dkim_verifier_new(au_dkim_verifier **out, au_dns *dns, const au_dkim_verify_opts *opts)
{
	au_dkim_verifier *v;

	*out = NULL;
	if ((v = calloc(1, sizeof *v)) == NULL)
		return AU_ENOMEM;
	v->dns = dns;
	if (opts)
		v->opts = *opts;
	if (v->opts.max_signatures == 0)
		v->opts.max_signatures = 10;
	if (v->opts.max_signatures > DKIM_MAX_SIGS_CHECKED)
		v->opts.max_signatures = DKIM_MAX_SIGS_CHECKED;
	if (v->opts.clock_skew == 0)
		v->opts.clock_skew = 300;
	memset(v->bucket, 0xff, sizeof v->bucket);
	au_buf_init(&v->hdr, DKIM_MAX_HEADER_BYTES);
	au_buf_init(&v->scratch, 0);
	au_dkim__body_init(&v->canon[AU_DKIM_CANON_RELAXED], AU_DKIM_CANON_RELAXED);
	au_dkim__body_init(&v->canon[AU_DKIM_CANON_SIMPLE], AU_DKIM_CANON_SIMPLE);
	if ((v->hmd = EVP_MD_CTX_new()) == NULL) {
		au_dkim_verifier_free(v);
		return AU_ENOMEM;
	}
	*out = v;
	return AU_OK;
}

void
au_dkim_verifier_reset(au_dkim_verifier *v)
{
	size_t i;

	v->state = 0;
	au_buf_reset(&v->hdr);
	v->nfields = 0;
	memset(v->bucket, 0xff, sizeof v->bucket);
	v->overflow = 0;
	v->nsigidx = v->nsigseen = v->nsigs = 0;
	for (i = 0; i < 2; i++) {
		au_dkim__body_init(&v->canon[i], (au_dkim_canon)i);
		v->canon_used[i] = 0;
	}
	v->nslots = 0;	/* the digest contexts stay allocated */
}

au_dkim_verifier *
au_dkim_verifier_free(au_dkim_verifier *v)
{
	size_t i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < DKIM_MAX_SIGS_CHECKED; i++)
		EVP_MD_CTX_free(v->slots[i].md);
	EVP_MD_CTX_free(v->hmd);
	au_buf_free(&v->hdr);
	au_buf_free(&v->scratch);
	free(v->fields);
	free(v->sigs);
	free(v);
	return NULL;
}

au_status
au_dkim_verifier_header(au_dkim_verifier *v, const char *field, size_t len)
{
	long nl;
	hfield *hf;
	int is_sig;
	uint32_t h;

	if (v->state != 0)
		return AU_ESTATE;
	if ((nl = au_dkim__field_name(field, len)) <= 0)
		return AU_ESYNTAX;
	h = au_dkim__name_hash(field, (size_t)nl);
	is_sig = nl == 14 && au_dkim__ieq(field, 14, "DKIM-Signature", 14);
	if (is_sig && ++v->nsigseen > v->opts.max_signatures)
		return AU_OK;	/* not checked: not kept either (only h= could name it) */
	if (v->overflow)
		return AU_OK;
	if (v->nfields >= DKIM_MAX_HEADERS) {
		v->overflow = 1;
		snprintf(v->overflow_reason, sizeof v->overflow_reason,
		    "message has more than %d header fields: not checked", DKIM_MAX_HEADERS);
		return AU_OK;
	}
	if (v->hdr.data != NULL && v->hdr.cap - v->hdr.len > len &&
	    v->hdr.len + len <= DKIM_MAX_HEADER_BYTES) {
		/* room already: the common case, without a call */
		memcpy(v->hdr.data + v->hdr.len, field, len);
		v->hdr.len += len;
		v->hdr.data[v->hdr.len] = '\0';
	} else if (au_buf_append(&v->hdr, field, len) != AU_OK) {
		v->overflow = 1;
		snprintf(v->overflow_reason, sizeof v->overflow_reason,
		    "message header is larger than %d bytes: not checked",
		    DKIM_MAX_HEADER_BYTES);
		return AU_OK;
	}
	if (v->nfields == v->capfields) {
		size_t nc = v->capfields ? v->capfields * 2 : 32;

		if ((hf = realloc(v->fields, nc * sizeof *hf)) == NULL)
			return AU_ENOMEM;
		v->fields = hf;
		v->capfields = nc;
	}
	hf = &v->fields[v->nfields];
	hf->off = (uint32_t)(v->hdr.len - len);
	hf->len = (uint32_t)len;
	hf->namelen = (uint32_t)nl;
	hf->hash = h;
	hf->nextb = v->bucket[HBUCKET(h)];
	v->bucket[HBUCKET(h)] = (int32_t)v->nfields;
	if (is_sig && v->nsigidx < v->opts.max_signatures)
		v->sigidx[v->nsigidx++] = v->nfields;
	v->nfields++;
	return AU_OK;
}

static const char *
fptr(const au_dkim_verifier *v, size_t i)
{
	return v->hdr.data + v->fields[i].off;
}

/*
 * The canonical header data of RFC 6376 3.7 step 2 for signature s, hashed
 * into s->hhash: the fields named in h= (each name takes the bottom-most
 * instance not taken yet, 5.4.2), then the signature field itself with the
 * b= value removed, without its CRLF.
 */
static int
header_hash(au_dkim_verifier *v, vsig *s)
{
	unsigned char used[(DKIM_MAX_HEADERS + 7) / 8];
	const char *self = fptr(v, s->field);
	size_t k, i, selflen = v->fields[s->field].len;
	unsigned int hl;
	au_buf *o = &v->scratch;

	memset(used, 0, sizeof used);
	au_buf_reset(o);
	for (k = 0; k < s->sig.nh; k++) {
		const char *name = self + s->sig.h[k].off;
		size_t nlen = s->sig.h[k].len;
		uint32_t hk = s->sig.h[k].hash;
		int32_t j;

		/* The bucket lists its fields bottom-up: the first unused match wins. */
		for (j = v->bucket[HBUCKET(hk)]; j >= 0; j = v->fields[j].nextb) {
			i = (size_t)j;
			if (v->fields[i].hash != hk || v->fields[i].namelen != nlen ||
			    (used[i / 8] & (1u << (i % 8))) || i == s->field ||
			    !au_dkim__ieq(fptr(v, i), nlen, name, nlen))
				continue;
			used[i / 8] |= (unsigned char)(1u << (i % 8));
			if (au_dkim__canon_header(s->sig.hcanon, fptr(v, i), v->fields[i].len,
			    1, o) != AU_OK)
				return -1;
			break;
		}
	}
	/* The signature itself with the b= value (and white space around it) removed. */
	if (au_dkim__canon_header_cut(s->sig.hcanon, self, selflen, s->sig.bval_start,
	    s->sig.bval_end, 0, o) != AU_OK)
		return -1;
	if (EVP_DigestInit_ex(v->hmd, au_dkim__sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(v->hmd, o->data, o->len) != 1 ||
	    EVP_DigestFinal_ex(v->hmd, s->hhash, &hl) != 1)
		return -1;
	return 0;
}

/* Find or make the body hash for (canon, limit). */
static int
body_slot(au_dkim_verifier *v, au_dkim_canon c, uint64_t limit)
{
	size_t i;
	bslot *b;

	for (i = 0; i < v->nslots; i++)
		if (v->slots[i].canon == c && v->slots[i].limit == limit)
			return (int)i;
	b = &v->slots[v->nslots];
	if (b->md == NULL && (b->md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(b->md, au_dkim__sha256(), NULL) != 1)
		return -1;
	b->canon = c;
	b->limit = limit;
	b->sink.write = md_write;
	b->sink.arg = b->md;
	b->sink.limit = limit;
	b->sink.taken = 0;
	if (au_dkim__body_add_sink(&v->canon[c], &b->sink) < 0)
		return -1;
	v->canon_used[c] = 1;
	return (int)v->nslots++;
}

static void
fmt_time(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > 253402300799ULL || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "%llu", (unsigned long long)t);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* 6.1.1 and the checks that need no key: decide s now if it is broken. */
static void
check_signature(au_dkim_verifier *v, vsig *s, time_t now)
{
	dkim_sig *g = &s->sig;
	char when[64];
	int slot;

	if (au_dkim__sig_parse(g, fptr(v, s->field), v->fields[s->field].len,
	    s->res.reason, sizeof s->res.reason) < 0) {
		s->res.result = AU_DKIM_PERMERROR;
		s->decided = 1;
		return;
	}
	if (g->alg == AU_DKIM_RSA_SHA1) {
		set_result(s, AU_DKIM_PERMERROR, "rsa-sha1 is not accepted (RFC 8301)");
		return;
	}
	if (g->has_t && g->has_x && g->x < g->t) {
		set_result(s, AU_DKIM_PERMERROR, "x=%llu is earlier than t=%llu",
		    (unsigned long long)g->x, (unsigned long long)g->t);
		return;
	}
	if (g->has_x && (uint64_t)now > g->x) {
		fmt_time(g->x, when, sizeof when);
		set_result(s, AU_DKIM_PERMERROR, "signature expired at %s (x=%llu)", when,
		    (unsigned long long)g->x);
		return;
	}
	if (g->has_t && g->t > (uint64_t)now + v->opts.clock_skew) {
		if (g->t == UINT64_MAX)
			set_result(s, AU_DKIM_PERMERROR,
			    "signature timestamp t= is unreasonably far in the future");
		else
			set_result(s, AU_DKIM_PERMERROR,
			    "signature timestamp t=%llu is %llu seconds in the future "
			    "(allowed clock skew %u s)", (unsigned long long)g->t,
			    (unsigned long long)(g->t - (uint64_t)now), v->opts.clock_skew);
		return;
	}
	if (header_hash(v, s) < 0) {
		set_result(s, AU_DKIM_TEMPERROR, "out of memory or crypto failure hashing the header");
		return;
	}
	slot = body_slot(v, g->bcanon, g->has_l ? g->l : UINT64_MAX);
	if (slot < 0) {
		set_result(s, AU_DKIM_TEMPERROR, "out of memory setting up the body hash");
		return;
	}
	s->slot = slot;
}

au_status
au_dkim_verifier_eoh(au_dkim_verifier *v)
{
	size_t i;
	time_t now = v->opts.now ? v->opts.now : time(NULL);
	size_t want = v->overflow ? (v->nsigseen < v->opts.max_signatures ?
	    v->nsigseen : v->opts.max_signatures) : v->nsigidx;

	if (v->state != 0)
		return AU_ESTATE;
	v->state = 1;
	if (want > v->capsigs) {
		vsig *ns = realloc(v->sigs, want * sizeof *ns);

		if (ns == NULL)
			return AU_ENOMEM;
		v->sigs = ns;
		v->capsigs = want;
	}
	v->nsigs = want;
	for (i = 0; i < want; i++) {
		vsig *s = &v->sigs[i];

		memset(&s->res, 0, offsetof(au_dkim_sig_result, reason));
		s->res.reason[0] = '\0';
		s->decided = 0;
		s->slot = -1;
		s->sig.domain[0] = s->sig.selector[0] = s->sig.identity[0] = '\0';
		s->sig.bprefix[0] = '\0';
		s->sig.alg = AU_DKIM_RSA_SHA256;
		s->res.alg = AU_DKIM_RSA_SHA256;
		if (v->overflow) {
			/* Report what can be read of the ones kept, then give up. */
			if (i < v->nsigidx) {
				char dummy[8];

				s->field = v->sigidx[i];
				(void)au_dkim__sig_parse(&s->sig, fptr(v, s->field),
				    v->fields[s->field].len, dummy, sizeof dummy);
			}
			set_result(s, AU_DKIM_PERMERROR, "%s", v->overflow_reason);
		} else {
			s->field = v->sigidx[i];
			check_signature(v, s, now);
		}
		s->res.domain = s->sig.domain[0] ? s->sig.domain : NULL;
		s->res.selector = s->sig.selector[0] ? s->sig.selector : NULL;
		s->res.identity = s->sig.identity[0] ? s->sig.identity : NULL;
		s->res.b_prefix = s->sig.bprefix[0] ? s->sig.bprefix : NULL;
		s->res.alg = s->sig.alg;
	}
	return AU_OK;
}

au_status
au_dkim_verifier_body(au_dkim_verifier *v, const void *chunk, size_t len)
{
	if (v->state != 1)
		return AU_ESTATE;
	if (v->canon_used[AU_DKIM_CANON_RELAXED])
		au_dkim__body_update(&v->canon[AU_DKIM_CANON_RELAXED], chunk, len);
	if (v->canon_used[AU_DKIM_CANON_SIMPLE])
		au_dkim__body_update(&v->canon[AU_DKIM_CANON_SIMPLE], chunk, len);
	return AU_OK;
}

/* Get the key for s: key cache, else DNS.  NULL with s decided on failure. */
static dkim_pubkey *
get_key(au_dkim_verifier *v, vsig *s, const char *qname, time_t now)
{
	au_dns_answer *ans = NULL;
	dkim_pubkey *k = NULL;
	char why[200] = "";
	size_t i;

	if (v->opts.keycache &&
	    (k = au_dkim__keycache_get(v->opts.keycache, qname, now)) != NULL)
		return k;
	if (v->dns == NULL) {
		set_result(s, AU_DKIM_TEMPERROR, "no DNS resolver to fetch the key %s", qname);
		return NULL;
	}
	if (au_dns_query(v->dns, qname, AU_DNS_T_TXT, &ans) != AU_OK || ans == NULL) {
		set_result(s, AU_DKIM_TEMPERROR, "key lookup for %s failed (resolver error)", qname);
		return NULL;
	}
	switch (ans->outcome) {
	case AU_DNS_RECORDS:
		for (i = 0; i < ans->count && k == NULL; i++)
			k = au_dkim__pubkey_parse(ans->rr[i].u.txt.data, ans->rr[i].u.txt.len,
			    why[0] ? NULL : why, why[0] ? 0 : sizeof why);
		if (k == NULL)
			set_result(s, AU_DKIM_PERMERROR, "%s at %s", why[0] ? why :
			    "key record unusable", qname);
		else if (v->opts.keycache && ans->ttl > 0 && !k->revoked)
			au_dkim__keycache_put(v->opts.keycache, qname, k, now + (time_t)ans->ttl);
		break;
	case AU_DNS_NXDOMAIN:
		set_result(s, AU_DKIM_PERMERROR, "no key for %s (NXDOMAIN)", qname);
		break;
	case AU_DNS_NODATA:
		set_result(s, AU_DKIM_PERMERROR, "no key for %s (no TXT record)", qname);
		break;
	default:
		set_result(s, AU_DKIM_TEMPERROR, "key lookup for %s failed: %s", qname,
		    ans->reason[0] ? ans->reason : au_dns_outcome_str(ans->outcome));
		break;
	}
	au_dns_answer_free(ans);
	return k;
}

static const char *
alg_name(au_dkim_alg a)
{
	return a == AU_DKIM_ED25519_SHA256 ? "ed25519-sha256" :
	    a == AU_DKIM_RSA_SHA1 ? "rsa-sha1" : "rsa-sha256";
}

/* 6.1.2 steps 6-8 and 6.1.3 for one signature whose key is k. */
static void
decide(au_dkim_verifier *v, vsig *s, dkim_pubkey *k, const char *qname)
{
	dkim_sig *g = &s->sig;
	bslot *b = &v->slots[s->slot];
	uint64_t total = v->canon[g->bcanon].total;
	const char *at;

	s->res.testing = k->testing;
	if (k->revoked) {
		set_result(s, AU_DKIM_PERMERROR, "key revoked (empty p=) at %s", qname);
		return;
	}
	if (!k->email_ok) {
		set_result(s, AU_DKIM_PERMERROR,
		    "key record s= does not include email (service type) at %s", qname);
		return;
	}
	if (!k->sha256_ok) {
		set_result(s, AU_DKIM_PERMERROR,
		    "key record h= does not allow sha256 (inappropriate hash algorithm) at %s",
		    qname);
		return;
	}
	if ((g->alg == AU_DKIM_ED25519_SHA256) != (k->ktype == DKIM_KEY_ED25519)) {
		set_result(s, AU_DKIM_PERMERROR,
		    "key type k=%s does not match a=%s (inappropriate key algorithm)",
		    k->ktype == DKIM_KEY_ED25519 ? "ed25519" : "rsa", alg_name(g->alg));
		return;
	}
	if (k->ktype == DKIM_KEY_RSA && k->bits < DKIM_RSA_MIN_BITS) {
		set_result(s, AU_DKIM_PERMERROR, "RSA key of %u bits is shorter than %d",
		    k->bits, DKIM_RSA_MIN_BITS);
		return;
	}
	if (k->ktype == DKIM_KEY_RSA && k->bits > DKIM_RSA_MAX_VERIFY_BITS) {
		set_result(s, AU_DKIM_PERMERROR, "RSA key of %u bits is longer than %d (refused)",
		    k->bits, DKIM_RSA_MAX_VERIFY_BITS);
		return;
	}
	if (k->strict) {
		at = strrchr(g->identity, '@');
		if (at && !au_dkim__ieq(at + 1, strlen(at + 1), g->domain, strlen(g->domain))) {
			set_result(s, AU_DKIM_PERMERROR,
			    "key record t=s but i= is a subdomain (i= domain %s, d=%s)",
			    at + 1, g->domain);
			return;
		}
	}
	if (g->has_l && g->l > total) {
		set_result(s, AU_DKIM_PERMERROR,
		    "l=%llu is larger than the body (%llu octets after canonicalization)",
		    (unsigned long long)g->l, (unsigned long long)total);
		return;
	}
	if (CRYPTO_memcmp(b->digest, g->bh, 32) != 0) {
		set_result(s, AU_DKIM_FAIL, "body hash mismatch");
		return;
	}
	if (!au_dkim__pubkey_verify(k, g->b, g->blen, s->hhash)) {
		set_result(s, AU_DKIM_FAIL, "signature did not verify");
		return;
	}
	if (g->has_l && total > g->l) {
		s->res.body_length_partial = 1;
		if (v->opts.fail_partial_body) {
			set_result(s, AU_DKIM_FAIL,
			    "%llu body octets after l=%llu are not signed (partial body refused)",
			    (unsigned long long)(total - g->l), (unsigned long long)g->l);
			return;
		}
		set_result(s, AU_DKIM_PASS,
		    "signature verified; %llu body octets after l=%llu are not signed",
		    (unsigned long long)(total - g->l), (unsigned long long)g->l);
		return;
	}
	s->res.result = AU_DKIM_PASS;
	s->decided = 1;
	memcpy(s->res.reason, "signature verified", sizeof "signature verified");
}

au_status
au_dkim_verifier_eom(au_dkim_verifier *v)
{
	size_t i;
	unsigned int dl;
	time_t now = v->opts.now ? v->opts.now : time(NULL);
	char qname[2 * DKIM_MAX_NAME + 16];

	if (v->state != 1)
		return AU_ESTATE;
	v->state = 2;
	for (i = 0; i < 2; i++)
		if (v->canon_used[i])
			au_dkim__body_final(&v->canon[i]);
	for (i = 0; i < v->nslots; i++)
		if (EVP_DigestFinal_ex(v->slots[i].md, v->slots[i].digest, &dl) != 1)
			return AU_ECRYPTO;
	for (i = 0; i < v->nsigs; i++) {
		vsig *s = &v->sigs[i];
		dkim_pubkey *k;

		if (s->decided)
			continue;
		{
			/* selector and domain are < DKIM_MAX_NAME each: this fits. */
			size_t sl = strlen(s->sig.selector), dnl = strlen(s->sig.domain);

			memcpy(qname, s->sig.selector, sl);
			memcpy(qname + sl, "._domainkey.", 12);
			memcpy(qname + sl + 12, s->sig.domain, dnl + 1);
		}
		if ((k = get_key(v, s, qname, now)) == NULL)
			continue;
		decide(v, s, k, qname);
		au_dkim__pubkey_unref(k);
	}
	return AU_OK;
}

size_t
au_dkim_verifier_count(const au_dkim_verifier *v)
{
	return v->state == 2 ? v->nsigs : 0;
}

const au_dkim_sig_result *
au_dkim_verifier_result(const au_dkim_verifier *v, size_t i)
{
	if (v->state != 2 || i >= v->nsigs)
		return NULL;
	return &v->sigs[i].res;
}

size_t
au_dkim_verifier_ignored(const au_dkim_verifier *v)
{
	return v->nsigseen > v->nsigs ? v->nsigseen - v->nsigs : 0;
}

const char *
au_dkim_result_str(au_dkim_result r)
{
	switch (r) {
	case AU_DKIM_NONE:
		return "none";
	case AU_DKIM_PASS:
		return "pass";
	case AU_DKIM_FAIL:
		return "fail";
	case AU_DKIM_NEUTRAL:
		return "neutral";
	case AU_DKIM_POLICY:
		return "policy";
	case AU_DKIM_TEMPERROR:
		return "temperror";
	case AU_DKIM_PERMERROR:
		return "permerror";
	}
	return "permerror";
}
