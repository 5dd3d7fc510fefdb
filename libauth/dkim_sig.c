/*
 * dkim_sig.c - parse and validate a DKIM-Signature header field: RFC 6376
 * 3.5 (tags and their syntax), 6.1.1 (required tags, version, i= within
 * d=, From signed), 2.11 (dkim-quoted-printable for i=), RFC 8463 4.1
 * (a=ed25519-sha256) and RFC 8301 (a=rsa-sha1 is recognised here and
 * refused by the verifier).
 *
 * Any inconsistency makes the signature a permerror with a reason naming
 * the tag; unknown tags are ignored (3.2).  Checks that need the clock
 * (t=, x=) or the key are done by the verifier.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "dkim_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static int
fail(char *reason, size_t rlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *reason, size_t rlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, rlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Print at most 40 octets of a value, non-printables as '?'. */
static const char *
show(const au_tag *t, char *buf, size_t buflen)
{
	size_t i, o = 0;

	for (i = 0; i < t->valuelen && o + 4 < buflen && i < 40; i++) {
		unsigned char c = (unsigned char)t->value[i];

		buf[o++] = (c >= 32 && c < 127) ? (char)c : '?';
	}
	if (i < t->valuelen && o + 4 < buflen) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int
is_value(const au_tag *t, const char *s)
{
	size_t n = strlen(s);

	return t->valuelen == n && memcmp(t->value, s, n) == 0;
}

/*
 * Unsigned decimal of 1..maxdigits digits; more than satdigits digits (or
 * overflow) saturates to UINT64_MAX (RFC 6376 3.5 t=: "MAY consider any
 * value longer than 12 digits to be infinite").
 */
static int
parse_uint(const au_tag *t, size_t maxdigits, size_t satdigits, uint64_t *out)
{
	size_t i;
	uint64_t v = 0;
	int sat = 0;

	if (t->valuelen == 0 || t->valuelen > maxdigits)
		return -1;
	for (i = 0; i < t->valuelen; i++) {
		unsigned d = (unsigned char)t->value[i] - '0';

		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			sat = 1;
		else
			v = v * 10 + d;
	}
	*out = (sat || t->valuelen > satdigits) ? UINT64_MAX : v;
	return 0;
}

static int
copy_name(const au_tag *t, char *out, size_t outlen)
{
	if (t->valuelen >= outlen)
		return -1;
	memcpy(out, t->value, t->valuelen);
	out[t->valuelen] = '\0';
	return 0;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')	/* RFC 6376 2.11 says upper case; be kind */
		return c - 'a' + 10;
	return -1;
}

/* Decode dkim-quoted-printable (RFC 6376 2.11): FWS dropped, =XX decoded. */
static int
dqp_decode(const au_tag *t, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < t->valuelen; i++) {
		unsigned char c = (unsigned char)t->value[i];
		int h, l;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			if (i + 2 >= t->valuelen)
				return -1;
			if ((h = hexval((unsigned char)t->value[i + 1])) < 0 ||
			    (l = hexval((unsigned char)t->value[i + 2])) < 0)
				return -1;
			c = (unsigned char)(h * 16 + l);
			i += 2;
			if (c < 0x20 || c == 0x7f)
				return -1;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Is the domain a equal to d or a subdomain of it (case-insensitive)? */
static int
within(const char *a, const char *d)
{
	size_t an = strlen(a), dn = strlen(d);

	if (an == dn)
		return au_dkim__ieq(a, an, d, dn);
	return an > dn && a[an - dn - 1] == '.' && au_dkim__ieq(a + an - dn, dn, d, dn);
}

/* End of the header field name (octets 33..126 but ':') starting at v[i]. */
static inline size_t
hname_end(const char *v, size_t i, size_t n)
{
#if defined(__SSE2__)
	const __m128i sp = _mm_set1_epi8(' '), del = _mm_set1_epi8(0x7f);
	const __m128i colon = _mm_set1_epi8(':');

	while (i + 16 <= n) {
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
		/* signed lanes: octets of 0x80 and above are negative, not > SP */
		__m128i ok = _mm_andnot_si128(_mm_cmpeq_epi8(c, colon),
		    _mm_and_si128(_mm_cmpgt_epi8(c, sp), _mm_cmplt_epi8(c, del)));
		unsigned m = (unsigned)_mm_movemask_epi8(ok) ^ 0xffffu;

		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 33 || c > 126 || c == ':')
			break;
	}
	return i;
}

/* h=: hdr-name *( [FWS] ":" [FWS] hdr-name ), From required. */
static int
parse_h(dkim_sig *sig, const au_tag *t, size_t base, char *reason, size_t rlen)
{
	size_t i = 0, start;
	int from = 0;

	sig->nh = 0;
	for (;;) {
		while (i < t->valuelen && (t->value[i] == ' ' || t->value[i] == '\t' ||
		    t->value[i] == '\r' || t->value[i] == '\n'))
			i++;
		start = i;
		i = hname_end(t->value, i, t->valuelen);
		if (i == start)
			return fail(reason, rlen, "h= has an empty or malformed header field name");
		if (sig->nh == DKIM_MAX_HNAMES)
			return fail(reason, rlen, "h= lists more than %d header fields",
			    DKIM_MAX_HNAMES);
		sig->h[sig->nh].off = (uint32_t)(base + start);
		sig->h[sig->nh].len = (uint32_t)(i - start);
		sig->h[sig->nh].hash = au_dkim__name_hash(t->value + start, i - start);
		if (i - start == 4 && au_dkim__ieq(t->value + start, 4, "from", 4))
			from = 1;
		sig->nh++;
		while (i < t->valuelen && (t->value[i] == ' ' || t->value[i] == '\t' ||
		    t->value[i] == '\r' || t->value[i] == '\n'))
			i++;
		if (i == t->valuelen)
			break;
		if (t->value[i] != ':')
			return fail(reason, rlen, "h= has a malformed header field name");
		i++;
	}
	if (!from)
		return fail(reason, rlen, "h= does not include From (From field not signed)");
	return 0;
}

int
au_dkim__sig_parse(dkim_sig *sig, const char *field, size_t len, char *reason, size_t rlen)
{
	const char *colon = memchr(field, ':', len), *value;
	size_t vlen, voff, n;
	au_taglist tl;
	const au_tag *tv, *ta, *tb, *tbh, *tc, *td, *th, *ti, *tl_, *tq, *ts, *tt, *tx;
	char err[160], sh[64], *slash, cbuf[64];
	size_t k;

	sig->domain[0] = sig->selector[0] = sig->identity[0] = sig->bprefix[0] = '\0';
	sig->has_l = sig->has_t = sig->has_x = 0;
	sig->nh = sig->blen = sig->bhlen = 0;
	sig->alg = AU_DKIM_RSA_SHA256;
	sig->hcanon = sig->bcanon = AU_DKIM_CANON_SIMPLE;
	if (colon == NULL)
		return fail(reason, rlen, "signature field has no colon");
	value = colon + 1;
	voff = (size_t)(value - field);
	vlen = len - voff;
	if (au_tags_parse(&tl, value, vlen, err, sizeof err) != AU_OK)
		return fail(reason, rlen, "signature syntax error: %s", err);

	/* One pass to find the known tags (unknown ones are ignored, 3.2). */
	tv = ta = tb = tbh = tc = td = th = ti = tl_ = tq = ts = tt = tx = NULL;
	for (k = 0; k < tl.count; k++) {
		const au_tag *t = &tl.tag[k];
		const char *nm = t->name;

		if (t->namelen == 1) {
			switch (nm[0]) {
			case 'v': tv = t; break;
			case 'a': ta = t; break;
			case 'b': tb = t; break;
			case 'c': tc = t; break;
			case 'd': td = t; break;
			case 'h': th = t; break;
			case 'i': ti = t; break;
			case 'l': tl_ = t; break;
			case 'q': tq = t; break;
			case 's': ts = t; break;
			case 't': tt = t; break;
			case 'x': tx = t; break;
			default: break;
			}
		} else if (t->namelen == 2 && nm[0] == 'b' && nm[1] == 'h')
			tbh = t;
	}
	/* d= and s= first, so that even a broken signature can be reported. */
	if (td && copy_name(td, sig->domain, sizeof sig->domain) < 0)
		sig->domain[0] = '\0';
	if (ts && copy_name(ts, sig->selector, sizeof sig->selector) < 0)
		sig->selector[0] = '\0';
	{
		const au_tag *req[] = { tv, ta, tb, tbh, td, th, ts };
		static const char *const reqname[] = { "v", "a", "b", "bh", "d", "h", "s" };

		for (k = 0; k < sizeof req / sizeof req[0]; k++)
			if (req[k] == NULL)
				return fail(reason, rlen,
				    "signature is missing the required tag %s=", reqname[k]);
	}

	if (!is_value(tv, "1"))
		return fail(reason, rlen, "v=%s is not supported (incompatible version)",
		    show(tv, sh, sizeof sh));
	if (is_value(ta, "rsa-sha256"))
		sig->alg = AU_DKIM_RSA_SHA256;
	else if (is_value(ta, "ed25519-sha256"))
		sig->alg = AU_DKIM_ED25519_SHA256;
	else if (is_value(ta, "rsa-sha1"))
		sig->alg = AU_DKIM_RSA_SHA1;
	else
		return fail(reason, rlen, "unsupported signature algorithm a=%s",
		    show(ta, sh, sizeof sh));

	if (sig->domain[0] == '\0' || !au_dkim__is_domain(sig->domain, strlen(sig->domain), 0, 2))
		return fail(reason, rlen, "d=%s is not a valid domain name", show(td, sh, sizeof sh));
	if (sig->selector[0] == '\0' ||
	    !au_dkim__is_domain(sig->selector, strlen(sig->selector), 1, 1))
		return fail(reason, rlen, "s=%s is not a valid selector", show(ts, sh, sizeof sh));

	if (tc) {
		if (tc->valuelen >= sizeof cbuf)
			return fail(reason, rlen, "unsupported canonicalization c=%s",
			    show(tc, sh, sizeof sh));
		memcpy(cbuf, tc->value, tc->valuelen);
		cbuf[tc->valuelen] = '\0';
		slash = strchr(cbuf, '/');
		if (slash)
			*slash++ = '\0';
		if (strcmp(cbuf, "simple") == 0)
			sig->hcanon = AU_DKIM_CANON_SIMPLE;
		else if (strcmp(cbuf, "relaxed") == 0)
			sig->hcanon = AU_DKIM_CANON_RELAXED;
		else
			return fail(reason, rlen, "unsupported canonicalization c=%s",
			    show(tc, sh, sizeof sh));
		if (slash == NULL || strcmp(slash, "simple") == 0)
			sig->bcanon = AU_DKIM_CANON_SIMPLE;
		else if (strcmp(slash, "relaxed") == 0)
			sig->bcanon = AU_DKIM_CANON_RELAXED;
		else
			return fail(reason, rlen, "unsupported canonicalization c=%s",
			    show(tc, sh, sizeof sh));
	}

	if (tq) {
		/* A colon list of methods; dns/txt must be among them. */
		size_t i = 0, s0;
		int ok = 0;

		while (i <= tq->valuelen) {
			while (i < tq->valuelen && (tq->value[i] == ' ' || tq->value[i] == '\t' ||
			    tq->value[i] == '\r' || tq->value[i] == '\n'))
				i++;
			s0 = i;
			while (i < tq->valuelen && tq->value[i] != ':')
				i++;
			n = i - s0;
			while (n > 0 && (tq->value[s0 + n - 1] == ' ' || tq->value[s0 + n - 1] == '\t' ||
			    tq->value[s0 + n - 1] == '\r' || tq->value[s0 + n - 1] == '\n'))
				n--;
			if (n == 7 && memcmp(tq->value + s0, "dns/txt", 7) == 0)
				ok = 1;
			i++;
		}
		if (!ok)
			return fail(reason, rlen, "no supported key query method in q=%s (want dns/txt)",
			    show(tq, sh, sizeof sh));
	}

	if (parse_h(sig, th, (size_t)(th->value - field), reason, rlen) < 0)
		return -1;

	if (ti) {
		char *at, *dom;

		if (dqp_decode(ti, sig->identity, sizeof sig->identity) < 0)
			return fail(reason, rlen, "i=%s is not valid dkim-quoted-printable",
			    show(ti, sh, sizeof sh));
		at = strrchr(sig->identity, '@');
		if (at == NULL)
			return fail(reason, rlen, "i=%s has no '@'", show(ti, sh, sizeof sh));
		dom = at + 1;
		if (!au_dkim__is_domain(dom, strlen(dom), 0, 1))
			return fail(reason, rlen, "i=%s has an invalid domain", show(ti, sh, sizeof sh));
		if (!within(dom, sig->domain))
			return fail(reason, rlen,
			    "i= domain %s is not d=%s or a subdomain of it (domain mismatch)",
			    dom, sig->domain);
	} else {
		size_t dl = strlen(sig->domain);

		sig->identity[0] = '@';
		memcpy(sig->identity + 1, sig->domain, dl + 1);	/* dl < 256 < 511 */
	}

	if (tl_) {
		if (parse_uint(tl_, 76, 19, &sig->l) < 0)
			return fail(reason, rlen, "l=%s is not a decimal number of at most 76 digits",
			    show(tl_, sh, sizeof sh));
		sig->has_l = 1;
	}
	if (tt) {
		if (parse_uint(tt, 40, 12, &sig->t) < 0)
			return fail(reason, rlen, "t=%s is not a decimal timestamp",
			    show(tt, sh, sizeof sh));
		sig->has_t = 1;
	}
	if (tx) {
		if (parse_uint(tx, 40, 12, &sig->x) < 0)
			return fail(reason, rlen, "x=%s is not a decimal timestamp",
			    show(tx, sh, sizeof sh));
		sig->has_x = 1;
	}

	if (au_dkim__b64_decode(tbh->value, tbh->valuelen, sig->bh, sizeof sig->bh,
	    &sig->bhlen) < 0)
		return fail(reason, rlen, "bh= is not valid base64");
	if (sig->bhlen != (sig->alg == AU_DKIM_RSA_SHA1 ? 20u : 32u))
		return fail(reason, rlen, "bh= holds %zu octets, not the %u of a %s digest",
		    sig->bhlen, sig->alg == AU_DKIM_RSA_SHA1 ? 20u : 32u,
		    sig->alg == AU_DKIM_RSA_SHA1 ? "SHA-1" : "SHA-256");
	if (tb->valuelen == 0)
		return fail(reason, rlen, "b= is empty");
	if (au_dkim__b64_decode(tb->value, tb->valuelen, sig->b, sizeof sig->b, &sig->blen) < 0)
		return fail(reason, rlen, "b= is not valid base64 (or longer than %d octets)",
		    DKIM_MAX_B);
	if (sig->blen == 0)
		return fail(reason, rlen, "b= is empty");
	n = au_tags_value_nows(tb, sig->bprefix, sizeof sig->bprefix);
	if (n == (size_t)-1) {
		/* Longer than the prefix buffer: keep its first octets. */
		size_t i, o = 0;

		for (i = 0; i < tb->valuelen && o + 1 < sizeof sig->bprefix; i++)
			if (tb->value[i] != ' ' && tb->value[i] != '\t' &&
			    tb->value[i] != '\r' && tb->value[i] != '\n')
				sig->bprefix[o++] = tb->value[i];
		sig->bprefix[o] = '\0';
	}
	sig->bval_start = voff + tb->raw_start;
	sig->bval_end = voff + tb->raw_end;
	return 0;
}
