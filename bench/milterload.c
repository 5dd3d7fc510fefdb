/*
 * milterload.c - a milter protocol (version 6) client: drives a milter the
 * way an MTA does, to test it without an MTA (--print) and to measure it
 * under load (messages/s, latency percentiles).
 *
 *   milterload -s SOCKET -m FILE [options]
 *
 * Per message it sends, as Postfix does, one write per command: OPTNEG,
 * CONNECT, HELO, MAIL (with {auth_authen} when --auth), RCPT, the header
 * fields, EOH, the body in chunks of at most 65535 bytes, EOM, and reads
 * every reply, including the header changes at the end of the message.
 * Protocol steps the milter declines (SMFIP_NO*) are not sent and replies
 * it declines (SMFIP_NR_*) are not awaited, so the traffic pattern is the
 * MTA's.  No libmilter code: the wire format is written out here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Protocol constants (sendmail's libmilter/mfdef.h, milter protocol v6). */
#define MILTER_VERSION	6
#define CHUNK		65535
#define MAX_PACKET	(1024 * 1024 + 64)

#define F_NOCONNECT	0x00000001UL
#define F_NOHELO	0x00000002UL
#define F_NOMAIL	0x00000004UL
#define F_NORCPT	0x00000008UL
#define F_NOBODY	0x00000010UL
#define F_NOHDRS	0x00000020UL
#define F_NOEOH		0x00000040UL
#define F_NR_HDR	0x00000080UL
#define F_NOUNKNOWN	0x00000100UL
#define F_NODATA	0x00000200UL
#define F_SKIP		0x00000400UL
#define F_RCPT_REJ	0x00000800UL
#define F_NR_CONN	0x00001000UL
#define F_NR_HELO	0x00002000UL
#define F_NR_MAIL	0x00004000UL
#define F_NR_RCPT	0x00008000UL
#define F_NR_DATA	0x00010000UL
#define F_NR_UNKN	0x00020000UL
#define F_NR_EOH	0x00040000UL
#define F_NR_BODY	0x00080000UL
#define F_HDR_LEADSPC	0x00100000UL
#define PROTO_OFFER	0x001FFFFFUL	/* every step and no-reply flag */
#define ACTIONS_OFFER	0x000001FFUL	/* every modification action */

typedef struct message {
	char		**name, **value;	/* header fields, value without the leading space */
	int		 *lead;			/* value had a leading space */
	size_t		  nh;
	char		 *body;			/* CRLF line ends */
	size_t		  blen;
} message;

typedef struct opts {
	const char	*sock, *ip, *helo, *from, *rcpt, *auth, *hostname;
	message		**msgs;
	size_t		  nmsgs;
	int		  conc, per_conn, print, nodelay, quickack, json;
	int		  write_each;	/* one write per command (sendmail) */
	int		  quit_nc;	/* new session per message: QUIT_NC */
	long		  count;
	double		  seconds;
	long		  warmup;
	const char	*expect;
	const char	*label;
} opts;

typedef struct conn {
	int		 fd;
	unsigned long	 proto, actions;
	unsigned char	 rbuf[65536];
	size_t		 rlen, rpos;
	unsigned char	*pkt;
	size_t		 pktcap;
	unsigned char	 wbuf[4096];	/* like Postfix's VSTREAM buffer */
	size_t		 wlen;
	const opts	*o;
} conn;

typedef struct result {
	char		 code;		/* final reply: a c r t d y */
	char		 text[512];	/* y: the reply text */
	int		 nmods;
} result;

typedef struct worker {
	pthread_t	 tid;
	const opts	*o;
	double		*lat;
	size_t		 nlat, caplat;
	long		 errors, mismatches;
	long		 codes[128];
	double		 tfirst;	/* start of the first measured message */
} worker;

static atomic_long	 remaining;
static atomic_long	 started_msgs;
static atomic_int	 stop_flag;
static atomic_uint	 qid_counter;

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "milterload: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ messages */

static void
message_free(message *m)
{
	size_t i;

	for (i = 0; i < m->nh; i++) {
		free(m->name[i]);
		free(m->value[i]);
	}
	free(m->name);
	free(m->value);
	free(m->lead);
	free(m->body);
	free(m);
}

