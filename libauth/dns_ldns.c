/*
 * dns_ldns.c - the network DNS back end: a stub resolver that asks
 * recursive servers over UDP, with TCP when the answer is truncated.
 *
 * RFC 1035 4.2.1 / 4.2.2 and RFC 7766 (UDP, then TCP when truncated);
 * RFC 6891 7 (a server that rejects EDNS is asked again without it);
 * resolv.conf(5) (servers, the local host by default).
 *
 * This file holds the configuration (servers from the caller or from
 * /etc/resolv.conf) and the query loop over tries and servers;
 * dns_net_io.c puts the query on the wire, dns_net_answer.c reads the
 * reply with ldns.
 *
 * The transport uses plain sockets rather than ldns_resolver,
 * because ldns_resolver_send() keeps per-query state in the resolver (not
 * thread-safe), has one port for all servers, sleeps "retrans" seconds
 * between servers, and accepts the first datagram on an unconnected socket
 * without checking its ID.  Here every query uses its own sockets and the
 * configuration is read-only after creation, so many threads may query one
 * handle with no lock.
 *
 * Time bound: each server gets up to `tries` UDP tries of `timeout` seconds,
 * plus at most one more UDP try without EDNS and one TCP exchange of
 * `timeout`; a server that answers with an error or refuses the connection
 * is not asked again.  The worst case is nservers x (tries + 2) x timeout;
 * a silent server costs exactly tries x timeout.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ldns/ldns.h>
#include "dns_net_int.h"

/* ------------------------------------------------------- server setup */

/* Parse a decimal port 1..65535. */
static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static void
server_text(dnsnet_server *sv)
{
	char addr[INET6_ADDRSTRLEN];

	if (sv->sa.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sv->sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		snprintf(sv->text, sizeof(sv->text), "[%s]:%u", addr,
		    ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sv->sa;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(sv->text, sizeof(sv->text), "%s:%u", addr,
		    ntohs(s4->sin_port));
	}
}

/* Fill sv from an IPv4/IPv6 address text and a port. */
static int
server_set(dnsnet_server *sv, const char *addr, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&sv->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sv->sa;

	memset(sv, 0, sizeof(*sv));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sv->salen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sv->salen = sizeof(*s6);
	} else
		return -1;
	server_text(sv);
	return 0;
}

/*
 * Parse one server string: ADDR, ADDR:PORT (IPv4), [V6ADDR], [V6ADDR]:PORT,
 * bare V6ADDR, or ADDR@PORT.  Addresses only: no host names.
 */
static int
server_parse(dnsnet_server *sv, const char *s, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *orig = s, *p, *portstr = NULL;
	size_t hlen;
	uint16_t port = 53;

	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL)
			goto bad;
		hlen = (size_t)(p - s - 1);
		s++;
		if (p[1] == ':')
			portstr = p + 2;
		else if (p[1] == '@')
			portstr = p + 2;
		else if (p[1] != '\0')
			goto bad;
	} else if ((p = strchr(s, '@')) != NULL) {
		hlen = (size_t)(p - s);
		portstr = p + 1;
	} else if ((p = strchr(s, ':')) != NULL && strchr(p + 1, ':') == NULL) {
		hlen = (size_t)(p - s);		/* one colon: IPv4:PORT */
		portstr = p + 1;
	} else
		hlen = strlen(s);		/* IPv4, or bare IPv6 */
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (portstr != NULL && parse_port(portstr, &port) != 0) {
		snprintf(err, errlen, "DNS server \"%s\": bad port \"%s\" "
		    "(use 1 to 65535)", orig, portstr);
		return -1;
	}
	if (server_set(sv, host, port) == 0)
		return 0;
bad:
	snprintf(err, errlen, "DNS server \"%s\" is not an IP address "
	    "(use ADDR, ADDR:PORT, [IPV6]:PORT or ADDR@PORT)", orig);
	return -1;
}

