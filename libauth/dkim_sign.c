/*
 * dkim_sign.c - the DKIM signer: RFC 6376 section 5 (5.4 which fields,
 * 5.4.1 the recommended set, 5.4.2 several instances bottom-up and
 * over-signing, 5.5 the hashes, 5.6 the field), 3.5 (tag syntax, i= as
 * dkim-quoted-printable), 3.7 (the hashes), RFC 8301 (rsa-sha256 with RSA
 * keys of 1024 bits or more) and RFC 8463 3 (ed25519-sha256: PureEdDSA
 * over the SHA-256 of the canonical header data).
 *
 * The header hash is started at the end of the header (the signed fields
 * come first), the body streams through the canonicalizer into the body
 * hash, and at the end the DKIM-Signature field is built, folded to lines
 * of at most 78 octets where possible, hashed with an empty b= and signed.
 * b= is the last tag, so everything after "b=" is the signature value.
 *
 * A signer keeps its digest and signature contexts: au_dkim_signer_reset()
 * makes it ready for the next message without new crypto set-up.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include "dkim_int.h"

typedef struct dname {
	const char	*s;
	size_t		 len;
} dname;

#define N(x) { x, sizeof x - 1 }

/* RFC 6376 5.4.1 and the MIME fields 5.4 asks for, in h= order. */
static const dname default_set[] = {
	N("from"), N("reply-to"), N("subject"), N("date"), N("to"), N("cc"),
	N("message-id"), N("in-reply-to"), N("references"), N("mime-version"),
	N("content-type"), N("content-transfer-encoding"), N("sender"),
	N("resent-date"), N("resent-from"), N("resent-sender"), N("resent-to"),
	N("resent-cc"), N("list-id"), N("list-help"), N("list-unsubscribe"),
	N("list-unsubscribe-post"), N("list-subscribe"), N("list-post"),
	N("list-owner"), N("list-archive"),
};
#define NDEFAULT (sizeof default_set / sizeof default_set[0])

/* Fields whose later addition must break the signature. */
static const char *const default_oversign[] = {
	"from", "to", "cc", "subject", "date", "reply-to", "sender",
	"message-id", "in-reply-to", "references", "mime-version",
	"content-type", "content-transfer-encoding",
	NULL
};

static void	dqp_encode(const char *in, char *outp, size_t outlen);

/* The index of p[0..len) in default_set (any case), or -1. */
static int
default_index(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < NDEFAULT; i++)
		if (default_set[i].len == len && au_dkim__ieq(default_set[i].s, len, p, len))
			return (int)i;
	return -1;
}

#define MAX_LIST	DKIM_MAX_HNAMES
#define LINE_MAX_OCT	78

typedef struct sfield {
	uint32_t	 off, len, namelen;
} sfield;

struct au_dkim_signer {
	const au_dkim_private_key *key;
	char		*domain, *selector, *identity;
	char		 cvalue[16];	/* "relaxed/simple" */
	char		 identity_qp[DKIM_MAX_IDENTITY];	/* i= as dkim-quoted-printable */
	au_dkim_canon	 hcanon, bcanon;
	unsigned long	 expire_after;
	time_t		 now, now_opt;
	/* h= wanted: explicit names (as given) or the default set */
	char		*names[MAX_LIST];
	size_t		 names_len[MAX_LIST];
	size_t		 nnames;
	int		 explicit_list;
	char		*over[MAX_LIST];
	size_t		 over_len[MAX_LIST];
	size_t		 nover;
	int		 over_def[MAX_LIST];	/* index in default_set, or -1 */
	unsigned char	 def_over[NDEFAULT];	/* default_set[i] is over-signed */
	/* per message */
	int		 state;		/* 0 headers, 1 body, 2 done, 3 failed */
	au_buf		 hdr;
	sfield		*fields;
	size_t		 nfields, capfields;
	uint32_t	 dcount[NDEFAULT];	/* fields kept per default name */
	au_buf		 hlist;		/* the h= value produced at eoh */
	dkim_body	 body;
	dkim_sink	 sink;
	EVP_MD_CTX	*bmd, *hmd;
	EVP_PKEY_CTX	*rsactx;	/* RSA: initialised once */
	EVP_MD_CTX	*edmd;		/* Ed25519 */
	au_buf		 scratch, out;
	char		 err[256];
};

