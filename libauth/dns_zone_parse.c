/*
 * dns_zone_parse.c - our own RFC 1035 master-file reader (section 5.1),
 * written to be fuzzed: every input, however hostile, ends in records or in
 * one error "FILE:LINE: what is wrong", in time linear in its size.
 *
 * Understood: $ORIGIN, $TTL (RFC 2308 4), comments, parentheses spanning
 * lines, quoted strings, \DDD and \X escapes, '@', relative and absolute
 * names, a blank owner (the previous owner), TTL and class IN in either
 * order, TTL units (1h30m), the types A AAAA MX NS CNAME PTR SOA TXT SPF,
 * the generic form "\# LEN HEX" of RFC 3597 5 for any type, and the
 * comment mark ";%TIMEOUT NAME [TYPE ...]" of the SPF conformance files.
 * Records of other known types in their own syntax are skipped (the name
 * still exists).  $INCLUDE is refused: give each file separately.
 *
 * Bounds: file size, token length, tokens per record, 255 bytes per
 * character-string, 65535 bytes of RDATA, names of 253 octets and labels of
 * 63; no recursion anywhere.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "au_buf.h"
#include "au_dns_int.h"
#include "dns_zone_int.h"

#define ZP_MAX_TOKEN	(140 * 1024)	/* raw bytes in one token (hex RDATA) */
#define ZP_MAX_TOKENS	70000		/* tokens in one record */
#define ZP_MAX_RDATA	65535		/* RFC 1035 3.2.1 RDLENGTH */
#define ZP_DEFAULT_TTL	3600		/* no $TTL and no TTL seen yet */

typedef struct ztok {
	const char	*p;		/* raw text, escapes not yet decoded */
	size_t		 len;
	unsigned long	 line;
	int		 quoted;
} ztok;

typedef struct zparser {
	au_zone		*z;
	const char	*fname;
	const char	*buf;
	size_t		 len, pos;
	unsigned long	 line;
	int		 line_ws;	/* the current line starts with a blank */
	ztok		*tok;		/* the record being read */
	size_t		 ntok, captok;
	int		 blank_owner;
	int		 timeout_mark;
	unsigned long	 entry_line;
	char		 origin[256];	/* "" is the root */
	char		 owner[256];
	int		 have_owner;
	uint32_t	 dollar_ttl, last_ttl;
	int		 have_dollar_ttl, have_last_ttl;
	char		*err;
	size_t		 errlen;
} zparser;

enum zkind { K_A, K_AAAA, K_MX, K_NAME, K_SOA, K_TXT, K_OTHER };

static const struct ztype {
	const char	*name;
	uint16_t	 num;
	enum zkind	 kind;
} ztypes[] = {
	{ "A", 1, K_A },	{ "NS", 2, K_NAME },	{ "MD", 3, K_OTHER },
	{ "MF", 4, K_OTHER },	{ "CNAME", 5, K_NAME },	{ "SOA", 6, K_SOA },
	{ "MB", 7, K_OTHER },	{ "MG", 8, K_OTHER },	{ "MR", 9, K_OTHER },
	{ "NULL", 10, K_OTHER }, { "WKS", 11, K_OTHER }, { "PTR", 12, K_NAME },
	{ "HINFO", 13, K_OTHER }, { "MINFO", 14, K_OTHER }, { "MX", 15, K_MX },
	{ "TXT", 16, K_TXT },	{ "RP", 17, K_OTHER },	{ "AFSDB", 18, K_OTHER },
	{ "X25", 19, K_OTHER },	{ "ISDN", 20, K_OTHER }, { "RT", 21, K_OTHER },
	{ "NSAP", 22, K_OTHER }, { "SIG", 24, K_OTHER }, { "KEY", 25, K_OTHER },
	{ "PX", 26, K_OTHER },	{ "GPOS", 27, K_OTHER }, { "AAAA", 28, K_AAAA },
	{ "LOC", 29, K_OTHER },	{ "NXT", 30, K_OTHER }, { "SRV", 33, K_OTHER },
	{ "NAPTR", 35, K_OTHER }, { "KX", 36, K_OTHER }, { "CERT", 37, K_OTHER },
	{ "A6", 38, K_OTHER },	{ "DNAME", 39, K_OTHER }, { "APL", 42, K_OTHER },
	{ "DS", 43, K_OTHER },	{ "SSHFP", 44, K_OTHER }, { "IPSECKEY", 45, K_OTHER },
	{ "RRSIG", 46, K_OTHER }, { "NSEC", 47, K_OTHER }, { "DNSKEY", 48, K_OTHER },
	{ "DHCID", 49, K_OTHER }, { "NSEC3", 50, K_OTHER },
	{ "NSEC3PARAM", 51, K_OTHER }, { "TLSA", 52, K_OTHER },
	{ "SMIMEA", 53, K_OTHER }, { "HIP", 55, K_OTHER }, { "CDS", 59, K_OTHER },
	{ "CDNSKEY", 60, K_OTHER }, { "OPENPGPKEY", 61, K_OTHER },
	{ "CSYNC", 62, K_OTHER }, { "ZONEMD", 63, K_OTHER }, { "SVCB", 64, K_OTHER },
	{ "HTTPS", 65, K_OTHER }, { "SPF", 99, K_TXT },	{ "NID", 104, K_OTHER },
	{ "L32", 105, K_OTHER }, { "L64", 106, K_OTHER }, { "LP", 107, K_OTHER },
	{ "EUI48", 108, K_OTHER }, { "EUI64", 109, K_OTHER }, { "URI", 256, K_OTHER },
	{ "CAA", 257, K_OTHER }, { "DLV", 32769, K_OTHER },
};

