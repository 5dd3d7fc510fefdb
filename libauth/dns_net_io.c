/*
 * dns_net_io.c - the network back end on the wire: the query message and
 * one exchange with one server over UDP or TCP.
 *
 * RFC 1035 4.1 (message format), 4.2.1 (UDP), 4.2.2 (TCP with a two-octet
 * length); RFC 6891 6.1 (the OPT record, buffer 1232); RFC 5452 9.1 (only
 * a datagram from the server asked, on a connected socket with a random
 * source port, carrying our random ID, is taken as the reply); RFC 7766
 * (TCP when the UDP answer is truncated).
 *
 * The question is built from the plain dotted name as wire labels, so a
 * label may hold spaces or backslashes: no presentation-format parser is
 * involved.  Every call uses its own sockets and buffers: thread-safe.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dns_net_int.h"

long
au_dns__net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------- query building */

/*
 * Build the query: header with a random ID and RD, the question from the
 * plain dotted name (any byte but '.' inside a label), and an OPT record.
 * Returns -1 if the name cannot be sent.
 */
int
au_dns__net_build(dnsnet_query *q, const char *name, au_dns_type type)
{
	const char *p = name, *dot;
	uint8_t *w = q->wire;
	size_t n = 0, llen;
	uint16_t id;

	if (strcmp(name, ".") == 0)
		p = "";			/* the root */
	while (*p != '\0') {
		dot = strchr(p, '.');
		llen = dot ? (size_t)(dot - p) : strlen(p);
		if (llen == 0 || llen > 63 || n + 1 + llen + 1 > 255)
			return -1;
		q->qname[n++] = (uint8_t)llen;
		memcpy(q->qname + n, p, llen);
		n += llen;
		p += llen;
		if (*p == '.')
			p++;
	}
	q->qname[n++] = 0;
	q->qnamelen = n;
	q->type = type;

	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = (uint16_t)((unsigned long)au_dns__net_now_ms() *
		    2654435761UL ^ (uintptr_t)q);
	w[0] = (uint8_t)(id >> 8);
	w[1] = (uint8_t)id;
	w[2] = 0x01;			/* RD */
	w[3] = 0x00;
	w[4] = 0; w[5] = 1;		/* QDCOUNT */
	w[6] = w[7] = w[8] = w[9] = 0;
	w[10] = 0; w[11] = 1;		/* ARCOUNT: the OPT record */
	memcpy(w + 12, q->qname, n);
	n += 12;
	w[n++] = (uint8_t)((unsigned)type >> 8);
	w[n++] = (uint8_t)type;
	w[n++] = 0;
	w[n++] = 1;			/* class IN */
	q->qlen = n;
	w[n++] = 0;			/* OPT: root owner */
	w[n++] = 0;
	w[n++] = 41;			/* type OPT */
	w[n++] = DNSNET_EDNS_SIZE >> 8;
	w[n++] = DNSNET_EDNS_SIZE & 0xff;
	w[n++] = 0; w[n++] = 0; w[n++] = 0; w[n++] = 0;	/* rcode, version, DO */
	w[n++] = 0; w[n++] = 0;		/* RDLENGTH */
	q->len = n;
	return 0;
}

/* Drop the OPT record (a server that does not know EDNS, RFC 6891 7). */
void
au_dns__net_drop_edns(dnsnet_query *q)
{
	q->wire[11] = 0;
	q->len = q->qlen;
}

/* ---------------------------------------------------------- transport */

/* Is buf[0..n) a reply (QR) to our query ID? */
static int
is_our_reply(const dnsnet_query *q, const uint8_t *buf, size_t n)
{
	return n >= 12 && buf[0] == q->wire[0] && buf[1] == q->wire[1] &&
	    (buf[2] & 0x80) != 0;
}

/*
 * One UDP try to one server on its (connected) socket *fd, created on first
 * use and kept for the next try so a late answer still counts.
 */