static au_status
sfail(au_dkim_signer *s, au_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static au_status
sfail(au_dkim_signer *s, au_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return st;
}

static void
md_write(void *arg, const void *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

static int
name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 33 || (unsigned char)p[i] > 126 || p[i] == ':')
			return 0;
	return 1;
}

/* Split "a:b:c" (white space around names ignored) into malloc'd names. */
static int
split_list(const char *list, char **names, size_t *n, size_t max, char *err, size_t errlen)
{
	const char *p = list, *q, *e;

	*n = 0;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		q = strchr(p, ':');
		e = q ? q : p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (!name_ok(p, (size_t)(e - p))) {
			snprintf(err, errlen, "'%s' is not a colon-separated list of header "
			    "field names", list);
			return -1;
		}
		if (*n == max) {
			snprintf(err, errlen, "more than %zu header field names", max);
			return -1;
		}
		if ((names[*n] = strndup(p, (size_t)(e - p))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		(*n)++;
		if (q == NULL)
			break;
		p = q + 1;
		if (*p == '\0') {
			snprintf(err, errlen, "'%s' ends with a colon", list);
			return -1;
		}
	}
	return 0;
}

au_dkim_signer *
au_dkim_signer_free(au_dkim_signer *s)
{
	size_t i;

	if (s == NULL)
		return NULL;
	free(s->domain);
	free(s->selector);
	free(s->identity);
	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	for (i = 0; i < s->nover; i++)
		free(s->over[i]);
	au_buf_free(&s->hdr);
	au_buf_free(&s->hlist);
	au_buf_free(&s->scratch);
	au_buf_free(&s->out);
	free(s->fields);
	EVP_MD_CTX_free(s->bmd);
	EVP_MD_CTX_free(s->hmd);
	EVP_MD_CTX_free(s->edmd);
	EVP_PKEY_CTX_free(s->rsactx);
	free(s);
	return NULL;
}

/* Start a message: fresh digests, empty header store. */
static au_status
start_message(au_dkim_signer *s)
{
	s->state = 0;
	s->now = s->now_opt ? s->now_opt : time(NULL);
	au_buf_reset(&s->hdr);
	au_buf_reset(&s->hlist);
	s->nfields = 0;
	memset(s->dcount, 0, sizeof s->dcount);
	s->err[0] = '\0';
	au_dkim__body_reset(&s->body);
	if (EVP_DigestInit_ex(s->bmd, au_dkim__sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(s->hmd, au_dkim__sha256(), NULL) != 1)
		return sfail(s, AU_ECRYPTO, "cannot set up SHA-256");
	return AU_OK;
}

au_status
au_dkim_signer_new(au_dkim_signer **out, const au_dkim_private_key *key,
    const au_dkim_sign_opts *o, char *err, size_t errlen)
{
	au_dkim_signer *s;
	const char *at;
	char why[200];
	size_t i;
	int from = 0;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (key == NULL || o == NULL || o->domain == NULL || o->selector == NULL) {
		snprintf(err, errlen, "a key, a domain and a selector are needed to sign");
		return AU_EINVAL;
	}
	if (!au_dkim__is_domain(o->domain, strlen(o->domain), 0, 2)) {
		snprintf(err, errlen, "'%s' is not a valid signing domain (d=)", o->domain);
		return AU_EINVAL;
	}
	if (!au_dkim__is_domain(o->selector, strlen(o->selector), 1, 1)) {
		snprintf(err, errlen, "'%s' is not a valid selector (s=)", o->selector);
		return AU_EINVAL;
	}
	if (o->identity) {
		at = strrchr(o->identity, '@');
		if (at == NULL || strlen(o->identity) >= DKIM_MAX_IDENTITY / 3 ||
		    !au_dkim__is_domain(at + 1, strlen(at + 1), 0, 1)) {
			snprintf(err, errlen, "'%s' is not a valid identity (i=)", o->identity);
			return AU_EINVAL;
		}
		{
			size_t an = strlen(at + 1), dn = strlen(o->domain);

			if (!(au_dkim__ieq(at + 1, an, o->domain, dn) ||
			    (an > dn && at[an - dn] == '.' &&
			    au_dkim__ieq(at + 1 + an - dn, dn, o->domain, dn)))) {
				snprintf(err, errlen, "identity %s is not in the domain %s",
				    o->identity, o->domain);
				return AU_EINVAL;
			}
		}
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		return AU_ENOMEM;
	s->key = key;
	s->hcanon = o->header_canon;
	s->bcanon = o->body_canon;
	s->expire_after = o->expire_after;
	s->now_opt = o->now;
	au_buf_init(&s->hdr, DKIM_MAX_HEADER_BYTES);
	au_buf_init(&s->hlist, 0);
	au_buf_init(&s->scratch, 0);
	au_buf_init(&s->out, 0);
	if ((s->domain = strdup(o->domain)) == NULL ||
	    (s->selector = strdup(o->selector)) == NULL ||
	    (o->identity && (s->identity = strdup(o->identity)) == NULL))
		goto nomem;
	if (o->headers) {
		s->explicit_list = 1;
		if (split_list(o->headers, s->names, &s->nnames, MAX_LIST - 1, why,
		    sizeof why) < 0) {
			snprintf(err, errlen, "header list: %s", why);
			au_dkim_signer_free(s);
			return AU_EINVAL;
		}
		for (i = 0; i < s->nnames; i++)
			if (strcasecmp(s->names[i], "from") == 0)
				from = 1;
		if (!from) {
			/* RFC 6376 5.4: From MUST be signed. */
			memmove(s->names + 1, s->names, s->nnames * sizeof s->names[0]);
			if ((s->names[0] = strdup("from")) == NULL) {
				s->nnames++;
				goto nomem;
			}
			s->nnames++;
		}
	}
	if (o->oversign) {
		if (o->oversign[0] && split_list(o->oversign, s->over, &s->nover, MAX_LIST,
		    why, sizeof why) < 0) {
			snprintf(err, errlen, "over-sign list: %s", why);
			au_dkim_signer_free(s);
			return AU_EINVAL;
		}
	} else if (!o->headers) {
		for (i = 0; default_oversign[i]; i++)
			if ((s->over[s->nover++] = strdup(default_oversign[i])) == NULL)
				goto nomem;
	}
	snprintf(s->cvalue, sizeof s->cvalue, "%s/%s",
	    s->hcanon == AU_DKIM_CANON_SIMPLE ? "simple" : "relaxed",
	    s->bcanon == AU_DKIM_CANON_SIMPLE ? "simple" : "relaxed");
	if (s->identity)
		dqp_encode(s->identity, s->identity_qp, sizeof s->identity_qp);
	for (i = 0; i < s->nnames; i++)
		s->names_len[i] = strlen(s->names[i]);
	for (i = 0; i < s->nover; i++) {
		s->over_len[i] = strlen(s->over[i]);
		s->over_def[i] = default_index(s->over[i], s->over_len[i]);
		if (s->over_def[i] >= 0)
			s->def_over[s->over_def[i]] = 1;
	}
	au_dkim__body_init(&s->body, s->bcanon);
	s->sink.write = md_write;
	s->sink.limit = UINT64_MAX;
	if ((s->bmd = EVP_MD_CTX_new()) == NULL || (s->hmd = EVP_MD_CTX_new()) == NULL)
		goto nomem;
	s->sink.arg = s->bmd;
	au_dkim__body_add_sink(&s->body, &s->sink);
	if (key->alg == AU_DKIM_RSA_SHA256) {
		if ((s->rsactx = EVP_PKEY_CTX_new(key->pkey, NULL)) == NULL ||
		    EVP_PKEY_sign_init(s->rsactx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(s->rsactx, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(s->rsactx, au_dkim__sha256()) != 1) {
			ERR_clear_error();
			snprintf(err, errlen, "cannot set up RSA signing in OpenSSL");
			au_dkim_signer_free(s);
			return AU_ECRYPTO;
		}
	} else {
		/* Initialised once: one-shot EdDSA signing reuses the context. */
		if ((s->edmd = EVP_MD_CTX_new()) == NULL)
			goto nomem;
		if (EVP_DigestSignInit(s->edmd, NULL, NULL, NULL, key->pkey) != 1) {
			ERR_clear_error();
			snprintf(err, errlen, "cannot set up Ed25519 signing in OpenSSL");
			au_dkim_signer_free(s);
			return AU_ECRYPTO;
		}
	}
	if (start_message(s) != AU_OK) {
		snprintf(err, errlen, "%s", s->err);
		au_dkim_signer_free(s);
		return AU_ECRYPTO;
	}
	*out = s;
	return AU_OK;
nomem:
	au_dkim_signer_free(s);
	snprintf(err, errlen, "out of memory");
	return AU_ENOMEM;
}

void
au_dkim_signer_reset(au_dkim_signer *s, time_t now)
{
	s->now_opt = now;
	(void)start_message(s);
}

const char *
au_dkim_signer_error(const au_dkim_signer *s)
{
	return s->err;
}

static int
in_list(char *const *names, const size_t *lens, size_t n, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lens[i] == len && au_dkim__ieq(names[i], len, p, len))
			return 1;
	return 0;
}


au_status
au_dkim_signer_header(au_dkim_signer *s, const char *field, size_t len)
{
	long nl;
	sfield *f;
	int di;

	if (s->state != 0)
		return s->state == 3 ? AU_ESTATE : sfail(s, AU_ESTATE, "header after end of header");
	if ((nl = au_dkim__field_name(field, len)) <= 0)
		return sfail(s, AU_ESYNTAX, "header field without a name and colon");
	/* Keep only fields that can be signed. */
	di = s->explicit_list ? -1 : default_index(field, (size_t)nl);
	if (!(s->explicit_list ? in_list(s->names, s->names_len, s->nnames, field, (size_t)nl) :
	    di >= 0) &&
	    !in_list(s->over, s->over_len, s->nover, field, (size_t)nl))
		return AU_OK;
	if (s->nfields >= DKIM_MAX_HEADERS) {
		s->state = 3;
		return sfail(s, AU_ETOOBIG, "more than %d header fields to sign", DKIM_MAX_HEADERS);
	}
	if (au_buf_append(&s->hdr, field, len) != AU_OK) {
		s->state = 3;
		return sfail(s, AU_ETOOBIG, "header fields to sign exceed %d bytes",
		    DKIM_MAX_HEADER_BYTES);
	}
	if (s->nfields == s->capfields) {
		size_t nc = s->capfields ? s->capfields * 2 : 16;

		if ((f = realloc(s->fields, nc * sizeof *f)) == NULL)
			return sfail(s, AU_ENOMEM, "out of memory");
		s->fields = f;
		s->capfields = nc;
	}
	if (di >= 0)
		s->dcount[di]++;
	f = &s->fields[s->nfields++];
	f->off = (uint32_t)(s->hdr.len - len);
	f->len = (uint32_t)len;
	f->namelen = (uint32_t)nl;
	return AU_OK;
}

static size_t
count_present(const au_dkim_signer *s, const char *name, size_t l)
{
	size_t i, n = 0;

	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].namelen == l &&
		    au_dkim__ieq(s->hdr.data + s->fields[i].off, l, name, l))
			n++;
	return n;
}

/* Append name to the h= value being built. */
static au_status
add_name(au_dkim_signer *s, const char *name, size_t len, size_t *count)
{
	au_status st;

	if (*count >= DKIM_MAX_HNAMES)
		return sfail(s, AU_ETOOBIG, "h= would list more than %d names", DKIM_MAX_HNAMES);
	if ((*count > 0 && (st = au_buf_putc(&s->hlist, ':')) != AU_OK) ||
	    (st = au_buf_append(&s->hlist, name, len)) != AU_OK)
		return sfail(s, st, "out of memory");
	(*count)++;
	return AU_OK;
}

/* Decide h= (see au_dkim.h) into s->hlist. */
static au_status
build_hlist(au_dkim_signer *s)
{
	size_t i, j, n, listed, count = 0;
	au_status st;
	char lower[128];

	au_buf_reset(&s->hlist);
	if (s->explicit_list) {
		for (i = 0; i < s->nnames; i++)
			if ((st = add_name(s, s->names[i], s->names_len[i], &count)) != AU_OK)
				return st;
		for (i = 0; i < s->nover; i++) {
			n = count_present(s, s->over[i], s->over_len[i]);
			for (listed = 0, j = 0; j < s->nnames; j++)
				if (s->names_len[j] == s->over_len[i] &&
				    au_dkim__ieq(s->names[j], s->names_len[j], s->over[i], s->over_len[i]))
					listed++;
			for (; listed < n + 1; listed++)
				if ((st = add_name(s, s->over[i], s->over_len[i], &count)) != AU_OK)
					return st;
		}
		return AU_OK;
	}
	for (i = 0; i < NDEFAULT; i++) {
		const dname *d = &default_set[i];

		n = s->dcount[i] + s->def_over[i];
		if (i == 0 && n == 0)		/* From is always signed */
			n = 1;
		for (j = 0; j < n; j++)
			if ((st = add_name(s, d->s, d->len, &count)) != AU_OK)
				return st;
	}
	/* Over-sign names outside the default set, lower-cased. */
	for (i = 0; i < s->nover; i++) {
		size_t l = s->over_len[i];

		if (s->over_def[i] >= 0 || l >= sizeof lower)
			continue;
		for (j = 0; j < l; j++)
			lower[j] = (s->over[i][j] >= 'A' && s->over[i][j] <= 'Z') ?
			    (char)(s->over[i][j] + 32) : s->over[i][j];
		n = count_present(s, lower, l) + 1;
		for (j = 0; j < n; j++)
			if ((st = add_name(s, lower, l, &count)) != AU_OK)
				return st;
	}
	return AU_OK;
}

/* Hash the fields named in h=, each name taking the bottom-most unused instance. */
static au_status
hash_fields(au_dkim_signer *s)
{
	unsigned char used[(DKIM_MAX_HEADERS + 7) / 8];
	const char *p = s->hlist.data, *e, *end = s->hlist.data + s->hlist.len;
	size_t i;
	au_status st;

	memset(used, 0, sizeof used);
	au_buf_reset(&s->scratch);
	while (p < end) {
		e = memchr(p, ':', (size_t)(end - p));
		if (e == NULL)
			e = end;
		for (i = s->nfields; i-- > 0;) {
			if (s->fields[i].namelen != (size_t)(e - p) ||
			    (used[i / 8] & (1u << (i % 8))) ||
			    !au_dkim__ieq(s->hdr.data + s->fields[i].off, s->fields[i].namelen,
			    p, (size_t)(e - p)))
				continue;
			used[i / 8] |= (unsigned char)(1u << (i % 8));
			if ((st = au_dkim__canon_header(s->hcanon, s->hdr.data + s->fields[i].off,
			    s->fields[i].len, 1, &s->scratch)) != AU_OK)
				return sfail(s, st, "out of memory");
			break;
		}
		p = e + 1;
	}
	if (EVP_DigestUpdate(s->hmd, s->scratch.data, s->scratch.len) != 1)
		return sfail(s, AU_ECRYPTO, "SHA-256 failed");
	return AU_OK;
}

au_status
au_dkim_signer_eoh(au_dkim_signer *s)
{
	au_status st;

	if (s->state != 0)
		return s->state == 3 ? AU_ESTATE : sfail(s, AU_ESTATE, "end of header twice");
	if ((st = build_hlist(s)) != AU_OK || (st = hash_fields(s)) != AU_OK) {
		s->state = 3;
		return st;
	}
	s->state = 1;
	return AU_OK;
}

au_status
au_dkim_signer_body(au_dkim_signer *s, const void *chunk, size_t len)
{
	if (s->state != 1)
		return s->state == 3 ? AU_ESTATE : sfail(s, AU_ESTATE, "body outside the body phase");
	au_dkim__body_update(&s->body, chunk, len);
	return AU_OK;
}

/* Field builder: append "piece" (one tag with its ';'), folding before it if needed. */
typedef struct fold {
	au_buf	*b;
	size_t	 col;		/* octets on the current line */
} fold;

static au_status
fold_put(fold *f, const char *piece, size_t n, int space)
{
	au_status st;

	if (f->col + (space ? 1 : 0) + n > LINE_MAX_OCT && f->col > 1) {
		if ((st = au_buf_puts(f->b, "\r\n\t")) != AU_OK)
			return st;
		f->col = 1;
	} else if (space) {
		if ((st = au_buf_putc(f->b, ' ')) != AU_OK)
			return st;
		f->col++;
	}
	if ((st = au_buf_append(f->b, piece, n)) != AU_OK)
		return st;
	f->col += n;
	return AU_OK;
}

/* h=name:name:... folded after colons. */
static au_status
fold_hlist(fold *f, const char *list, size_t len)
{
	const char *p = list, *e, *end = list + len;
	au_status st;
	char piece[160];
	int first = 1;

	while (p < end) {
		size_t n, o = 0;

		e = memchr(p, ':', (size_t)(end - p));
		e = e ? e + 1 : end;	/* keep the colon with the name */
		n = (size_t)(e - p);
		if (n + 4 >= sizeof piece)
			return AU_ETOOBIG;
		if (first) {
			memcpy(piece, "h=", 2);
			o = 2;
		}
		memcpy(piece + o, p, n);
		o += n;
		if (e == end)
			piece[o++] = ';';
		if ((st = fold_put(f, piece, o, first)) != AU_OK)
			return st;
		first = 0;
		p = e;
	}
	return AU_OK;
}

/* "tag=value;" (or, last, "tag=value" without ';'), folded before it if needed. */
static au_status
put_tag(fold *f, const char *tag, const char *val, int last)
{
	char piece[DKIM_MAX_IDENTITY + 16];
	size_t tl = strlen(tag), vl = strlen(val);

	if (tl + vl + 2 > sizeof piece)
		return AU_ETOOBIG;
	memcpy(piece, tag, tl);
	memcpy(piece + tl, val, vl);
	if (!last)
		piece[tl + vl++] = ';';
	return fold_put(f, piece, tl + vl, 1);
}

/* Decimal text of v in buf (at least 21 octets); returns buf. */
static char *
utoa(unsigned long long v, char *buf)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return buf;
}

/* dkim-quoted-printable for i= (RFC 6376 2.11). */
static void
dqp_encode(const char *in, char *outp, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 4 < outlen; in++) {
		unsigned char c = (unsigned char)*in;

		if (c > 0x20 && c < 0x7f && c != ';' && c != '=')
			outp[o++] = (char)c;
		else
			o += (size_t)snprintf(outp + o, outlen - o, "=%02X", c);
	}
	outp[o] = '\0';
}

