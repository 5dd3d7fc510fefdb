/*
 * dns_net_int.h - internal pieces of the network DNS back end shared by
 * dns_ldns.c (configuration and the query loop), dns_net_io.c (the query
 * on the wire, UDP and TCP) and dns_net_answer.c (reply -> au_dns_answer).
 * Not installed.
 */
#ifndef DNS_NET_INT_H
#define DNS_NET_INT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include "au_dns_int.h"

#define DNSNET_MAXSERVERS	16
#define DNSNET_EDNS_SIZE	1232	/* RFC 6891 buffer; DNS flag day 2020 */
#define DNSNET_MAXCHAIN		16	/* CNAMEs followed in an answer */
#define DNSNET_NEGTTL		300	/* negative TTL without an SOA */
#define DNSNET_MAXMSG		65535

typedef struct dnsnet_server {
	struct sockaddr_storage sa;
	socklen_t	 salen;
	char		 text[INET6_ADDRSTRLEN + 9];	/* "[::1]:5353" */
} dnsnet_server;

/* The back end's configuration: read-only once created. */
typedef struct dnsnet_conf {
	dnsnet_server	 srv[DNSNET_MAXSERVERS];
	size_t		 nsrv;
	int		 timeout_ms;
	int		 tries;
	char		 timeout_text[16];		/* "5s", "0.5s" */
} dnsnet_conf;

/* One query in flight (one per call, on the caller's stack). */
typedef struct dnsnet_query {
	const dnsnet_conf *be;
	uint8_t		 wire[12 + 256 + 4 + 11];
	size_t		 len;		/* with the OPT record */
	size_t		 qlen;		/* header + question only */
	uint8_t		 qname[256];	/* wire form */
	size_t		 qnamelen;
	au_dns_type	 type;
	uint8_t		*buf;		/* reply buffer, DNSNET_MAXMSG bytes */
} dnsnet_query;

/* What one exchange with one server came to. */
typedef enum dnsnet_xres {
	DNSNET_REPLY,		/* buf holds a reply with our ID */
	DNSNET_TIMEOUT,		/* nothing in time */
	DNSNET_FAILED		/* refused / unreachable / broken: reason set */
} dnsnet_xres;

/* dns_net_io.c */
long	 au_dns__net_now_ms(void);
/* Build the query for a plain dotted name; -1 if it cannot be sent. */
int	 au_dns__net_build(dnsnet_query *q, const char *name, au_dns_type type);
/* Drop the OPT record (for a server that does not know EDNS). */
void	 au_dns__net_drop_edns(dnsnet_query *q);
/* One UDP try on *fd (opened on first use, kept for later tries). */
dnsnet_xres au_dns__net_udp(dnsnet_query *q, const dnsnet_server *sv,
	    int *fd, size_t *rlen, char *reason, size_t rsz);
/* One exchange over TCP. */
dnsnet_xres au_dns__net_tcp(dnsnet_query *q, const dnsnet_server *sv,
	    size_t *rlen, char *reason, size_t rsz);

/* dns_net_answer.c */
/* An answer with no records, the given outcome and a reason. */
au_status au_dns__net_fail(au_dns_answer **out, au_dns_type type,
	    au_dns_outcome oc, uint32_t ttl, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* Turn the reply in q->buf into an answer (any outcome). */
au_status au_dns__net_answer(dnsnet_query *q, const dnsnet_server *sv,
	    size_t rlen, au_dns_answer **out);
/* Is the reply FORMERR without OPT to a query with EDNS (RFC 6891 7)? */
int	 au_dns__net_noedns(const dnsnet_query *q, size_t rlen);

#endif