static message *
load_message(const char *path)
{
	FILE *fp = fopen(path, "rb");
	message *m;
	char *data, *p, *end, *eol;
	size_t len, cap = 0, bcap;
	struct stat sb;

	if (fp == NULL || fstat(fileno(fp), &sb) != 0)
		die("%s: %s", path, strerror(errno));
	len = (size_t)sb.st_size;
	if ((data = malloc(len + 1)) == NULL || fread(data, 1, len, fp) != len)
		die("%s: read error", path);
	fclose(fp);
	data[len] = '\0';
	if ((m = calloc(1, sizeof(*m))) == NULL)
		die("out of memory");
	p = data;
	end = data + len;
	while (p < end) {
		char *line = p, *colon, *v, *ve;
		size_t n;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		n = (size_t)(eol - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		p = eol < end ? eol + 1 : end;
		if (n == 0)
			break;				/* end of header */
		if (line[0] == ' ' || line[0] == '\t') {	/* continuation */
			char *prev;
			size_t pl;

			if (m->nh == 0)
				die("%s: continuation before the first field", path);
			prev = m->value[m->nh - 1];
			pl = strlen(prev);
			if ((prev = realloc(prev, pl + n + 2)) == NULL)
				die("out of memory");
			prev[pl] = '\n';		/* as Postfix sends folds */
			memcpy(prev + pl + 1, line, n);
			prev[pl + 1 + n] = '\0';
			m->value[m->nh - 1] = prev;
			continue;
		}
		if ((colon = memchr(line, ':', n)) == NULL)
			die("%s: '%.*s' is not a header field", path, (int)n, line);
		if (m->nh == cap) {
			cap = cap ? cap * 2 : 32;
			m->name = realloc(m->name, cap * sizeof(char *));
			m->value = realloc(m->value, cap * sizeof(char *));
			m->lead = realloc(m->lead, cap * sizeof(int));
			if (!m->name || !m->value || !m->lead)
				die("out of memory");
		}
		m->name[m->nh] = strndup(line, (size_t)(colon - line));
		v = colon + 1;
		ve = line + n;
		m->lead[m->nh] = v < ve && *v == ' ';
		if (m->lead[m->nh])
			v++;
		m->value[m->nh] = strndup(v, (size_t)(ve - v));
		m->nh++;
	}
	/* body with CRLF line ends, as an MTA sends it */
	bcap = 2 * (size_t)(end - p) + 3;
	if ((m->body = malloc(bcap)) == NULL)
		die("out of memory");
	for (; p < end; p++) {
		if (*p == '\n' && (m->blen == 0 || m->body[m->blen - 1] != '\r'))
			m->body[m->blen++] = '\r';
		m->body[m->blen++] = *p;
	}
	free(data);
	return m;
}

/* ---------------------------------------------------------------- wire */

static void
set_quickack(conn *c)
{
#ifdef TCP_QUICKACK
	int one = 1;

	if (c->o->quickack)
		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#endif
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
flush(conn *c)
{
	int r = 0;

	if (c->wlen > 0)
		r = write_all(c->fd, c->wbuf, c->wlen);
	c->wlen = 0;
	return r;
}

/* Queue bytes for writing: a full buffer is written out, as VSTREAM does. */
static int
put(conn *c, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n > 0) {
		size_t room = sizeof(c->wbuf) - c->wlen, take = n < room ? n : room;

		memcpy(c->wbuf + c->wlen, s, take);
		c->wlen += take;
		s += take;
		n -= take;
		if (c->wlen == sizeof(c->wbuf) && flush(c) < 0)
			return -1;
	}
	return 0;
}

/*
 * Send one command.  Like Postfix, commands are buffered and written when
 * the buffer fills or a reply is awaited (so macros, a command and the
 * header fields sent without replies travel together); with --write-each,
 * like sendmail, every command is written at once.
 */
static int
send_cmd(conn *c, char cmd, const void *data, size_t len)
{
	uint32_t nl = htonl((uint32_t)(len + 1));
	unsigned char ch = (unsigned char)cmd;

	if (len >= sizeof(c->wbuf)) {
		/* a big chunk goes out directly, as VSTREAM writes it */
		struct iovec iov[2];
		unsigned char hdr[5];
		size_t off = 0, total = len + 5;

		if (flush(c) < 0)
			return -1;
		memcpy(hdr, &nl, 4);
		hdr[4] = ch;
		while (off < total) {
			ssize_t w;
			int n = 0;

			if (off < 5) {
				iov[n].iov_base = hdr + off;
				iov[n++].iov_len = 5 - off;
			}
			iov[n].iov_base = (char *)data + (off < 5 ? 0 : off - 5);
			iov[n++].iov_len = off < 5 ? len : total - off;
			if ((w = writev(c->fd, iov, n)) < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			off += (size_t)w;
		}
		return 0;
	}
	if (put(c, &nl, 4) < 0 || put(c, &ch, 1) < 0 ||
	    (len && put(c, data, len) < 0))
		return -1;
	return c->o->write_each ? flush(c) : 0;
}

static int
read_n(conn *c, unsigned char *out, size_t n)
{
	while (n > 0) {
		size_t avail = c->rlen - c->rpos, take;

		if (avail == 0) {
			ssize_t r = read(c->fd, c->rbuf, sizeof(c->rbuf));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			c->rlen = (size_t)r;
			c->rpos = 0;
			set_quickack(c);
			continue;
		}
		take = avail < n ? avail : n;
		memcpy(out, c->rbuf + c->rpos, take);
		c->rpos += take;
		out += take;
		n -= take;
	}
	return 0;
}

/* Read one reply packet: *cmd, data in c->pkt (NUL-terminated), length. */
static int
read_reply(conn *c, char *cmd, size_t *len)
{
	unsigned char hdr[5];
	uint32_t nl;
	size_t n;

	if (flush(c) < 0 || read_n(c, hdr, 5) < 0)
		return -1;
	memcpy(&nl, hdr, 4);
	n = ntohl(nl);
	if (n < 1 || n > MAX_PACKET)
		return -1;
	n--;
	if (n + 1 > c->pktcap) {
		c->pktcap = n + 1024;
		if ((c->pkt = realloc(c->pkt, c->pktcap)) == NULL)
			die("out of memory");
	}
	if (n && read_n(c, c->pkt, n) < 0)
		return -1;
	c->pkt[n] = '\0';
	*cmd = (char)hdr[4];
	*len = n;
	return 0;
}

/* A buffer of NUL-separated strings for a command's data. */
typedef struct sbuf {
	char	*p;
	size_t	 len, cap;
} sbuf;

static void
sb_add(sbuf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			die("out of memory");
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void
sb_str(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s) + 1);
}

/*
 * Read replies until a final one; modifications are counted (and printed
 * with --print).  Returns the final code, or 0 on a broken connection.
 */
static char
await(conn *c, result *res, const char *stage)
{
	char cmd;
	size_t len;

	for (;;) {
		if (read_reply(c, &cmd, &len) < 0)
			return 0;
		switch (cmd) {
		case 'h': case 'i': case 'm': case 'q': case 'e': case '+':
		case '-': case '2': case 'b': case 'p':
			if (cmd != 'p')
				res->nmods++;
			if (c->o->print) {
				const char *s = (const char *)c->pkt;
				uint32_t idx = 0;

				if (cmd == 'i' || cmd == 'm') {
					memcpy(&idx, c->pkt, 4);
					idx = ntohl(idx);
					s += 4;
				}
				switch (cmd) {
				case 'h':
					printf("addheader %s:%s\n", s, s + strlen(s) + 1);
					break;
				case 'i':
					printf("insheader %u %s:%s\n", idx, s,
					    s + strlen(s) + 1);
					break;
				case 'm':
					printf("chgheader %u %s:%s\n", idx, s,
					    s + strlen(s) + 1);
					break;
				case 'q':
					printf("quarantine %s\n", s);
					break;
				default:
					printf("modification %c\n", cmd);
				}
			}
			continue;
		case 'y':
			snprintf(res->text, sizeof(res->text), "%s", c->pkt);
			/* FALLTHROUGH */
		case 'a': case 'c': case 'r': case 't': case 'd': case 's':
		case 'f': case '4':
			res->code = cmd;
			if (c->o->print)
				printf("%s %c%s%s\n", stage, cmd, cmd == 'y' ? " " : "",
				    cmd == 'y' ? res->text : "");
			return cmd;
		default:
			if (c->o->print)
				printf("%s unknown reply '%c'\n", stage, cmd);
			return 0;
		}
	}
}

static int
open_socket(const opts *o)
{
	const char *s = o->sock;
	int fd = -1, one = 1;

	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0 ||
	    s[0] == '/') {
		struct sockaddr_un sun;
		const char *path = s[0] == '/' ? s : strchr(s, ':') + 1;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
	} else if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
		char port[16], host[256];
		const char *p = strchr(s, ':') + 1, *at = strchr(p, '@');
		struct addrinfo hints, *ai, *a;

		snprintf(port, sizeof(port), "%.*s", at ? (int)(at - p) : (int)strlen(p), p);
		snprintf(host, sizeof(host), "%s", at ? at + 1 : "127.0.0.1");
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, port, &hints, &ai) != 0)
			return -1;
		for (a = ai; a != NULL; a = a->ai_next) {
			if ((fd = socket(a->ai_family, SOCK_STREAM, 0)) < 0)
				continue;
			if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
				break;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		if (fd < 0)
			return -1;
		if (o->nodelay)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	} else
		die("socket '%s': use inet:PORT@HOST, inet6:PORT@HOST or unix:/path", s);
	{
		struct timeval tv = { 60, 0 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static int session_start(conn *c, result *res);

/* Connect, negotiate, send CONNECT and HELO.  Returns 0 or -1. */
static int
conn_open(conn *c, const opts *o, result *res)
{
	unsigned char neg[12];
	uint32_t v;
	char cmd;
	size_t len;

	memset(c, 0, sizeof(*c));
	c->o = o;
	if ((c->fd = open_socket(o)) < 0)
		return -1;
	v = htonl(MILTER_VERSION);
	memcpy(neg, &v, 4);
	v = htonl(ACTIONS_OFFER);
	memcpy(neg + 4, &v, 4);
	v = htonl(PROTO_OFFER);
	memcpy(neg + 8, &v, 4);
	if (send_cmd(c, 'O', neg, 12) < 0 || read_reply(c, &cmd, &len) < 0 ||
	    cmd != 'O' || len < 12)
		return -1;
	memcpy(&v, c->pkt + 4, 4);
	c->actions = ntohl(v);
	memcpy(&v, c->pkt + 8, 4);
	c->proto = ntohl(v);
	if (o->print)
		printf("optneg actions=0x%lx protocol=0x%lx\n", c->actions, c->proto);
	return session_start(c, res);
}

/*
 * CONNECT and HELO of an SMTP session; after SMFIC_QUIT_NC the MTA starts
 * the next session on the same connection this way, without negotiating.
 */
static int
session_start(conn *c, result *res)
{
	const opts *o = c->o;
	sbuf b = { NULL, 0, 0 };

	if (!(c->proto & F_NOCONNECT)) {
		int v6 = strchr(o->ip, ':') != NULL;
		uint16_t port = htons(25);
		char fam = v6 ? '6' : '4';

		sb_str(&b, o->hostname);
		sb_add(&b, &fam, 1);
		sb_add(&b, &port, 2);
		sb_str(&b, o->ip);
		if (send_cmd(c, 'C', b.p, b.len) < 0)
			goto fail;
		if (!(c->proto & F_NR_CONN) && await(c, res, "connect") != 'c')
			goto fail;
	}
	if (!(c->proto & F_NOHELO)) {
		b.len = 0;
		sb_str(&b, o->helo);
		if (send_cmd(c, 'H', b.p, b.len) < 0)
			goto fail;
		if (!(c->proto & F_NR_HELO) && await(c, res, "helo") != 'c')
			goto fail;
	}
	free(b.p);
	return 0;
fail:
	free(b.p);
	return -1;
}

static void
conn_close(conn *c)
{
	if (c->fd >= 0) {
		send_cmd(c, 'Q', NULL, 0);
		flush(c);
		close(c->fd);
	}
	c->fd = -1;
	free(c->pkt);
	c->pkt = NULL;
	c->pktcap = 0;
}

/*
 * One message over an open connection.  Returns the final code of the
 * message ('c' or 'a' when accepted), or 0 when the connection broke.
 */
static char
run_message(conn *c, const message *m, result *res)
{
	const opts *o = c->o;
	sbuf b = { NULL, 0, 0 };
	char code, qid[32];
	size_t i, off;

	memset(res, 0, sizeof(*res));
	snprintf(qid, sizeof(qid), "ML%08X", atomic_fetch_add(&qid_counter, 1));
	/* MAIL, with the SASL macro when asked for */
	b.len = 0;
	sb_add(&b, "M", 1);
	if (o->auth) {
		sb_str(&b, "{auth_authen}");
		sb_str(&b, o->auth);
		sb_str(&b, "{auth_type}");
		sb_str(&b, "PLAIN");
	}
	sb_str(&b, "i");
	sb_str(&b, qid);
	if (send_cmd(c, 'D', b.p, b.len) < 0)
		goto broken;
	if (!(c->proto & F_NOMAIL)) {
		char from[1100];

		snprintf(from, sizeof(from), "<%s>", o->from);
		b.len = 0;
		sb_str(&b, from);
		if (send_cmd(c, 'M', b.p, b.len) < 0)
			goto broken;
		if (!(c->proto & F_NR_MAIL)) {
			code = await(c, res, "mail");
			if (code != 'c')
				goto done;
		}
	}
	if (!(c->proto & F_NORCPT)) {
		char to[1100];

		snprintf(to, sizeof(to), "<%s>", o->rcpt);
		b.len = 0;
		sb_str(&b, to);
		if (send_cmd(c, 'R', b.p, b.len) < 0)
			goto broken;
		if (!(c->proto & F_NR_RCPT)) {
			code = await(c, res, "rcpt");
			if (code != 'c')
				goto done;
		}
	}
	if (!(c->proto & F_NODATA)) {
		if (send_cmd(c, 'T', NULL, 0) < 0)
			goto broken;
		if (!(c->proto & F_NR_DATA)) {
			code = await(c, res, "data");
			if (code != 'c')
				goto done;
		}
	}
	if (!(c->proto & F_NOHDRS))
		for (i = 0; i < m->nh; i++) {
			b.len = 0;
			sb_str(&b, m->name[i]);
			if ((c->proto & F_HDR_LEADSPC) && m->lead[i])
				sb_add(&b, " ", 1);
			sb_str(&b, m->value[i]);
			if (send_cmd(c, 'L', b.p, b.len) < 0)
				goto broken;
			if (!(c->proto & F_NR_HDR)) {
				code = await(c, res, "header");
				if (code != 'c')
					goto done;
			}
		}
	if (!(c->proto & F_NOEOH)) {
		if (send_cmd(c, 'N', NULL, 0) < 0)
			goto broken;
		if (!(c->proto & F_NR_EOH)) {
			code = await(c, res, "eoh");
			if (code != 'c')
				goto done;
		}
	}
	if (!(c->proto & F_NOBODY))
		for (off = 0; off < m->blen; off += CHUNK) {
			size_t n = m->blen - off < CHUNK ? m->blen - off : CHUNK;

			if (send_cmd(c, 'B', m->body + off, n) < 0)
				goto broken;
			if (!(c->proto & F_NR_BODY)) {
				code = await(c, res, "body");
				if (code == 's')
					break;
				if (code != 'c')
					goto done;
			}
		}
	b.len = 0;
	sb_add(&b, "E", 1);
	sb_str(&b, "i");
	sb_str(&b, qid);
	if (send_cmd(c, 'D', b.p, b.len) < 0 || send_cmd(c, 'E', NULL, 0) < 0)
		goto broken;
	code = await(c, res, "eom");
done:
	free(b.p);
	if (code == 0)
		return 0;
	/* Postfix resets the milter between messages of one session */
	if (send_cmd(c, 'A', NULL, 0) < 0)
		return 0;
	return code;
broken:
	free(b.p);
	return 0;
}

/* ---------------------------------------------------------------- load */

static void
add_latency(worker *w, double v)
{
	if (w->nlat == w->caplat) {
		w->caplat = w->caplat ? w->caplat * 2 : 1024;
		if ((w->lat = realloc(w->lat, w->caplat * sizeof(double))) == NULL)
			die("out of memory");
	}
	w->lat[w->nlat++] = v;
}

static void *
work(void *arg)
{
	worker *w = arg;
	const opts *o = w->o;
	conn c;
	result res;
	int open = 0, used = 0;
	long seq;
	double t0;
	char code;

	c.fd = -1;
	c.pkt = NULL;
	for (;;) {
		if (atomic_load(&stop_flag))
			break;
		if (o->count > 0 && atomic_fetch_sub(&remaining, 1) <= 0)
			break;
		seq = atomic_fetch_add(&started_msgs, 1);
		t0 = now();
		if (open && o->quit_nc) {
			/* next SMTP session on the same milter connection */
			if (send_cmd(&c, 'K', NULL, 0) < 0 ||
			    session_start(&c, &res) < 0) {
				w->errors++;
				conn_close(&c);
				open = 0;
				continue;
			}
		}
		if (!open) {
			if (conn_open(&c, o, &res) < 0) {
				w->errors++;
				conn_close(&c);
				usleep(10000);
				continue;
			}
			open = 1;
			used = 0;
		}
		code = run_message(&c, o->msgs[seq % (long)o->nmsgs], &res);
		if (code == 0) {
			w->errors++;
			conn_close(&c);
			open = 0;
			continue;
		}
		if (++used >= o->per_conn) {
			conn_close(&c);
			open = 0;
		}
		if (seq >= o->warmup) {
			if (w->tfirst == 0 || t0 < w->tfirst)
				w->tfirst = t0;
			add_latency(w, now() - t0);
		}
		w->codes[(unsigned char)code & 127]++;
		if (o->expect != NULL && strchr(o->expect, code) == NULL)
			w->mismatches++;
	}
	if (open)
		conn_close(&c);
	return NULL;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char usage_text[] =
"usage: milterload -s SOCKET -m FILE [-m FILE...] [options]\n"
"  -s SOCKET      inet:PORT@HOST, inet6:PORT@HOST or unix:/path\n"
"  -m FILE        message (RFC 5322, LF or CRLF); several are used in turn\n"
"  -c N           concurrent connections (default 1)\n"
"  -n N           messages in all (default 1)\n"
"  -t SECONDS     run for this long instead of -n\n"
"  -k N           messages per connection (default 1)\n"
"  -w N           first N messages are warm-up, not measured (default 0)\n"
"  --ip IP        client address in CONNECT (default 192.0.2.1)\n"
"  --helo NAME    HELO name (default client.example)\n"
"  --from ADDR    MAIL FROM (default sender@example.com)\n"
"  --rcpt ADDR    RCPT TO (default rcpt@example.net)\n"
"  --auth USER    send {auth_authen}=USER (an authenticated client)\n"
"  --expect CODES final replies counted as right (e.g. \"ca\"), others are mismatches\n"
"  --nodelay      TCP_NODELAY on the client socket\n"
"  --quickack     TCP_QUICKACK after every read\n"
"  --quit-nc      with -k: start each further message as a new SMTP session\n"
"                 on the same connection (SMFIC_QUIT_NC, CONNECT, HELO)\n"
"  --write-each   write every command at once (sendmail); default: buffer\n"
"                 until a reply is awaited or 4 KB are queued (Postfix)\n"
"  --print        print negotiation, modifications and replies (use with -n 1)\n"
"  --json         one JSON line of results\n"
"  --label TEXT   name for the JSON line\n"
"Prints: messages, msgs/s, p50/p99 latency (ms), errors.  Exit 0, or 1 when\n"
"a message failed or got a final reply outside --expect.\n";

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ip", required_argument, NULL, 1 },
		{ "helo", required_argument, NULL, 2 },
		{ "from", required_argument, NULL, 3 },
		{ "rcpt", required_argument, NULL, 4 },
		{ "auth", required_argument, NULL, 5 },
		{ "nodelay", no_argument, NULL, 6 },
		{ "quickack", no_argument, NULL, 7 },
		{ "print", no_argument, NULL, 8 },
		{ "json", no_argument, NULL, 9 },
		{ "expect", required_argument, NULL, 10 },
		{ "label", required_argument, NULL, 11 },
		{ "write-each", no_argument, NULL, 12 },
		{ "quit-nc", no_argument, NULL, 13 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	opts o;
	worker *w;
	double t0, el, *all, p50 = 0, p99 = 0, pmax = 0;
	size_t n = 0, i, cap = 0;
	long errors = 0, mism = 0, codes[128];
	int ch, k;
	const char *msgfiles[64];
	size_t nfiles = 0;

	memset(&o, 0, sizeof(o));
	memset(codes, 0, sizeof(codes));
	o.ip = "192.0.2.1";
	o.helo = "client.example";
	o.from = "sender@example.com";
	o.rcpt = "rcpt@example.net";
	o.hostname = "client.example";
	o.conc = 1;
	o.per_conn = 1;
	o.count = 1;
	o.label = "";
	while ((ch = getopt_long(argc, argv, "s:m:c:n:t:k:w:h", lo, NULL)) != -1) {
		switch (ch) {
		case 's': o.sock = optarg; break;
		case 'm':
			if (nfiles == 64)
				die("too many -m");
			msgfiles[nfiles++] = optarg;
			break;
		case 'c': o.conc = atoi(optarg); break;
		case 'n': o.count = atol(optarg); break;
		case 't': o.seconds = atof(optarg); o.count = 0; break;
		case 'k': o.per_conn = atoi(optarg); break;
		case 'w': o.warmup = atol(optarg); break;
		case 1: o.ip = optarg; break;
		case 2: o.helo = optarg; break;
		case 3: o.from = optarg; break;
		case 4: o.rcpt = optarg; break;
		case 5: o.auth = optarg; break;
		case 6: o.nodelay = 1; break;
		case 7: o.quickack = 1; break;
		case 8: o.print = 1; break;
		case 9: o.json = 1; break;
		case 10: o.expect = optarg; break;
		case 11: o.label = optarg; break;
		case 12: o.write_each = 1; break;
		case 13: o.quit_nc = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (o.sock == NULL || nfiles == 0 || o.conc < 1 || o.per_conn < 1 ||
	    (o.count < 1 && o.seconds <= 0)) {
		fputs(usage_text, stderr);
		return 2;
	}
	if ((o.msgs = calloc(nfiles, sizeof(message *))) == NULL)
		die("out of memory");
	for (i = 0; i < nfiles; i++)
		o.msgs[i] = load_message(msgfiles[i]);
	o.nmsgs = nfiles;
	if (o.print)
		setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	atomic_store(&remaining, o.count + o.warmup);
	if ((w = calloc((size_t)o.conc, sizeof(*w))) == NULL)
		die("out of memory");
	t0 = now();
	for (k = 0; k < o.conc; k++) {
		w[k].o = &o;
		if (pthread_create(&w[k].tid, NULL, work, &w[k]) != 0)
			die("pthread_create failed");
	}
	if (o.seconds > 0) {
		usleep((useconds_t)(o.seconds * 1e6));
		atomic_store(&stop_flag, 1);
	}
	for (k = 0; k < o.conc; k++)
		pthread_join(w[k].tid, NULL);
	el = now();
	if (o.warmup > 0) {
		/* measure from the first message after the warm-up */
		double first = 0;

		for (k = 0; k < o.conc; k++)
			if (w[k].tfirst > 0 && (first == 0 || w[k].tfirst < first))
				first = w[k].tfirst;
		if (first > 0)
			t0 = first;
	}
	el -= t0;
	for (k = 0; k < o.conc; k++) {
		cap += w[k].nlat;
		errors += w[k].errors;
		mism += w[k].mismatches;
		for (i = 0; i < 128; i++)
			codes[i] += w[k].codes[i];
	}
	all = malloc((cap ? cap : 1) * sizeof(double));
	for (k = 0; k < o.conc; k++)
		for (i = 0; i < w[k].nlat; i++)
			all[n++] = w[k].lat[i];
	if (n > 0) {
		qsort(all, n, sizeof(double), dcmp);
		p50 = all[n / 2] * 1e3;
		p99 = all[(size_t)((double)(n - 1) * 0.99)] * 1e3;
		pmax = all[n - 1] * 1e3;
	}
	{
		/* the measured time excludes nothing: warm-up is a small prefix */
		double rate = el > 0 ? (double)n / el : 0;

		if (o.json)
			printf("{\"label\":\"%s\",\"messages\":%zu,\"concurrency\":%d,"
			    "\"seconds\":%.3f,\"rate\":%.1f,\"p50_ms\":%.3f,"
			    "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"errors\":%ld,"
			    "\"mismatches\":%ld,\"accept\":%ld,\"continue\":%ld,"
			    "\"reject\":%ld,\"tempfail\":%ld}\n", o.label, n, o.conc,
			    el, rate, p50, p99, pmax, errors, mism, codes['a'],
			    codes['c'], codes['r'] + codes['y'], codes['t']);
		else if (!o.print || o.count > 1)
			printf("%zu messages, concurrency %d, %.2f s: %.1f msgs/s, "
			    "p50 %.2f ms, p99 %.2f ms, max %.2f ms, %ld errors, "
			    "%ld unexpected replies\n", n, o.conc, el, rate, p50, p99,
			    pmax, errors, mism);
	}
	for (k = 0; k < o.conc; k++)
		free(w[k].lat);
	free(w);
	free(all);
	for (i = 0; i < o.nmsgs; i++)
		message_free(o.msgs[i]);
	free(o.msgs);
	return errors || mism ? 1 : 0;
}
