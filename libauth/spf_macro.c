/*
 * spf_macro.c - SPF macro syntax and expansion, RFC 7208 section 7.
 *
 * One scanner serves both the parser (syntax check of domain-specs,
 * macro-strings and explain-strings, section 7.1) and check_host()
 * (expansion, section 7.3): letters s l o d i p v h, plus c r t in
 * explanations; transformers (a non-zero count of right-hand parts and
 * "r" for reversal); delimiters . - + , / _ =; "%%", "%_", "%-"; upper-case
 * letters URL-escaped (RFC 3986 "unreserved" kept); the 253-octet
 * truncation of target names by dropping labels on the left.
 *
 * All output goes to an au_buf whose maximum bounds the work, so a record
 * full of %{s} and a huge sender cannot make us build more than a few KB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "spf_int.h"

#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))

/* One parsed "%{...}". */
typedef struct macro {
	char	 letter;	/* lower case */
	int	 upper;		/* written in upper case: URL-escape */
	size_t	 keep;		/* right-hand parts to keep; 0 = all */
	int	 reverse;
	char	 delims[8];	/* NUL-terminated set; "" = "." */
} macro;

static void
seterr(char *err, size_t errlen, const char *what, const char *s, size_t len)
{
	char tmp[80];

	if (err && errlen)
		snprintf(err, errlen, "%s '%s'", what,
		    au_spf__printable(s, len, tmp, sizeof tmp));
}

const char *
au_spf__printable(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t i, o = 0;

	if (buflen == 0)
		return buf;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 8 >= buflen) {
			if (buflen >= 4) {
				if (o > buflen - 4)
					o = buflen - 4;
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, buflen - o, "\\x%02X", c);
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Parse "{...}" after the "%" at s[0] (s[1] is '{').  Returns the length
 * of the whole macro-expand, or 0 on a syntax error.
 */
static size_t
parse_macro(const char *s, size_t len, au_spf__mkind kind, macro *m)
{
	size_t i = 2, nd = 0, nz;
	char c;

	memset(m, 0, sizeof *m);
	if (i >= len)
		return 0;
	c = s[i++];
	m->upper = c >= 'A' && c <= 'Z';
	m->letter = m->upper ? (char)(c - 'A' + 'a') : c;
	if (strchr("slodipvh", m->letter) == NULL || m->letter == '\0') {
		if (kind == AU_SPF__M_DOMAIN || m->letter == '\0' ||
		    strchr("crt", m->letter) == NULL)
			return 0;
	}
	/* transformers = *DIGIT [ "r" ]; the count must be non-zero. */
	nz = 0;
	while (i < len && IS_DIGIT(s[i])) {
		if (s[i] != '0' || nz)
			nz++;
		/* Counts beyond 128 keep every part (at most 127 labels). */
		if (nz <= 4)
			m->keep = m->keep * 10 + (size_t)(s[i] - '0');
		i++;
		nd++;
	}
	if (nd > 0 && m->keep == 0)
		return 0;
	if (nz > 4)
		m->keep = 100000;
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		m->reverse = 1;
		i++;
	}
	nd = 0;
	while (i < len && strchr(".-+,/_=", s[i]) != NULL && s[i] != '\0') {
		if (strchr(m->delims, s[i]) == NULL && nd < sizeof m->delims - 1)
			m->delims[nd++] = s[i];
		i++;
	}
	if (i >= len || s[i] != '}')
		return 0;
	return i + 1;
}

/* Append n bytes, URL-escaping what is not RFC 3986 "unreserved". */
static au_status
put(au_buf *out, const char *s, size_t n, int escape)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, start = 0;
	au_status st;

	if (!escape)
		return au_buf_append(out, s, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3];

		if (IS_ALPHA(c) || IS_DIGIT(c) || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			continue;
		if ((st = au_buf_append(out, s + start, i - start)) != AU_OK)
			return st;
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 0xf];
		if ((st = au_buf_append(out, e, 3)) != AU_OK)
			return st;
		start = i + 1;
	}
	return au_buf_append(out, s + start, n - start);
}

static int
is_delim(const macro *m, char c)
{
	if (m->delims[0] == '\0')
		return c == '.';
	return c != '\0' && strchr(m->delims, c) != NULL;
}

/*
 * Apply transformers and delimiters to value (section 7.3): split on the
 * delimiters, reverse if asked, keep the right-hand m->keep parts, join
 * with ".".  Linear in the value's length.
 */