au_status
au_dkim_signer_eom(au_dkim_signer *s, char **field)
{
	unsigned char bh[32], hh[32], sig[DKIM_MAX_B];
	char b64[4 * (DKIM_MAX_B / 3 + 1) + 1], piece[32];
	unsigned int dl;
	size_t siglen = sizeof sig, n, i, hashed_len;
	au_status st;
	fold f;
	au_buf *o = &s->out;

	*field = NULL;
	if (s->state != 1)
		return s->state == 3 ? AU_ESTATE : sfail(s, AU_ESTATE, "end of message before end of header");
	s->state = 3;
	au_dkim__body_final(&s->body);
	if (EVP_DigestFinal_ex(s->bmd, bh, &dl) != 1)
		return sfail(s, AU_ECRYPTO, "SHA-256 failed");

	au_buf_reset(o);
	f.b = o;
	if ((st = au_buf_puts(o, "DKIM-Signature: v=1;")) != AU_OK)
		return sfail(s, st, "out of memory");
	f.col = o->len;
	if ((st = put_tag(&f, "a=", s->key->alg == AU_DKIM_ED25519_SHA256 ?
	    "ed25519-sha256" : "rsa-sha256", 0)) != AU_OK ||
	    (st = put_tag(&f, "c=", s->cvalue, 0)) != AU_OK ||
	    (st = put_tag(&f, "d=", s->domain, 0)) != AU_OK ||
	    (st = put_tag(&f, "s=", s->selector, 0)) != AU_OK ||
	    (s->identity && (st = put_tag(&f, "i=", s->identity_qp, 0)) != AU_OK) ||
	    (st = put_tag(&f, "t=", utoa((unsigned long long)s->now, piece), 0)) != AU_OK ||
	    (s->expire_after && (st = put_tag(&f, "x=", utoa((unsigned long long)s->now +
	    s->expire_after, piece), 0)) != AU_OK) ||
	    (st = fold_hlist(&f, s->hlist.data ? s->hlist.data : "from", s->hlist.len ?
	    s->hlist.len : 4)) != AU_OK)
		return sfail(s, st, "out of memory");
	au_dkim__b64_encode(bh, 32, b64);
	if ((st = put_tag(&f, "bh=", b64, 0)) != AU_OK ||
	    (st = put_tag(&f, "b=", "", 1)) != AU_OK)
		return sfail(s, st, "out of memory");
	/* Hash the field as it stands, b= empty, without a final CRLF. */
	hashed_len = o->len;
	au_buf_reset(&s->scratch);
	if ((st = au_dkim__canon_header(s->hcanon, o->data, hashed_len, 0, &s->scratch)) != AU_OK)
		return sfail(s, st, "out of memory");
	if (EVP_DigestUpdate(s->hmd, s->scratch.data, s->scratch.len) != 1 ||
	    EVP_DigestFinal_ex(s->hmd, hh, &dl) != 1)
		return sfail(s, AU_ECRYPTO, "SHA-256 failed");
	if (s->key->alg == AU_DKIM_RSA_SHA256) {
		if (EVP_PKEY_sign(s->rsactx, sig, &siglen, hh, 32) != 1) {
			ERR_clear_error();
			return sfail(s, AU_ECRYPTO, "RSA signing failed in OpenSSL");
		}
	} else {
		if (EVP_DigestSign(s->edmd, sig, &siglen, hh, 32) != 1) {
			/* A library that wants a fresh context each time: make one. */
			ERR_clear_error();
			siglen = sizeof sig;
			if (EVP_DigestSignInit(s->edmd, NULL, NULL, NULL, s->key->pkey) != 1 ||
			    EVP_DigestSign(s->edmd, sig, &siglen, hh, 32) != 1) {
				ERR_clear_error();
				return sfail(s, AU_ECRYPTO, "Ed25519 signing failed in OpenSSL");
			}
		}
	}
	n = au_dkim__b64_encode(sig, siglen, b64);
	/* Fill the line after "b=", then whole lines. */
	for (i = 0; i < n;) {
		size_t room = f.col < LINE_MAX_OCT ? LINE_MAX_OCT - f.col : 0, take;

		if (room == 0) {
			if ((st = au_buf_puts(o, "\r\n\t")) != AU_OK)
				return sfail(s, st, "out of memory");
			f.col = 1;
			continue;
		}
		take = n - i < room ? n - i : room;
		if ((st = au_buf_append(o, b64 + i, take)) != AU_OK)
			return sfail(s, st, "out of memory");
		f.col += take;
		i += take;
	}
	/* Hand out a copy: the signer keeps its buffer for the next message. */
	if ((*field = malloc(o->len + 1)) == NULL)
		return sfail(s, AU_ENOMEM, "out of memory");
	memcpy(*field, o->data, o->len + 1);
	s->state = 2;
	return AU_OK;
}