/* ---------------------------------------------------------------- errors */

/* Copy at most 40 bytes of t into buf, hiding bytes that are not printable. */
static const char *
show(const ztok *t, char *buf, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < t->len && o + 4 < n && i < 40; i++) {
		unsigned char c = (unsigned char)t->p[i];
		buf[o++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
	}
	if (i < t->len && o + 4 < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static au_status perr(zparser *p, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static au_status
perr(zparser *p, unsigned long line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%lu: %s", p->fname, line, msg);
	return AU_ESYNTAX;
}

/* ---------------------------------------------------------------- lexer */

static int
is_delim(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' ||
	    c == '(' || c == ')' || c == '"';
}

static au_status
add_token(zparser *p, const char *s, size_t n, int quoted)
{
	ztok *nt;
	size_t ncap;

	if (n > ZP_MAX_TOKEN)
		return perr(p, p->line, "word longer than %u bytes",
		    (unsigned)ZP_MAX_TOKEN);
	if (p->ntok == p->captok) {
		if (p->captok >= ZP_MAX_TOKENS)
			return perr(p, p->line, "more than %u words in one record",
			    (unsigned)ZP_MAX_TOKENS);
		ncap = p->captok ? p->captok * 2 : 32;
		if (ncap > ZP_MAX_TOKENS)
			ncap = ZP_MAX_TOKENS;
		if ((nt = realloc(p->tok, ncap * sizeof(*nt))) == NULL)
			return AU_ENOMEM;
		p->tok = nt;
		p->captok = ncap;
	}
	if (p->ntok == 0 && !p->timeout_mark) {
		p->blank_owner = p->line_ws;
		p->entry_line = p->line;
	}
	p->tok[p->ntok].p = s;
	p->tok[p->ntok].len = n;
	p->tok[p->ntok].line = p->line;
	p->tok[p->ntok].quoted = quoted;
	p->ntok++;
	return AU_OK;
}

static au_status
lex_quoted(zparser *p)
{
	size_t i = p->pos + 1, start = i;

	for (;;) {
		if (i >= p->len)
			return perr(p, p->line, "quoted string is never closed");
		if (p->buf[i] == '"')
			break;
		if (p->buf[i] == '\n')
			return perr(p, p->line,
			    "quoted string not closed on its line");
		if (p->buf[i] == '\0')
			return perr(p, p->line, "NUL byte in the file");
		if (p->buf[i] == '\\') {
			if (++i >= p->len || p->buf[i] == '\n')
				return perr(p, p->line,
				    "backslash at the end of a line");
			if (p->buf[i] == '\0')
				return perr(p, p->line, "NUL byte in the file");
		}
		if (++i - start > ZP_MAX_TOKEN)
			return perr(p, p->line, "quoted string longer than %u bytes",
			    (unsigned)ZP_MAX_TOKEN);
	}
	p->pos = i + 1;
	if (p->pos < p->len && !is_delim((unsigned char)p->buf[p->pos]))
		return perr(p, p->line, "text right after a closing quote");
	return add_token(p, p->buf + start, i - start, 1);
}

static au_status
lex_word(zparser *p)
{
	size_t i = p->pos, start = i;

	while (i < p->len && !is_delim((unsigned char)p->buf[i])) {
		if (p->buf[i] == '\0')
			return perr(p, p->line, "NUL byte in the file");
		if (p->buf[i] == '\\') {
			if (++i >= p->len || p->buf[i] == '\n')
				return perr(p, p->line,
				    "backslash at the end of a line");
			if (p->buf[i] == '\0')
				return perr(p, p->line, "NUL byte in the file");
		}
		if (++i - start > ZP_MAX_TOKEN)
			return perr(p, p->line, "word longer than %u bytes",
			    (unsigned)ZP_MAX_TOKEN);
	}
	p->pos = i;
	if (i < p->len && p->buf[i] == '"')
		return perr(p, p->line, "'\"' inside a word");
	return add_token(p, p->buf + start, i - start, 0);
}

/*
 * Read the next record (one line, or several joined by parentheses) into
 * p->tok.  Returns AU_OK with p->ntok > 0 or p->timeout_mark set, AU_OK
 * with neither at the end of the text, or an error.
 */
static au_status
lex_entry(zparser *p)
{
	int paren = 0;
	unsigned long paren_line = 0;
	au_status st;
	unsigned char c;

	p->ntok = 0;
	p->blank_owner = 0;
	p->timeout_mark = 0;
	for (;;) {
		if (p->pos >= p->len) {
			if (paren)
				return perr(p, paren_line, "'(' is never closed");
			return AU_OK;
		}
		c = (unsigned char)p->buf[p->pos];
		switch (c) {
		case '\n':
			p->pos++;
			p->line++;
			p->line_ws = p->pos < p->len &&
			    (p->buf[p->pos] == ' ' || p->buf[p->pos] == '\t');
			if (paren == 0 && (p->ntok > 0 || p->timeout_mark))
				return AU_OK;
			break;
		case ' ':
		case '\t':
		case '\r':
			p->pos++;
			break;
		case '\0':
			return perr(p, p->line, "NUL byte in the file");
		case ';':
			if (paren == 0 && p->ntok == 0 && !p->timeout_mark &&
			    p->len - p->pos >= 9 &&
			    memcmp(p->buf + p->pos, ";%TIMEOUT", 9) == 0 &&
			    (p->len - p->pos == 9 ||
			    is_delim((unsigned char)p->buf[p->pos + 9]))) {
				p->timeout_mark = 1;
				p->entry_line = p->line;
				p->pos += 9;
				break;
			}
			while (p->pos < p->len && p->buf[p->pos] != '\n')
				p->pos++;
			break;
		case '(':
			if (paren)
				return perr(p, p->line, "'(' inside '('");
			paren = 1;
			paren_line = p->line;
			p->pos++;
			break;
		case ')':
			if (!paren)
				return perr(p, p->line, "')' without '('");
			paren = 0;
			p->pos++;
			break;
		case '"':
			if ((st = lex_quoted(p)) != AU_OK)
				return st;
			break;
		default:
			if ((st = lex_word(p)) != AU_OK)
				return st;
			break;
		}
	}
}

/* ---------------------------------------------------------------- values */

/*
 * Decode the escape at s[*i] == '\\' (RFC 1035 5.1: \X is X, \DDD is the
 * byte DDD); *i is left on the last byte of the escape.
 */
static int
unescape(const char *s, size_t n, size_t *i, unsigned char *out)
{
	size_t j = *i + 1;
	unsigned v;

	if (j >= n)
		return -1;
	if (s[j] >= '0' && s[j] <= '9') {
		if (j + 2 >= n || s[j + 1] < '0' || s[j + 1] > '9' ||
		    s[j + 2] < '0' || s[j + 2] > '9')
			return -1;
		v = (unsigned)(s[j] - '0') * 100 + (unsigned)(s[j + 1] - '0') * 10 +
		    (unsigned)(s[j + 2] - '0');
		if (v > 255)
			return -1;
		*out = (unsigned char)v;
		*i = j + 2;
		return 0;
	}
	*out = (unsigned char)s[j];
	*i = j;
	return 0;
}

/*
 * A domain name in presentation form into plain text (no escapes, no
 * trailing dot, "" for the root), relative names completed with origin.
 */
static au_status
parse_name(zparser *p, const ztok *t, const char *origin, char out[256])
{
	char sb[64];
	size_t i, o = 0, label = 0, olen;
	unsigned char b;
	int absolute = 0;

	if (t->quoted)
		return perr(p, t->line, "a name cannot be quoted: \"%s\"",
		    show(t, sb, sizeof(sb)));
	if (t->len == 1 && t->p[0] == '@') {
		strcpy(out, origin);
		return AU_OK;
	}
	if (t->len == 1 && t->p[0] == '.') {
		out[0] = '\0';
		return AU_OK;
	}
	for (i = 0; i < t->len; i++) {
		if (t->p[i] == '.') {
			if (label == 0)
				return perr(p, t->line, "empty label in name %s",
				    show(t, sb, sizeof(sb)));
			if (i == t->len - 1) {
				absolute = 1;
				break;
			}
			if (o >= 253)
				goto toolong;
			out[o++] = '.';
			label = 0;
			continue;
		}
		if (t->p[i] == '\\') {
			if (unescape(t->p, t->len, &i, &b) == -1)
				return perr(p, t->line, "bad escape in name %s "
				    "(\\DDD needs three digits, at most 255)",
				    show(t, sb, sizeof(sb)));
			if (b == '.')
				return perr(p, t->line, "name %s has a '.' inside "
				    "a label, which is not supported",
				    show(t, sb, sizeof(sb)));
			if (b == '\0')
				return perr(p, t->line, "name %s has a NUL byte",
				    show(t, sb, sizeof(sb)));
		} else
			b = (unsigned char)t->p[i];
		if (++label > 63)
			return perr(p, t->line, "label longer than 63 octets "
			    "in name %s", show(t, sb, sizeof(sb)));
		if (o >= 253)
			goto toolong;
		out[o++] = (char)b;
	}
	if (!absolute && origin[0] != '\0') {
		olen = strlen(origin);
		if (o + 1 + olen > 253)
			goto toolong;
		out[o++] = '.';
		memcpy(out + o, origin, olen);
		o += olen;
	}
	out[o] = '\0';
	return AU_OK;
toolong:
	return perr(p, t->line, "name %s is longer than 253 octets",
	    show(t, sb, sizeof(sb)));
}

/* A decimal number of at most max; -1 if t is not one. */
static int
parse_uint(const ztok *t, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (t->quoted || t->len == 0 || t->len > 10)
		return -1;
	for (i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A TTL: seconds, or numbers with units s m h d w ("1h30m"); RFC 2181 8. */
static int
parse_ttl(const ztok *t, uint32_t *out)
{
	uint64_t total = 0, v = 0, mul;
	size_t i, digits = 0;
	int units = 0;

	if (t->quoted || t->len == 0 || t->len > 32)
		return -1;
	for (i = 0; i < t->len; i++) {
		char c = t->p[i];

		if (c >= '0' && c <= '9') {
			v = v * 10 + (uint64_t)(c - '0');
			if (v > 0x7fffffff || ++digits > 10)
				return -1;
			continue;
		}
		switch (c) {
		case 's': case 'S': mul = 1; break;
		case 'm': case 'M': mul = 60; break;
		case 'h': case 'H': mul = 3600; break;
		case 'd': case 'D': mul = 86400; break;
		case 'w': case 'W': mul = 604800; break;
		default: return -1;
		}
		if (digits == 0)
			return -1;
		total += v * mul;
		if (total > 0x7fffffff)
			return -1;
		v = 0;
		digits = 0;
		units = 1;
	}
	if (digits == 0 && !units)
		return -1;
	if (digits > 0 && units)
		return -1;	/* "1h30": a number after units needs a unit */
	total += v;
	if (total > 0x7fffffff)
		return -1;
	*out = (uint32_t)total;
	return 0;
}

static int
tok_is(const ztok *t, const char *s)
{
	return !t->quoted && strlen(s) == t->len && strncasecmp(t->p, s, t->len) == 0;
}

/* 1: class IN; 0: not a class; -1: another class. */
static int
parse_class(const ztok *t)
{
	uint32_t v;
	ztok num;

	if (tok_is(t, "IN"))
		return 1;
	if (tok_is(t, "CH") || tok_is(t, "HS") || tok_is(t, "CS") ||
	    tok_is(t, "NONE") || tok_is(t, "ANY"))
		return -1;
	if (!t->quoted && t->len > 5 && strncasecmp(t->p, "CLASS", 5) == 0) {
		num = *t;
		num.p += 5;
		num.len -= 5;
		if (parse_uint(&num, 65535, &v) == 0)
			return v == 1 ? 1 : -1;
	}
	return 0;
}

/* The type named by t: 0 and *kind set, or -1. */
static int
parse_type(const ztok *t, uint16_t *num, enum zkind *kind)
{
	size_t i;
	uint32_t v;
	ztok n;

	for (i = 0; i < sizeof(ztypes) / sizeof(ztypes[0]); i++) {
		if (tok_is(t, ztypes[i].name)) {
			*num = ztypes[i].num;
			*kind = ztypes[i].kind;
			return 0;
		}
	}
	if (t->quoted || t->len <= 4 || strncasecmp(t->p, "TYPE", 4) != 0)
		return -1;
	n = *t;
	n.p += 4;
	n.len -= 4;
	if (parse_uint(&n, 65535, &v) == -1 || v == 0)
		return -1;
	*num = (uint16_t)v;
	*kind = K_OTHER;
	for (i = 0; i < sizeof(ztypes) / sizeof(ztypes[0]); i++)
		if (ztypes[i].num == v)
			*kind = ztypes[i].kind;
	return 0;
}

/* ---------------------------------------------------------------- RDATA */

static char *
lower_dup(const char *s)
{
	size_t n = strlen(s), i;
	char *d;

	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i <= n; i++)
		d[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	return d;
}

/* Lower-case s into dst (no NUL added); returns its length. */
static size_t
lower_copy_len(unsigned char *dst, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		dst[i] = (unsigned char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	return i;
}

static au_status
set_key(au_zone_rr *r, const void *data, size_t n)
{
	if ((r->key = malloc(n ? n : 1)) == NULL)
		return AU_ENOMEM;
	if (n)
		memcpy(r->key, data, n);
	r->keylen = n;
	return AU_OK;
}

/* A wire-format name (no compression) at d[*off] into plain text. */
static int
wire_name(const unsigned char *d, size_t n, size_t *off, char out[256])
{
	size_t o = 0, l, i;

	for (;;) {
		if (*off >= n)
			return -1;
		l = d[(*off)++];
		if (l == 0)
			break;
		if (l > 63 || l > n - *off)
			return -1;
		if (o + (o ? 1 : 0) + l > 253)
			return -1;
		if (o)
			out[o++] = '.';
		for (i = 0; i < l; i++) {
			unsigned char c = d[*off + i];
			if (c == '.' || c == '\0')
				return -1;
			out[o++] = (char)c;
		}
		*off += l;
	}
	out[o] = '\0';
	return 0;
}

/* TXT RDATA on the wire (length-prefixed strings) into r. */
static au_status
txt_from_wire(au_zone_rr *r, const unsigned char *d, size_t n)
{
	au_buf b = AU_BUF_INIT(ZP_MAX_RDATA);
	size_t off = 0, l;

	r->rr.u.txt.nstrings = 0;
	while (off < n) {
		l = d[off++];
		if (l > n - off) {
			au_buf_free(&b);
			return AU_ESYNTAX;
		}
		if (au_buf_append(&b, d + off, l) != AU_OK) {
			au_buf_free(&b);
			return AU_ENOMEM;
		}
		off += l;
		r->rr.u.txt.nstrings++;
	}
	r->rr.u.txt.len = b.len;
	if (au_buf_detach(&b, &r->rr.u.txt.data) != AU_OK)
		return AU_ENOMEM;
	return set_key(r, d, n);
}

/* Decode the RFC 3597 form "\# LEN HEX..." of toks[0..n) into wire bytes. */
static au_status
parse_generic(zparser *p, const ztok *toks, size_t n, unsigned char **data,
    size_t *dlen)
{
	char sb[64];
	uint32_t want;
	unsigned char *d;
	size_t i, j, o = 0;
	int hi = -1, v;

	*data = NULL;
	if (n < 2 || parse_uint(&toks[1], ZP_MAX_RDATA, &want) == -1)
		return perr(p, toks[0].line, "\\# needs a length (0 to 65535)");
	if ((d = malloc(want ? want : 1)) == NULL)
		return AU_ENOMEM;
	for (i = 2; i < n; i++) {
		if (toks[i].quoted)
			goto bad;
		for (j = 0; j < toks[i].len; j++) {
			char c = toks[i].p[j];

			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (c >= 'a' && c <= 'f')
				v = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v = c - 'A' + 10;
			else
				goto bad;
			if (hi < 0) {
				hi = v;
				continue;
			}
			if (o >= want) {
				free(d);
				return perr(p, toks[i].line, "\\# data longer than "
				    "its length %u", (unsigned)want);
			}
			d[o++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0 || o != want) {
		free(d);
		return perr(p, toks[0].line, "\\# data is %zu%s bytes, its length "
		    "says %u", o, hi >= 0 ? ".5" : "", (unsigned)want);
	}
	*data = d;
	*dlen = o;
	return AU_OK;
bad:
	free(d);
	return perr(p, toks[i].line, "bad hex in \\# data: %s",
	    show(&toks[i], sb, sizeof(sb)));
}

/* Build a record of kind k from wire-format RDATA (the \# form). */
static au_status
rr_from_wire(zparser *p, unsigned long line, enum zkind k, au_zone_rr *r,
    const unsigned char *d, size_t n)
{
	char n1[256], n2[256];
	unsigned char key[2 + 256 + 256 + 20];
	size_t off = 0, l1;
	au_status st;

	switch (k) {
	case K_A:
	case K_AAAA:
		if (n != (k == K_A ? 4u : 16u))
			return perr(p, line, "\\# data for %s must be %d bytes",
			    k == K_A ? "A" : "AAAA", k == K_A ? 4 : 16);
		memcpy(k == K_A ? r->rr.u.a : r->rr.u.aaaa, d, n);
		return set_key(r, d, n);
	case K_MX:
		if (n < 3)
			goto bad;
		r->rr.u.mx.pref = (uint16_t)(d[0] << 8 | d[1]);
		off = 2;
		if (wire_name(d, n, &off, n1) == -1 || off != n)
			goto bad;
		if ((r->rr.u.mx.host = lower_dup(n1)) == NULL)
			return AU_ENOMEM;
		memcpy(key, d, 2);
		l1 = strlen(r->rr.u.mx.host);
		memcpy(key + 2, r->rr.u.mx.host, l1);
		return set_key(r, key, 2 + l1);
	case K_NAME:
		if (wire_name(d, n, &off, n1) == -1 || off != n)
			goto bad;
		if ((r->rr.u.name = strdup(n1)) == NULL)
			return AU_ENOMEM;
		l1 = lower_copy_len(key, n1);
		return set_key(r, key, l1);
	case K_SOA:
		if (wire_name(d, n, &off, n1) == -1 ||
		    wire_name(d, n, &off, n2) == -1 || n - off != 20)
			goto bad;
		r->soa_min = (uint32_t)d[off + 16] << 24 |
		    (uint32_t)d[off + 17] << 16 | (uint32_t)d[off + 18] << 8 |
		    d[off + 19];
		if ((r->rr.u.name = strdup(n1)) == NULL)
			return AU_ENOMEM;
		l1 = lower_copy_len(key, n1);
		key[l1++] = 0;
		l1 += lower_copy_len(key + l1, n2);
		memcpy(key + l1, d + off, 20);
		return set_key(r, key, l1 + 20);
	case K_TXT:
		if ((st = txt_from_wire(r, d, n)) == AU_ESYNTAX)
			goto bad;
		return st;
	case K_OTHER:
		if ((r->rr.u.txt.data = malloc(n + 1)) == NULL)
			return AU_ENOMEM;
		if (n)
			memcpy(r->rr.u.txt.data, d, n);
		r->rr.u.txt.data[n] = '\0';
		r->rr.u.txt.len = n;
		return set_key(r, d, n);
	}
bad:
	return perr(p, line, "\\# data is not valid for this type");
}

/* One character-string (RFC 1035 5.1) of at most 255 bytes, appended to b. */
static au_status
parse_cstring(zparser *p, const ztok *t, au_buf *join, au_buf *wire)
{
	unsigned char s[255], b;
	size_t i, n = 0;
	char sb[64];
	au_status st;

	for (i = 0; i < t->len; i++) {
		if (t->p[i] == '\\') {
			if (unescape(t->p, t->len, &i, &b) == -1)
				return perr(p, t->line, "bad escape in string \"%s\" "
				    "(\\DDD needs three digits, at most 255)",
				    show(t, sb, sizeof(sb)));
		} else
			b = (unsigned char)t->p[i];
		if (n == sizeof(s))
			return perr(p, t->line, "character-string longer than "
			    "255 bytes (split it into several \"...\")");
		s[n++] = b;
	}
	b = (unsigned char)n;
	if ((st = au_buf_append(wire, &b, 1)) != AU_OK ||
	    (st = au_buf_append(wire, s, n)) != AU_OK) {
		if (st == AU_ETOOBIG)
			return perr(p, t->line, "record data longer than "
			    "65535 bytes");
		return st;
	}
	return au_buf_append(join, s, n);
}

static au_status
rr_txt(zparser *p, const ztok *toks, size_t n, au_zone_rr *r)
{
	au_buf join = AU_BUF_INIT(ZP_MAX_RDATA), wire = AU_BUF_INIT(ZP_MAX_RDATA);
	au_status st = AU_OK;
	size_t i;

	for (i = 0; i < n && st == AU_OK; i++)
		st = parse_cstring(p, &toks[i], &join, &wire);
	if (st == AU_OK) {
		r->rr.u.txt.nstrings = n;
		r->rr.u.txt.len = join.len;
		st = au_buf_detach(&join, &r->rr.u.txt.data);
	}
	if (st == AU_OK)
		st = set_key(r, wire.data, wire.len);
	au_buf_free(&join);
	au_buf_free(&wire);
	return st;
}

/* Build a record of kind k from its presentation form toks[0..n). */
static au_status
rr_from_text(zparser *p, unsigned long line, enum zkind k, const char *tname,
    const ztok *toks, size_t n, au_zone_rr *r)
{
	static const size_t want[] = { 1, 1, 2, 1, 7 };
	char n1[256], n2[256], ab[64], sb[64];
	unsigned char key[2 + 256 + 256 + 20];
	uint32_t v, nums[5];
	size_t l1, i;
	au_status st;

	if (k == K_TXT) {
		if (n == 0)
			return perr(p, line, "%s record without a string (write "
			    "\\# 0 for a record with none)", tname);
		return rr_txt(p, toks, n, r);
	}
	if (n != want[k])
		return perr(p, line, "%s record needs %zu value%s, not %zu",
		    tname, want[k], want[k] > 1 ? "s" : "", n);
	switch (k) {
	case K_A:
	case K_AAAA:
		if (toks[0].quoted || toks[0].len >= sizeof(ab))
			goto badaddr;
		memcpy(ab, toks[0].p, toks[0].len);
		ab[toks[0].len] = '\0';
		if (inet_pton(k == K_A ? AF_INET : AF_INET6, ab,
		    k == K_A ? (void *)r->rr.u.a : (void *)r->rr.u.aaaa) != 1)
			goto badaddr;
		return set_key(r, k == K_A ? r->rr.u.a : r->rr.u.aaaa,
		    k == K_A ? 4 : 16);
	case K_MX:
		if (parse_uint(&toks[0], 65535, &v) == -1)
			return perr(p, toks[0].line, "MX preference must be a "
			    "number from 0 to 65535, not %s",
			    show(&toks[0], sb, sizeof(sb)));
		if ((st = parse_name(p, &toks[1], p->origin, n1)) != AU_OK)
			return st;
		r->rr.u.mx.pref = (uint16_t)v;
		if ((r->rr.u.mx.host = lower_dup(n1)) == NULL)
			return AU_ENOMEM;
		key[0] = (unsigned char)(v >> 8);
		key[1] = (unsigned char)v;
		l1 = strlen(n1);
		memcpy(key + 2, r->rr.u.mx.host, l1);
		return set_key(r, key, 2 + l1);
	case K_NAME:
		if ((st = parse_name(p, &toks[0], p->origin, n1)) != AU_OK)
			return st;
		if ((r->rr.u.name = strdup(n1)) == NULL)
			return AU_ENOMEM;
		return set_key(r, key, lower_copy_len(key, n1));
	case K_SOA:
		if ((st = parse_name(p, &toks[0], p->origin, n1)) != AU_OK ||
		    (st = parse_name(p, &toks[1], p->origin, n2)) != AU_OK)
			return st;
		if (parse_uint(&toks[2], UINT32_MAX, &nums[0]) == -1)
			return perr(p, toks[2].line, "bad SOA serial %s",
			    show(&toks[2], sb, sizeof(sb)));
		for (i = 1; i < 5; i++)
			if (parse_ttl(&toks[2 + i], &nums[i]) == -1)
				return perr(p, toks[2 + i].line, "bad SOA time %s",
				    show(&toks[2 + i], sb, sizeof(sb)));
		r->soa_min = nums[4];
		if ((r->rr.u.name = strdup(n1)) == NULL)
			return AU_ENOMEM;
		l1 = lower_copy_len(key, n1);
		key[l1++] = 0;
		l1 += lower_copy_len(key + l1, n2);
		for (i = 0; i < 5; i++) {
			key[l1++] = (unsigned char)(nums[i] >> 24);
			key[l1++] = (unsigned char)(nums[i] >> 16);
			key[l1++] = (unsigned char)(nums[i] >> 8);
			key[l1++] = (unsigned char)nums[i];
		}
		return set_key(r, key, l1);
	default:
		return AU_EINVAL;
	}
badaddr:
	return perr(p, toks[0].line, "bad %s address %s", tname,
	    show(&toks[0], sb, sizeof(sb)));
}

/* ---------------------------------------------------------------- entries */

/* Turn AU_ETOOBIG from the store into an error line. */
static au_status
too_big(zparser *p, au_status st)
{
	if (st != AU_ETOOBIG)
		return st;
	return perr(p, p->entry_line, "zone too large: at most %u records, "
	    "%u names and %u ;%%TIMEOUT marks", (unsigned)AU_ZONE_MAX_RECORDS,
	    (unsigned)AU_ZONE_MAX_NAMES, (unsigned)AU_ZONE_MAX_TIMEOUTS);
}

static au_status
do_directive(zparser *p)
{
	const ztok *t = &p->tok[0];
	char sb[64], name[256];
	au_status st;

	if (tok_is(t, "$INCLUDE"))
		return perr(p, t->line, "$INCLUDE is not supported: give each "
		    "file separately");
	if (tok_is(t, "$ORIGIN")) {
		if (p->ntok != 2)
			return perr(p, t->line, "$ORIGIN needs exactly one name");
		if ((st = parse_name(p, &p->tok[1], p->origin, name)) != AU_OK)
			return st;
		memcpy(p->origin, name, sizeof(name));
		return AU_OK;
	}
	if (tok_is(t, "$TTL")) {
		if (p->ntok != 2 || parse_ttl(&p->tok[1], &p->dollar_ttl) == -1)
			return perr(p, t->line, "$TTL needs one TTL (seconds "
			    "up to 2147483647, or units like 1h30m)");
		p->have_dollar_ttl = 1;
		return AU_OK;
	}
	return perr(p, t->line, "unknown directive %s", show(t, sb, sizeof(sb)));
}

static au_status
do_timeout(zparser *p)
{
	uint16_t types[64];
	enum zkind k;
	char name[256], sb[64];
	size_t i;
	au_status st;

	if (p->ntok == 0)
		return perr(p, p->entry_line, ";%%TIMEOUT needs a name");
	if (p->ntok - 1 > sizeof(types) / sizeof(types[0]))
		return perr(p, p->entry_line, ";%%TIMEOUT lists more than %zu "
		    "types", sizeof(types) / sizeof(types[0]));
	if ((st = parse_name(p, &p->tok[0], p->origin, name)) != AU_OK)
		return st;
	for (i = 1; i < p->ntok; i++)
		if (parse_type(&p->tok[i], &types[i - 1], &k) == -1)
			return perr(p, p->tok[i].line, "unknown type %s in "
			    ";%%TIMEOUT", show(&p->tok[i], sb, sizeof(sb)));
	return too_big(p, au_zone__timeout(p->z, name, types, p->ntok - 1));
}

static au_status
do_record(zparser *p)
{
	au_zone_rr r;
	unsigned char *wire;
	size_t i = 0, wlen = 0;
	uint32_t ttl = 0;
	int have_ttl = 0, have_class = 0, c;
	enum zkind k;
	const ztok *t;
	char sb[64], tname[16];
	au_status st;

	if (p->blank_owner) {
		if (!p->have_owner)
			return perr(p, p->entry_line, "line starts with a blank "
			    "but no owner name came before");
	} else {
		if ((st = parse_name(p, &p->tok[0], p->origin, p->owner)) != AU_OK) {
			p->have_owner = 0;
			return st;
		}
		p->have_owner = 1;
		i = 1;
	}
	/* [TTL] [class] or [class] [TTL] */
	while (i < p->ntok) {
		t = &p->tok[i];
		if (!have_ttl && !t->quoted && t->len > 0 &&
		    t->p[0] >= '0' && t->p[0] <= '9') {
			if (parse_ttl(t, &ttl) == -1)
				return perr(p, t->line, "bad TTL %s (seconds up "
				    "to 2147483647, or units like 1h30m)",
				    show(t, sb, sizeof(sb)));
			have_ttl = 1;
		} else if (!have_class && (c = parse_class(t)) != 0) {
			if (c == -1)
				return perr(p, t->line, "class %s is not "
				    "supported, only IN", show(t, sb, sizeof(sb)));
			have_class = 1;
		} else
			break;
		i++;
	}
	if (i >= p->ntok)
		return perr(p, p->entry_line, "record type missing");
	t = &p->tok[i++];
	memset(&r, 0, sizeof(r));
	if (parse_type(t, &r.type, &k) == -1)
		return perr(p, t->line, "unknown record type %s",
		    show(t, sb, sizeof(sb)));
	snprintf(tname, sizeof(tname), "%.*s", (int)(t->len < 12 ? t->len : 12),
	    t->p);
	if (have_ttl) {
		p->last_ttl = ttl;
		p->have_last_ttl = 1;
	} else if (p->have_dollar_ttl)
		ttl = p->dollar_ttl;
	else if (p->have_last_ttl)
		ttl = p->last_ttl;
	else
		ttl = ZP_DEFAULT_TTL;
	r.ttl = ttl;

	if (i < p->ntok && tok_is(&p->tok[i], "\\#")) {
		st = parse_generic(p, p->tok + i, p->ntok - i, &wire, &wlen);
		if (st != AU_OK)
			return st;
		st = rr_from_wire(p, p->tok[i].line, k, &r, wire, wlen);
		free(wire);
	} else if (k == K_OTHER)
		return too_big(p, au_zone__touch(p->z, p->owner));
	else
		st = rr_from_text(p, t->line, k, tname, p->tok + i,
		    p->ntok - i, &r);
	if (st != AU_OK) {
		au_dns__rr_clear(r.type, &r.rr);
		free(r.key);
		return st;
	}
	return too_big(p, au_zone__add(p->z, p->owner, &r));
}

au_status
au_zone__parse(au_zone *z, const char *fname, const char *text, size_t len,
    char *err, size_t errlen)
{
	zparser p;
	au_status st;

	memset(&p, 0, sizeof(p));
	p.z = z;
	p.fname = fname;
	p.buf = text;
	p.len = text ? len : 0;
	p.line = 1;
	p.line_ws = p.len > 0 && (text[0] == ' ' || text[0] == '\t');
	p.err = err;
	p.errlen = errlen;
	for (;;) {
		if ((st = lex_entry(&p)) != AU_OK)
			break;
		if (p.timeout_mark)
			st = do_timeout(&p);
		else if (p.ntok == 0)
			break;
		else if (!p.blank_owner && !p.tok[0].quoted &&
		    p.tok[0].p[0] == '$')
			st = do_directive(&p);
		else
			st = do_record(&p);
		if (st != AU_OK)
			break;
	}
	if (st == AU_ENOMEM && err && errlen)
		snprintf(err, errlen, "%s:%lu: out of memory", fname, p.line);
	free(p.tok);
	return st;
}

au_status
au_zone__parse_file(au_zone *z, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	au_status st;

	if ((fp = fopen(path, "r")) == NULL) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path,
			    strerror(errno));
		return AU_EIO;
	}
	/* Read at most one byte more than allowed, to notice a bigger file. */
	for (;;) {
		if (len == cap) {
			if (cap > AU_ZONE_MAX_FILE)
				break;
			cap = cap ? cap * 2 : 65536;
			if (cap > (size_t)AU_ZONE_MAX_FILE + 1)
				cap = (size_t)AU_ZONE_MAX_FILE + 1;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				st = AU_ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
		st = AU_EIO;
		goto out;
	}
	if (len > AU_ZONE_MAX_FILE) {
		if (err && errlen)
			snprintf(err, errlen, "%s: larger than %u MiB", path,
			    AU_ZONE_MAX_FILE >> 20);
		st = AU_ETOOBIG;
		goto out;
	}
	st = au_zone__parse(z, path, buf ? buf : "", len, err, errlen);
out:
	fclose(fp);
	free(buf);
	return st;
}