/* The servers of /etc/resolv.conf (the local host if it names none). */
static au_status
servers_from_resolv_conf(dnsnet_conf *be, char *err, size_t errlen)
{
	ldns_resolver *res = NULL;
	ldns_status ls;
	ldns_rdf **ns;
	size_t i, n;
	uint16_t port;
	char addr[INET6_ADDRSTRLEN];

	if (access("/etc/resolv.conf", F_OK) != 0 && errno == ENOENT) {
		/* resolv.conf(5): without the file, the local host. */
		server_set(&be->srv[0], "127.0.0.1", 53);
		be->nsrv = 1;
		return AU_OK;
	}
	ls = ldns_resolver_new_frm_file(&res, NULL);
	if (ls != LDNS_STATUS_OK) {
		snprintf(err, errlen, "cannot read /etc/resolv.conf: %s "
		    "(give a DNS server explicitly)",
		    ldns_get_errorstr_by_id(ls));
		return AU_EDNS;
	}
	port = ldns_resolver_port(res) ? ldns_resolver_port(res) : 53;
	ns = ldns_resolver_nameservers(res);
	n = ldns_resolver_nameserver_count(res);
	for (i = 0; i < n && be->nsrv < DNSNET_MAXSERVERS; i++) {
		int af;

		if (ldns_rdf_get_type(ns[i]) == LDNS_RDF_TYPE_A &&
		    ldns_rdf_size(ns[i]) == 4)
			af = AF_INET;
		else if (ldns_rdf_get_type(ns[i]) == LDNS_RDF_TYPE_AAAA &&
		    ldns_rdf_size(ns[i]) == 16)
			af = AF_INET6;
		else
			continue;
		inet_ntop(af, ldns_rdf_data(ns[i]), addr, sizeof(addr));
		if (server_set(&be->srv[be->nsrv], addr, port) == 0)
			be->nsrv++;
	}
	ldns_resolver_deep_free(res);
	if (be->nsrv == 0) {
		/* resolv.conf(5): no nameserver line means the local host. */
		server_set(&be->srv[0], "127.0.0.1", 53);
		be->nsrv = 1;
	}
	return AU_OK;
}

/* ------------------------------------------------------------ the query */

/*
 * Ask one server once: over UDP, again without EDNS if it rejects EDNS,
 * over TCP if the answer is truncated.  On AU_OK, *a is the server's answer
 * (any outcome, the server is done with), or NULL if it stayed silent and
 * may be asked again.  Any other status is AU_ENOMEM.
 */
static au_status
ask_server(dnsnet_query *q, const dnsnet_server *sv, int *fd,
    au_dns_answer **a)
{
	char reason[sizeof((*a)->reason)] = "";
	dnsnet_xres xr;
	size_t rlen = 0;

	*a = NULL;
	xr = au_dns__net_udp(q, sv, fd, &rlen, reason, sizeof(reason));
	if (xr == DNSNET_REPLY && au_dns__net_noedns(q, rlen)) {
		au_dns__net_drop_edns(q);
		xr = au_dns__net_udp(q, sv, fd, &rlen, reason, sizeof(reason));
	}
	if (xr == DNSNET_REPLY && (q->buf[2] & 0x02) != 0)	/* TC */
		xr = au_dns__net_tcp(q, sv, &rlen, reason, sizeof(reason));
	switch (xr) {
	case DNSNET_REPLY:
		return au_dns__net_answer(q, sv, rlen, a);
	case DNSNET_TIMEOUT:
		if (reason[0] == '\0')
			return AU_OK;		/* UDP silence */
		return au_dns__net_fail(a, q->type, AU_DNS_TIMEOUT, 0, "%s",
		    reason);
	default:
		return au_dns__net_fail(a, q->type, AU_DNS_SERVFAIL, 0, "%s",
		    reason);
	}
}

/* The answer when no server said anything in time. */
static au_status
timeout_answer(const dnsnet_conf *be, au_dns_type type, au_dns_answer **out)
{
	char tries[24] = "";

	if (be->tries > 1)
		snprintf(tries, sizeof(tries), " (%d tries)", be->tries);
	if (be->nsrv == 1)
		return au_dns__net_fail(out, type, AU_DNS_TIMEOUT, 0,
		    "no answer from %s within %s%s", be->srv[0].text,
		    be->timeout_text, tries);
	return au_dns__net_fail(out, type, AU_DNS_TIMEOUT, 0,
	    "no answer from %s and %zu other server%s within %s%s",
	    be->srv[0].text, be->nsrv - 1, be->nsrv > 2 ? "s" : "",
	    be->timeout_text, tries);
}

/*
 * The back end's query: each try asks every server not done with yet, in
 * order.  The first answer that is not SERVFAIL/TIMEOUT wins; otherwise the
 * last failure is returned, or a timeout if all servers stayed silent.
 */