static au_status
transform(const macro *m, const char *v, size_t vlen, au_buf *out)
{
	size_t nparts = 1, first, i, k, end, start;
	int wrote = 0;
	au_status st;

	if (m->keep == 0 && !m->reverse && m->delims[0] == '\0')
		return put(out, v, vlen, m->upper);
	for (i = 0; i < vlen; i++)
		if (is_delim(m, v[i]))
			nparts++;
	first = (m->keep == 0 || m->keep >= nparts) ? 0 : nparts - m->keep;
	if (!m->reverse) {
		/* Parts first .. nparts-1 in order. */
		k = 0;
		start = 0;
		for (i = 0; i <= vlen; i++) {
			if (i < vlen && !is_delim(m, v[i]))
				continue;
			if (k >= first) {
				if (wrote && (st = au_buf_putc(out, '.')) != AU_OK)
					return st;
				if ((st = put(out, v + start, i - start, m->upper)) != AU_OK)
					return st;
				wrote = 1;
			}
			k++;
			start = i + 1;
		}
		return AU_OK;
	}
	/*
	 * Reversed, the kept parts are the original parts nparts-1-first
	 * down to 0: find the end of that part, then walk back.
	 */
	k = nparts - 1 - first;		/* index of the last original part we emit first */
	end = vlen;
	if (k < nparts - 1) {
		size_t seen = 0;

		for (i = 0; i < vlen; i++)
			if (is_delim(m, v[i]) && seen++ == k) {
				end = i;
				break;
			}
	}
	for (;;) {
		start = end;
		while (start > 0 && !is_delim(m, v[start - 1]))
			start--;
		if (wrote && (st = au_buf_putc(out, '.')) != AU_OK)
			return st;
		if ((st = put(out, v + start, end - start, m->upper)) != AU_OK)
			return st;
		wrote = 1;
		if (start == 0)
			break;
		end = start - 1;
	}
	return AU_OK;
}

/* The value a macro letter stands for. */
static au_status
letter_value(const au_spf__macro_in *in, char letter, const char **vp,
    size_t *lenp, char *tmp, size_t tmplen)
{
	const char *v = NULL, *at;
	au_status st;

	switch (letter) {
	case 's':
		v = in->sender;
		break;
	case 'l':
		*vp = in->sender;
		*lenp = in->local_len;
		return AU_OK;
	case 'o':
		at = in->sender + in->local_len;
		v = *at == '@' ? at + 1 : at;
		break;
	case 'd':
		v = in->domain;
		break;
	case 'i':
		v = au_ip_format_dotted(in->ip, tmp, tmplen);
		break;
	case 'c':
		v = au_ip_format(in->ip, tmp, tmplen);
		break;
	case 'v':
		v = in->ip->family == AU_IP_V4 ? "in-addr" : "ip6";
		break;
	case 'h':
		v = in->helo;
		break;
	case 'r':
		v = in->receiver && in->receiver[0] ? in->receiver : "unknown";
		break;
	case 't':
		snprintf(tmp, tmplen, "%lld",
		    in->now ? in->now : (long long)time(NULL));
		v = tmp;
		break;
	case 'p':
		if (in->ptr) {
			if ((st = in->ptr(in->ptr_arg, &v)) != AU_OK)
				return st;
		}
		if (v == NULL)
			v = "unknown";
		break;
	default:
		return AU_ESYNTAX;
	}
	if (v == NULL)
		v = "";
	*vp = v;
	*lenp = strlen(v);
	return AU_OK;
}

