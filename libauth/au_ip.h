/*
 * au_ip.h - IP addresses as SPF, DMARC reports and the milter need them.
 *
 * An au_ip holds an IPv4 or IPv6 address in network byte order.  Text is
 * parsed with an explicit length (it may come from inside a DNS record),
 * the IPv4 form strictly as RFC 7208 section 5.6 "ip4-network" (four
 * decimal numbers 0-255, no leading zeros), the IPv6 form as RFC 4291
 * section 2.2.  au_ip_unmap() turns an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) into the IPv4 address, as RFC 7208 section 5 wants for
 * the SMTP client.
 *
 * Formatting: the conventional text (RFC 5952 for IPv6), the SPF "%{i}"
 * form (RFC 7208 section 7.3: dotted quad, or 32 dot-separated nibbles)
 * and the reverse-mapping name (in-addr.arpa / ip6.arpa, RFC 1035 3.5,
 * RFC 3596 2.5).
 */
#ifndef AU_IP_H
#define AU_IP_H

#include <stddef.h>
#include "au_status.h"

#define AU_IP_V4	4
#define AU_IP_V6	6

/* Room for any text au_ip_format* writes, with the NUL. */
#define AU_IP_TEXTLEN	80

typedef struct au_ip {
	int		family;		/* AU_IP_V4 or AU_IP_V6 */
	unsigned char	bytes[16];	/* IPv4 uses bytes[0..3] */
} au_ip;

/*
 * Parse len bytes of text (no NUL needed) as an IPv4 or IPv6 address.
 * IPv4 must be the strict dotted quad; IPv6 anything RFC 4291 2.2 allows
 * (including a trailing dotted quad).  No brackets, no zone index, no
 * surrounding space.  Returns AU_OK or AU_ESYNTAX.
 */
AU_API au_status au_ip_parse(const char *s, size_t len, au_ip *out);

/* Same, for a NUL-terminated string; also accepts "[addr]". */
AU_API au_status au_ip_parse_str(const char *s, au_ip *out);

/* Only the strict IPv4 dotted quad (RFC 7208 "ip4-network"). */
AU_API au_status au_ip_parse_v4(const char *s, size_t len, au_ip *out);

/* Only IPv6 (RFC 4291 2.2). */
AU_API au_status au_ip_parse_v6(const char *s, size_t len, au_ip *out);

/* If ip is IPv4-mapped IPv6 (::ffff:0:0/96), make it the IPv4 address. */
AU_API void	 au_ip_unmap(au_ip *ip);

/*
 * Does ip lie in net/prefix?  Both must be of the same family (else 0);
 * prefix is clamped to the family's width (32 or 128).
 */
AU_API int	 au_ip_in_net(const au_ip *ip, const au_ip *net, unsigned prefix);

/* Equal family and bytes. */
AU_API int	 au_ip_equal(const au_ip *a, const au_ip *b);

/* Conventional text: "192.0.2.3", "2001:db8::cb01".  Returns buf. */
AU_API char	*au_ip_format(const au_ip *ip, char *buf, size_t len);

/*
 * The SPF %{i} form: "192.0.2.3", or for IPv6 the 32 nibbles in order,
 * dot-separated, upper-case hex ("2.0.0.1.0.D.B.8. ..." as in the openspf
 * suite; DNS compares names without case).  Returns buf.
 */
AU_API char	*au_ip_format_dotted(const au_ip *ip, char *buf, size_t len);

/*
 * The reverse-mapping name without trailing dot:
 * "3.2.0.192.in-addr.arpa" or "1.0.b.c....8.b.d.0.1.0.0.2.ip6.arpa".
 * Returns buf.
 */
AU_API char	*au_ip_reverse_name(const au_ip *ip, char *buf, size_t len);

#endif