static au_status
dnsnet_query_fn(void *ctx, const char *name, au_dns_type type,
    au_dns_answer **out)
{
	const dnsnet_conf *be = ctx;
	dnsnet_query q;
	au_dns_answer *fail = NULL, *a;
	int fds[DNSNET_MAXSERVERS], done[DNSNET_MAXSERVERS];
	au_status st = AU_OK;
	size_t i;
	int t;

	*out = NULL;
	memset(&q, 0, sizeof(q));
	q.be = be;
	if (au_dns__net_build(&q, name, type) != 0)
		return au_dns__net_fail(out, type, AU_DNS_NXDOMAIN, 0,
		    "invalid domain name (empty label or too long)");
	if ((q.buf = malloc(DNSNET_MAXMSG)) == NULL)
		return AU_ENOMEM;
	for (i = 0; i < be->nsrv; i++) {
		fds[i] = -1;
		done[i] = 0;
	}
	for (t = 0; t < be->tries && *out == NULL; t++) {
		for (i = 0; i < be->nsrv && *out == NULL; i++) {
			if (done[i])
				continue;
			st = ask_server(&q, &be->srv[i], &fds[i], &a);
			if (st != AU_OK)
				goto done;
			if (a == NULL)
				continue;	/* silent: next try */
			done[i] = 1;
			if (a->outcome == AU_DNS_SERVFAIL ||
			    a->outcome == AU_DNS_TIMEOUT) {
				au_dns_answer_free(fail);
				fail = a;	/* maybe another server knows */
			} else
				*out = a;
		}
	}
done:
	for (i = 0; i < be->nsrv; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(q.buf);
	if (st != AU_OK || *out != NULL) {
		au_dns_answer_free(fail);
		return st;
	}
	if (fail != NULL) {
		*out = fail;
		return AU_OK;
	}
	return timeout_answer(be, type, out);
}

static void
dnsnet_free(void *ctx)
{
	free(ctx);
}

/* ---------------------------------------------------------- constructor */

au_status
au_dns__ldns_backend(au_dns_backend *be, const au_dns_opts *opts,
    char *err, size_t errlen)
{
	static const au_dns_opts defaults;
	char dummy[1];		/* err when the caller gives none */
	dnsnet_conf *c;
	double timeout;
	size_t i;
	au_status st;

	if (opts == NULL)
		opts = &defaults;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	else {
		err = dummy;
		errlen = sizeof(dummy);
	}
	timeout = opts->timeout == 0 ? 5.0 : opts->timeout;
	if (!(timeout >= 0.01 && timeout <= 300)) {
		snprintf(err, errlen, "DNS timeout %g is out of range "
		    "(0.01 to 300 seconds)", opts->timeout);
		return AU_EINVAL;
	}
	if (opts->tries < 0 || opts->tries > 10) {
		snprintf(err, errlen, "DNS tries %d is out of range (1 to 10)",
		    opts->tries);
		return AU_EINVAL;
	}
	if (opts->nservers > DNSNET_MAXSERVERS) {
		snprintf(err, errlen, "too many DNS servers (%zu, at most %d)",
		    opts->nservers, DNSNET_MAXSERVERS);
		return AU_EINVAL;
	}
	if (opts->nservers > 0 && opts->servers == NULL) {
		snprintf(err, errlen, "DNS server list missing");
		return AU_EINVAL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return AU_ENOMEM;
	}
	c->timeout_ms = (int)(timeout * 1000 + 0.5);
	c->tries = opts->tries == 0 ? 2 : opts->tries;
	snprintf(c->timeout_text, sizeof(c->timeout_text), "%gs", timeout);
	for (i = 0; i < opts->nservers; i++) {
		if (opts->servers[i] == NULL ||
		    server_parse(&c->srv[i], opts->servers[i], err,
		    errlen) != 0) {
			if (opts->servers[i] == NULL)
				snprintf(err, errlen, "DNS server list has "
				    "a NULL entry");
			free(c);
			return AU_EINVAL;
		}
		c->nsrv++;
	}
	if (c->nsrv == 0 &&
	    (st = servers_from_resolv_conf(c, err, errlen)) != AU_OK) {
		free(c);
		return st;
	}
	be->query = dnsnet_query_fn;
	be->free = dnsnet_free;
	be->ctx = c;
	return AU_OK;
}