dnsnet_xres
au_dns__net_udp(dnsnet_query *q, const dnsnet_server *sv, int *fd, size_t *rlen,
    char *reason, size_t rsz)
{
	struct pollfd pfd;
	long deadline;
	ssize_t n;
	int rc;

	if (*fd < 0) {
		*fd = socket(sv->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (*fd < 0 ||
		    connect(*fd, (const struct sockaddr *)&sv->sa, sv->salen)) {
			snprintf(reason, rsz, "cannot reach %s: %s", sv->text,
			    strerror(errno));
			return DNSNET_FAILED;
		}
	}
	if (send(*fd, q->wire, q->len, 0) != (ssize_t)q->len) {
		snprintf(reason, rsz, "cannot send to %s: %s", sv->text,
		    strerror(errno));
		return DNSNET_FAILED;
	}
	deadline = au_dns__net_now_ms() + q->be->timeout_ms;
	for (;;) {
		long left = deadline - au_dns__net_now_ms();

		if (left <= 0)
			return DNSNET_TIMEOUT;
		pfd.fd = *fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			snprintf(reason, rsz, "poll: %s", strerror(errno));
			return DNSNET_FAILED;
		}
		if (rc == 0)
			return DNSNET_TIMEOUT;
		n = recv(*fd, q->buf, DNSNET_MAXMSG, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			snprintf(reason, rsz, "no DNS service at %s: %s",
			    sv->text, strerror(errno));
			return DNSNET_FAILED;
		}
		/* Not ours (a late or forged datagram): keep waiting. */
		if (!is_our_reply(q, q->buf, (size_t)n))
			continue;
		*rlen = (size_t)n;
		return DNSNET_REPLY;
	}
}

/* Wait until fd is ready for events or the deadline passes. */
static int
wait_fd(int fd, short events, long deadline)
{
	struct pollfd pfd;
	int rc;

	for (;;) {
		long left = deadline - au_dns__net_now_ms();

		if (left <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		return rc;
	}
}

/* Read exactly n bytes before the deadline: 1 done, 0 timeout, -1 error. */
static int
tcp_read(int fd, uint8_t *p, size_t n, long deadline)
{
	ssize_t r;
	int rc;

	while (n > 0) {
		if ((rc = wait_fd(fd, POLLIN, deadline)) <= 0)
			return rc;
		r = recv(fd, p, n, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 1;
}

/* One exchange over TCP (RFC 1035 4.2.2, RFC 7766). */
dnsnet_xres
au_dns__net_tcp(dnsnet_query *q, const dnsnet_server *sv, size_t *rlen,
    char *reason, size_t rsz)
{
	uint8_t out[2 + sizeof(q->wire)], lenbuf[2];
	long deadline = au_dns__net_now_ms() + q->be->timeout_ms;
	size_t off = 0, total, mlen;
	dnsnet_xres xr = DNSNET_FAILED;
	socklen_t elen = sizeof(int);
	int fd, rc, soerr = 0;
	ssize_t w;

	fd = socket(sv->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(reason, rsz, "TCP to %s: %s", sv->text,
		    strerror(errno));
		return DNSNET_FAILED;
	}
	if (connect(fd, (const struct sockaddr *)&sv->sa, sv->salen) != 0 &&
	    errno != EINPROGRESS) {
		snprintf(reason, rsz, "TCP to %s: %s", sv->text,
		    strerror(errno));
		goto done;
	}
	out[0] = (uint8_t)(q->len >> 8);
	out[1] = (uint8_t)q->len;
	memcpy(out + 2, q->wire, q->len);
	total = q->len + 2;
	while (off < total) {
		if ((rc = wait_fd(fd, POLLOUT, deadline)) <= 0)
			goto fail_rc;
		if (off == 0 && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
		    &elen) != 0 || soerr != 0)) {
			errno = soerr ? soerr : errno;
			rc = -1;
			goto fail_rc;
		}
		w = send(fd, out + off, total - off, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0) {
			rc = -1;
			goto fail_rc;
		}
		off += (size_t)w;
	}
	/* Replies with another ID are not ours; one exchange per connection. */
	if ((rc = tcp_read(fd, lenbuf, 2, deadline)) <= 0)
		goto fail_rc;
	mlen = ((size_t)lenbuf[0] << 8) | lenbuf[1];
	if ((rc = tcp_read(fd, q->buf, mlen, deadline)) <= 0)
		goto fail_rc;
	if (!is_our_reply(q, q->buf, mlen)) {
		snprintf(reason, rsz, "answer over TCP from %s does not match "
		    "the query", sv->text);
		goto done;
	}
	*rlen = mlen;
	xr = DNSNET_REPLY;
	goto done;
fail_rc:
	if (rc == 0) {
		snprintf(reason, rsz, "no answer over TCP from %s within %s",
		    sv->text, q->be->timeout_text);
		xr = DNSNET_TIMEOUT;
	} else
		snprintf(reason, rsz, "TCP to %s: %s", sv->text,
		    strerror(errno));
done:
	close(fd);
	return xr;
}
