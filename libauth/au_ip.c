/*
 * au_ip.c - IPv4/IPv6 parsing, prefix comparison and the text forms SPF
 * needs (see au_ip.h).  RFC 7208 sections 5.6 and 7.3, RFC 4291 2.2,
 * RFC 5952, RFC 1035 3.5, RFC 3596 2.5.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "au_ip.h"

static const char hexdig_up[] = "0123456789ABCDEF";
static const char hexdig_lo[] = "0123456789abcdef";

/* One qnum of RFC 7208: 0-255, no leading zero.  Advances *pp. */
static int
qnum(const char **pp, const char *end, unsigned char *out)
{
	const char *p = *pp;
	unsigned v = 0;
	size_t n = 0;

	while (p < end && *p >= '0' && *p <= '9' && n < 4) {
		v = v * 10 + (unsigned)(*p - '0');
		p++;
		n++;
	}
	if (n == 0 || n > 3 || v > 255 || (n > 1 && **pp == '0'))
		return -1;
	*out = (unsigned char)v;
	*pp = p;
	return 0;
}

au_status
au_ip_parse_v4(const char *s, size_t len, au_ip *out)
{
	const char *p = s, *end = s + len;
	int i;

	memset(out, 0, sizeof *out);
	for (i = 0; i < 4; i++) {
		if (i > 0) {
			if (p >= end || *p != '.')
				return AU_ESYNTAX;
			p++;
		}
		if (qnum(&p, end, &out->bytes[i]) < 0)
			return AU_ESYNTAX;
	}
	if (p != end)
		return AU_ESYNTAX;
	out->family = AU_IP_V4;
	return AU_OK;
}

au_status
au_ip_parse_v6(const char *s, size_t len, au_ip *out)
{
	char tmp[64];
	size_t i;

	memset(out, 0, sizeof *out);
	/* The longest legal form is 45 characters. */
	if (len == 0 || len >= sizeof tmp)
		return AU_ESYNTAX;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
			return AU_ESYNTAX;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET6, tmp, out->bytes) != 1)
		return AU_ESYNTAX;
	out->family = AU_IP_V6;
	return AU_OK;
}

au_status
au_ip_parse(const char *s, size_t len, au_ip *out)
{
	if (memchr(s, ':', len) != NULL)
		return au_ip_parse_v6(s, len, out);
	return au_ip_parse_v4(s, len, out);
}

au_status
au_ip_parse_str(const char *s, au_ip *out)
{
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		/* RFC 5321 address literal form "[IPv6:...]". */
		if (len > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
			s += 5;
			len -= 5;
		}
	}
	return au_ip_parse(s, len, out);
}

void
au_ip_unmap(au_ip *ip)
{
	static const unsigned char prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (ip->family == AU_IP_V6 && memcmp(ip->bytes, prefix, 12) == 0) {
		memmove(ip->bytes, ip->bytes + 12, 4);
		memset(ip->bytes + 4, 0, 12);
		ip->family = AU_IP_V4;
	}
}

int
au_ip_in_net(const au_ip *ip, const au_ip *net, unsigned prefix)
{
	unsigned width, full, rest;
	unsigned char mask;

	if (ip->family != net->family)
		return 0;
	width = ip->family == AU_IP_V4 ? 32 : 128;
	if (prefix > width)
		prefix = width;
	full = prefix / 8;
	rest = prefix % 8;
	if (memcmp(ip->bytes, net->bytes, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (ip->bytes[full] & mask) == (net->bytes[full] & mask);
}

int
au_ip_equal(const au_ip *a, const au_ip *b)
{
	return au_ip_in_net(a, b, 128);
}

char *
au_ip_format(const au_ip *ip, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (inet_ntop(ip->family == AU_IP_V4 ? AF_INET : AF_INET6, ip->bytes,
	    buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}

/* Write the 32 nibbles of an IPv6 address, in order or reversed. */
static void
nibbles(const au_ip *ip, int reverse, const char *digits, char *out)
{
	int i, k = 0;

	for (i = 0; i < 32; i++) {
		int n = reverse ? 31 - i : i;
		unsigned char b = ip->bytes[n / 2];

		out[k++] = digits[(n % 2) ? (b & 0xf) : (b >> 4)];
		out[k++] = '.';
	}
	out[k - 1] = '\0';
}

char *
au_ip_format_dotted(const au_ip *ip, char *buf, size_t len)
{
	char tmp[AU_IP_TEXTLEN];

	if (ip->family == AU_IP_V4)
		snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", ip->bytes[0],
		    ip->bytes[1], ip->bytes[2], ip->bytes[3]);
	else
		nibbles(ip, 0, hexdig_up, tmp);
	snprintf(buf, len, "%s", tmp);
	return buf;
}

char *
au_ip_reverse_name(const au_ip *ip, char *buf, size_t len)
{
	char tmp[AU_IP_TEXTLEN];

	if (ip->family == AU_IP_V4) {
		snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa", ip->bytes[3],
		    ip->bytes[2], ip->bytes[1], ip->bytes[0]);
	} else {
		nibbles(ip, 1, hexdig_lo, tmp);
		snprintf(buf, len, "%s.ip6.arpa", tmp);
	}
	return buf;
}