au_status
au_spf__macro_run(const au_spf__macro_in *in, const char *s, size_t len,
    au_spf__mkind kind, au_buf *out, int *ends_macro, char *err, size_t errlen)
{
	size_t i = 0, n, vlen;
	const char *v;
	char tmp[AU_IP_TEXTLEN];
	macro m;
	au_status st;
	int last_macro = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c != '%') {
			if (!((c >= 0x21 && c <= 0x7e) ||
			    (c == ' ' && kind == AU_SPF__M_EXPLAIN))) {
				seterr(err, errlen, "invalid character in", s, len);
				return AU_ESYNTAX;
			}
			/* Copy the run of literal characters at once. */
			n = i;
			while (n < len && s[n] != '%' &&
			    (((unsigned char)s[n] >= 0x21 && (unsigned char)s[n] <= 0x7e) ||
			    (s[n] == ' ' && kind == AU_SPF__M_EXPLAIN)))
				n++;
			if (out && (st = au_buf_append(out, s + i, n - i)) != AU_OK)
				goto toobig;
			i = n;
			last_macro = 0;
			continue;
		}
		if (i + 1 >= len) {
			seterr(err, errlen, "'%' at the end of", s, len);
			return AU_ESYNTAX;
		}
		switch (s[i + 1]) {
		case '%':
			st = out ? au_buf_putc(out, '%') : AU_OK;
			i += 2;
			break;
		case '_':
			st = out ? au_buf_putc(out, ' ') : AU_OK;
			i += 2;
			break;
		case '-':
			st = out ? au_buf_puts(out, "%20") : AU_OK;
			i += 2;
			break;
		case '{':
			if ((n = parse_macro(s + i, len - i, kind, &m)) == 0) {
				const char *e = memchr(s + i, '}', len - i);
				size_t ml = e ? (size_t)(e - (s + i)) + 1 : len - i;

				seterr(err, errlen, "invalid macro", s + i, ml);
				return AU_ESYNTAX;
			}
			i += n;
			st = AU_OK;
			if (out) {
				st = letter_value(in, m.letter, &v, &vlen, tmp, sizeof tmp);
				if (st != AU_OK) {
					if (st == AU_ESYNTAX)
						seterr(err, errlen, "invalid macro", s, len);
					return st;
				}
				st = transform(&m, v, vlen, out);
			}
			break;
		default:
			seterr(err, errlen, "'%' not followed by '{', '%', '_' or '-' in", s, len);
			return AU_ESYNTAX;
		}
		if (st != AU_OK)
			goto toobig;
		last_macro = 1;
	}
	if (ends_macro)
		*ends_macro = last_macro;
	return AU_OK;
toobig:
	if (err && errlen) {
		char p[80];

		snprintf(err, errlen, "expansion of '%s' is longer than %zu bytes",
		    au_spf__printable(s, len, p, sizeof p), out ? out->max : 0);
	}
	return st;
}

void
au_spf__truncate(au_buf *b)
{
	size_t drop = 0;

	if (b->len > 0 && b->data[b->len - 1] == '.')
		au_buf_truncate(b, b->len - 1);
	while (b->len - drop > AU_SPF__MAX_NAME) {
		char *dot = memchr(b->data + drop, '.', b->len - drop);

		if (dot == NULL)
			break;
		drop = (size_t)(dot - b->data) + 1;
	}
	if (drop > 0) {
		memmove(b->data, b->data + drop, b->len - drop);
		au_buf_truncate(b, b->len - drop);
	}
}

int
au_spf__name_ok(const char *name, size_t len)
{
	size_t i, label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > AU_SPF__MAX_NAME)
		return 0;
	for (i = 0; i < len; i++) {
		if (name[i] == '\0')
			return 0;
		if (name[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (++label > 63)
			return 0;
	}
	return label > 0;
}

int
au_spf__toplabel_ok(const char *s, size_t len)
{
	size_t i;
	int alpha = 0, hyphen = 0;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		if (IS_ALPHA(s[i]))
			alpha = 1;
		else if (s[i] == '-')
			hyphen = 1;
		else if (!IS_DIGIT(s[i]))
			return 0;
	}
	return alpha || hyphen;
}

AU_API au_status
au_spf_macro_expand(const char *spec, const char *ip, const char *sender,
    const char *domain, const char *helo, const char *receiver, int explain,
    char **out, char *err, size_t errlen)
{
	au_spf__macro_in in;
	au_buf b;
	au_ip addr;
	const char *at;
	au_status st;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (spec == NULL || ip == NULL || sender == NULL || domain == NULL ||
	    out == NULL)
		return AU_EINVAL;
	if (au_ip_parse_str(ip, &addr) != AU_OK) {
		if (err && errlen)
			snprintf(err, errlen, "not an IP address");
		return AU_EINVAL;
	}
	au_ip_unmap(&addr);
	memset(&in, 0, sizeof in);
	in.ip = &addr;
	in.sender = sender;
	at = strrchr(sender, '@');
	in.local_len = at ? (size_t)(at - sender) : strlen(sender);
	in.domain = domain;
	in.helo = helo ? helo : "";
	in.receiver = receiver;
	au_buf_init(&b, explain ? AU_SPF_MAX_EXPLANATION : AU_SPF__MAX_EXPAND);
	st = au_spf__macro_run(&in, spec, strlen(spec),
	    explain ? AU_SPF__M_EXPLAIN : AU_SPF__M_DOMAIN, &b, NULL, err, errlen);
	if (st == AU_OK && !explain)
		au_spf__truncate(&b);
	if (st == AU_OK)
		st = au_buf_detach(&b, out);
	au_buf_free(&b);
	return st;
}
