/*
 * callbacks.c - the xxfi_* callbacks: translate milter events into the
 * libauth message session (verification: SPF, DKIM, DMARC, RFC 8601
 * Authentication-Results) or into DKIM signers (RFC 6376 5), and turn the
 * verdict into the MTA's action.
 *
 * One am_conn per MTA connection (libmilter runs one thread per
 * connection, so nothing here is shared but the reference-counted
 * configuration, whose DNS cache and keys are thread-safe).  Bodies are
 * streamed; only the header section of a message to be signed is kept,
 * because the key depends on the From field.  Any internal error makes
 * the message fail temporarily: nothing is accepted unchecked.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include "au_ar.h"
#include "au_buf.h"
#include "au_msg.h"
#include "callbacks.h"
#include "conf.h"
#include "log.h"

#define MAX_SIGNERS	(AM_MAX_KEYS_PER_ENTRY * 4)
#define MAX_FIELD	(1024 * 1024)	/* one header field from the MTA */
#define MAX_OURS	1000		/* forged A-R fields we remove */
#define LOGLINE		1536

enum { MSG_IDLE, MSG_SIGN, MSG_VERIFY };

typedef struct am_conn {
	am_conf		*conf;
	unsigned long	 gen;
	au_ip		 addr;
	int		 have_addr;
	char		 ip[AU_IP_TEXTLEN];
	char		*hostname, *helo;
	int		 internal;
	int		 leadspc, can_quarantine;
	unsigned long	 nr;		/* SMFIP_NR_* the MTA agreed to */
	int		 peer;		/* PeerList: pass every message unchecked */
	au_msg		*msg;		/* verification session, tied to conf */

	/* per message */
	int		 state;
	int		 skip;		/* nothing to do: accept at the gate */
	int		 gated;		/* the DATA (or EOH) gate has been passed */
	int		 failed;	/* internal error: tempfail at the next reply */
	int		 too_big;	/* header beyond our bounds: permanent */
	char		 fail_why[160];
	int		 auth;
	char		*mfrom;
	au_buf		 fld;		/* one "Name:value" being built */
	char		 from_addr[512];
	unsigned	 nfrom;
	/* signing: the header section, kept until the key is known */
	au_buf		 hdrs;
	size_t		*hoff;		/* pairs: offset, length */
	size_t		 nh, caph;
	au_dkim_signer	*signers[MAX_SIGNERS];
	char		 sigdesc[MAX_SIGNERS][160];
	size_t		 nsigners;
	/* verifying: indices of Authentication-Results fields that are ours */
	unsigned	 nar;
	unsigned	*ours;
	size_t		 nours, capours;
	struct timespec	 t0;
} am_conn;

/* ------------------------------------------------------------- helpers */

static void
fail(am_conn *c, const char *what, au_status st)
{
	if (c->failed)
		return;
	c->failed = 1;
	snprintf(c->fail_why, sizeof(c->fail_why), "%s: %s", what,
	    au_strerror(st));
}

static double
elapsed_ms(const am_conn *c)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - c->t0.tv_sec) * 1e3 +
	    (double)(t.tv_nsec - c->t0.tv_nsec) / 1e6;
}

static const char *
queue_id(SMFICTX *ctx)
{
	const char *q = smfi_getsymval(ctx, "i");

	return q != NULL && *q != '\0' ? q : "NOQUEUE";
}

/* Copy text for an SMTP reply: printable ASCII only, '%' doubled. */
static void
reply_text(char *out, size_t outlen, const char *in)
{
	size_t n = 0;

	for (; *in && n + 3 < outlen; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch == '%') {
			out[n++] = '%';
			out[n++] = '%';
		} else
			out[n++] = ch >= ' ' && ch < 127 ? (char)ch : '?';
	}
	out[n] = '\0';
}

static sfsistat
tempfail(SMFICTX *ctx, am_conn *c, const char *dsn, const char *text)
{
	char buf[512];

	reply_text(buf, sizeof(buf), text);
	if (smfi_setreply(ctx, "451", (char *)dsn, buf) != MI_SUCCESS)
		am_log(LOG_WARNING, "%s: could not set the SMTP reply",
		    queue_id(ctx));
	return SMFIS_TEMPFAIL;
}

static sfsistat
internal_error(SMFICTX *ctx, am_conn *c)
{
	if (c->too_big) {
		am_log(LOG_NOTICE, "%s: [%s] %s: message refused", queue_id(ctx),
		    c->ip, c->fail_why);
		if (smfi_setreply(ctx, "552", "5.3.4", "Message header section "
		    "too large to process") != MI_SUCCESS)
			am_log(LOG_WARNING, "%s: could not set the SMTP reply",
			    queue_id(ctx));
		return SMFIS_REJECT;
	}
	am_log(LOG_ERR, "%s: internal error (%s): message tempfailed",
	    queue_id(ctx), c->fail_why[0] ? c->fail_why : "unknown");
	return tempfail(ctx, c, "4.3.0",
	    "Temporary error in message authentication; try again later");
}

/*
 * "Name:value" as libauth wants it from the MTA's name and value: line
 * ends inside the folded value become CRLF, whatever the MTA used.
 */
static au_status
build_field(au_buf *b, const char *name, const char *value, int leadspc)
{
	const char *p = value, *nl;
	au_status st;

	au_buf_reset(b);
	if ((st = au_buf_puts(b, name)) != AU_OK ||
	    (st = au_buf_puts(b, leadspc ? ":" : ": ")) != AU_OK)
		return st;
	while ((nl = strchr(p, '\n')) != NULL) {
		size_t n = (size_t)(nl - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((st = au_buf_append(b, p, n)) != AU_OK ||
		    (st = au_buf_append(b, "\r\n", 2)) != AU_OK)
			return st;
		p = nl + 1;
	}
	return au_buf_puts(b, p);
}

/*
 * A header value for smfi_insheader from libauth text ("value" folded
 * with CRLF): bare LF line ends (the MTA writes its own), and the leading
 * space when the MTA passes values verbatim.
 */
static char *
milter_value(const char *v, int leadspc)
{
	size_t n = strlen(v), i, j = 0;
	char *out = malloc(n + 2);

	if (out == NULL)
		return NULL;
	if (leadspc && *v != ' ' && *v != '\t')
		out[j++] = ' ';
	if (!leadspc)
		while (*v == ' ')
			v++;
	for (i = 0; v[i]; i++)
		if (!(v[i] == '\r' && v[i + 1] == '\n'))
			out[j++] = v[i];
	out[j] = '\0';
	return out;
}

/* Forget the current message; keep the connection. */
static void
msg_clear(am_conn *c)
{
	size_t i;

	for (i = 0; i < c->nsigners; i++)
		c->signers[i] = au_dkim_signer_free(c->signers[i]);
	c->nsigners = 0;
	if (c->msg != NULL && c->state == MSG_VERIFY)
		au_msg_reset(c->msg);
	c->state = MSG_IDLE;
	c->skip = 0;
	c->gated = 0;
	c->failed = 0;
	c->too_big = 0;
	c->fail_why[0] = '\0';
	c->auth = 0;
	free(c->mfrom);
	c->mfrom = NULL;
	c->from_addr[0] = '\0';
	c->nfrom = 0;
	c->nh = 0;
	c->nar = 0;
	c->nours = 0;
	au_buf_reset(&c->hdrs);
	/* do not keep a huge buffer alive between messages */
	if (c->hdrs.cap > 256 * 1024)
		au_buf_free(&c->hdrs);
	if (c->fld.cap > 256 * 1024)
		au_buf_free(&c->fld);
}

static void
conn_free(am_conn *c)
{
	if (c == NULL)
		return;
	msg_clear(c);
	au_msg_free(c->msg);
	am_conf_unref(c->conf);
	free(c->hostname);
	free(c->helo);
	au_buf_free(&c->fld);
	au_buf_free(&c->hdrs);
	free(c->hoff);
	free(c->ours);
	free(c);
}

/*
 * What was negotiated on this thread's MTA connection.  libmilter keeps
 * the negotiated flags when the MTA starts a new session on the same
 * socket (SMFIC_QUIT_NC: close, then connect again without negotiation),
 * but our per-connection state is freed at close; the session after it
 * runs on the same thread and takes the flags from here.
 */
static __thread struct {
	int		 valid;
	unsigned long	 nr;
	int		 leadspc, can_quarantine;
} negotiated;

static am_conn *
conn_get(SMFICTX *ctx)
{
	am_conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (negotiated.valid) {
		c->nr = negotiated.nr;
		c->leadspc = negotiated.leadspc;
		c->can_quarantine = negotiated.can_quarantine;
	}
	au_buf_init(&c->fld, MAX_FIELD);
	au_buf_init(&c->hdrs, 0);
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		free(c);
		return NULL;
	}
	return c;
}

/* Is the client internal (sign) under configuration c? */
static void
classify(am_conn *c)
{
	c->internal = !c->have_addr ||
	    am_hostlist_match(c->conf->internal, &c->addr, c->hostname);
}

/* Move the connection to the newest configuration (after a reload). */
static void
conf_refresh(am_conn *c)
{
	if (c->conf != NULL && c->gen == am_conf_generation())
		return;
	am_conf_unref(c->conf);
	c->conf = am_conf_current();
	c->gen = c->conf->generation;
	c->msg = au_msg_free(c->msg);
	classify(c);
}

/* ----------------------------------------------------------- callbacks */

/*
 * The events before the message (CONNECT, HELO, MAIL, RCPT) are taken
 * without a reply when the MTA agrees (SMFIP_NR_*): Postfix then sends
 * them together with DATA in one write and waits once.  What they decide
 * (PeerList client, nothing to do, an internal error) is acted on at the
 * first event that is answered, DATA, by gate(); EOH runs the gate when
 * an MTA sends no DATA event.
 *
 * DATA itself is always answered, and so is RCPT when the MTA cannot
 * skip its reply: over TCP, Postfix's smtpd flushes what it buffered
 * before cleanup takes over the milter connection for the header; if
 * that flush needed no reply, cleanup's first write waits in Nagle's
 * queue for our delayed ACK (~40 ms per message).  A reply to DATA
 * carries the ACK at once.
 */
static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	am_conn *c = conn_get(ctx);
	am_conf *conf;
	unsigned long want;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	conf = am_conf_current();
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) !=
	    (SMFIF_ADDHDRS | SMFIF_CHGHDRS))
		am_log(LOG_WARNING, "the MTA does not let filters add and change "
		    "header fields: results cannot be recorded");
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE |
	    SMFIF_SETSYMLIST);
	c->can_quarantine = (f0 & SMFIF_QUARANTINE) != 0;
	want = SMFIP_NOUNKNOWN | SMFIP_HDR_LEADSPC | SMFIP_SKIP;
	/* (libmilter offers the NR_* flags even when the MTA lacks them,
	 * and then answers "continue" for us: early() stays correct) */
	if (conf->no_reply)
		want |= SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL |
		    SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_BODY;
	*pf1 = f1 & want;
	c->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	c->nr = *pf1 & (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL |
	    SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_BODY);
	*pf2 = *pf3 = 0;
	negotiated.valid = 1;
	negotiated.nr = c->nr;
	negotiated.leadspc = c->leadspc;
	negotiated.can_quarantine = c->can_quarantine;
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "{auth_authen} {auth_type}");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	am_conf_unref(conf);
	return SMFIS_CONTINUE;
}

/*
 * The reply of an early event: given at once when the MTA waits for it,
 * else remembered (failed, skip, peer) for gate().
 */
static sfsistat
early(SMFICTX *ctx, am_conn *c, unsigned long nr_flag, sfsistat r)
{
	if (!(c->nr & nr_flag))
		return r == SMFIS_TEMPFAIL && c->failed ? internal_error(ctx, c) : r;
	return SMFIS_NOREPLY;
}

/* The first answered event of a message: act on what the early ones found. */
static sfsistat
gate(SMFICTX *ctx, am_conn *c)
{
	c->gated = 1;
	if (c->peer || c->skip)
		return SMFIS_ACCEPT;
	if (c->failed)
		return internal_error(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	am_conn *c = conn_get(ctx);
	char buf[INET6_ADDRSTRLEN];

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	free(c->hostname);
	c->hostname = strdup(hostname ? hostname : "");
	c->have_addr = 0;
	c->peer = 0;
	snprintf(c->ip, sizeof(c->ip), "local");
	if (sa != NULL && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf,
	    sizeof(buf)) != NULL)
		c->have_addr = 1;
	else if (sa != NULL && sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf,
	    sizeof(buf)) != NULL)
		c->have_addr = 1;
	if (c->have_addr) {
		if (au_ip_parse_str(buf, &c->addr) != AU_OK)
			c->have_addr = 0;
		else {
			au_ip_unmap(&c->addr);
			au_ip_format(&c->addr, c->ip, sizeof(c->ip));
		}
	}
	c->gen = 0;
	am_conf_unref(c->conf);
	c->conf = NULL;
	conf_refresh(c);
	if (c->hostname == NULL) {
		fail(c, "connect", AU_ENOMEM);
		return early(ctx, c, SMFIP_NR_CONN, SMFIS_TEMPFAIL);
	}
	if (c->have_addr && am_hostlist_match(c->conf->peers, &c->addr,
	    c->hostname)) {
		if (c->conf->log_why)
			am_log(LOG_INFO, "%s [%s] is in PeerList: not checked",
			    c->hostname, c->ip);
		c->peer = 1;
		return early(ctx, c, SMFIP_NR_CONN, SMFIS_ACCEPT);
	}
	return early(ctx, c, SMFIP_NR_CONN, SMFIS_CONTINUE);
}

static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	am_conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	free(c->helo);
	if ((c->helo = strndup(helo ? helo : "", 255)) == NULL) {
		fail(c, "helo", AU_ENOMEM);
		return early(ctx, c, SMFIP_NR_HELO, SMFIS_TEMPFAIL);
	}
	return early(ctx, c, SMFIP_NR_HELO, SMFIS_CONTINUE);
}

/* MAIL: decide sign / verify / nothing; start verification (SPF). */
static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	am_conn *c = smfi_getpriv(ctx);
	const char *a, *from;
	size_t len;
	au_status st;
	int sign, verify;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	msg_clear(c);
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	if (c->peer)
		return early(ctx, c, SMFIP_NR_MAIL, SMFIS_ACCEPT);
	conf_refresh(c);
	a = smfi_getsymval(ctx, "{auth_authen}");
	c->auth = a != NULL && *a != '\0';
	from = argv && argv[0] ? argv[0] : "";
	len = strlen(from);
	if (len >= 2 && from[0] == '<' && from[len - 1] == '>') {
		from++;
		len -= 2;
	}
	if ((c->mfrom = strndup(from, len > 1024 ? 1024 : len)) == NULL) {
		fail(c, "mail", AU_ENOMEM);
		return early(ctx, c, SMFIP_NR_MAIL, SMFIS_TEMPFAIL);
	}
	sign = (c->conf->mode & AM_MODE_SIGN) && (c->internal || c->auth);
	verify = (c->conf->mode & AM_MODE_VERIFY) && !(c->internal || c->auth);
	if (sign && c->conf->keys.n == 0) {
		if (c->conf->log_why)
			am_log(LOG_INFO, "[%s] internal, no signing keys: not signed",
			    c->ip);
		sign = 0;
	}
	if (!sign && !verify) {
		c->skip = 1;
		return early(ctx, c, SMFIP_NR_MAIL, SMFIS_ACCEPT);
	}
	if (sign) {
		c->state = MSG_SIGN;
		c->hdrs.max = c->conf->max_header_bytes;
		return early(ctx, c, SMFIP_NR_MAIL, SMFIS_CONTINUE);
	}
	c->state = MSG_VERIFY;
	st = AU_OK;
	if (c->msg == NULL &&
	    (st = au_msg_new(&c->msg, c->conf->dns->dns, &c->conf->msgopts)) != AU_OK)
		fail(c, "au_msg_new", st);
	else if ((st = au_msg_connect(c->msg, c->have_addr ? c->ip : "127.0.0.1",
	    c->helo ? c->helo : "")) != AU_OK)
		fail(c, "au_msg_connect", st);
	else if ((st = au_msg_mailfrom(c->msg, c->mfrom)) != AU_OK)
		fail(c, "au_msg_mailfrom", st);
	return early(ctx, c, SMFIP_NR_MAIL, st == AU_OK ? SMFIS_CONTINUE :
	    SMFIS_TEMPFAIL);
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	am_conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	return early(ctx, c, SMFIP_NR_RCPT, SMFIS_CONTINUE);
}

static sfsistat
cb_data(SMFICTX *ctx)
{
	am_conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	return gate(ctx, c);
}

/* Keep a header field of a message to be signed until the end of the header. */
static au_status
keep_header(am_conn *c)
{
	au_status st;

	if (c->nh == c->caph) {
		size_t ncap = c->caph ? c->caph * 2 : 64;
		size_t *n = realloc(c->hoff, ncap * 2 * sizeof(*n));

		if (n == NULL)
			return AU_ENOMEM;
		c->hoff = n;
		c->caph = ncap;
	}
	c->hoff[2 * c->nh] = c->hdrs.len;
	c->hoff[2 * c->nh + 1] = c->fld.len;
	if ((st = au_buf_append(&c->hdrs, c->fld.data, c->fld.len)) != AU_OK)
		return st;
	c->nh++;
	return AU_OK;
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	am_conn *c = smfi_getpriv(ctx);
	sfsistat ok;
	au_status st;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	ok = (c->nr & SMFIP_NR_HDR) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	if (c->failed || c->state == MSG_IDLE)
		return ok;
	if ((st = build_field(&c->fld, name, value, c->leadspc)) != AU_OK) {
		fail(c, st == AU_ETOOBIG ? "header field too long" : "header",
		    st);
		c->too_big = st == AU_ETOOBIG;
		return ok;
	}
	if (strcasecmp(name, "From") == 0 && c->nfrom++ == 0 &&
	    am_from_address(value, strlen(value), c->from_addr,
	    sizeof(c->from_addr)) < 0)
		c->from_addr[0] = '\0';
	if (c->state == MSG_SIGN) {
		if ((st = keep_header(c)) != AU_OK) {
			fail(c, st == AU_ETOOBIG ? "header section larger than "
			    "MaximumHeaders" : "header", st);
			c->too_big = st == AU_ETOOBIG;
		}
		return ok;
	}
	if (strcasecmp(name, "Authentication-Results") == 0) {
		c->nar++;
		if (au_ar_is_ours(value, strlen(value), c->conf->authserv_id)) {
			if (c->nours == MAX_OURS) {
				fail(c, "too many forged Authentication-Results",
				    AU_ETOOBIG);
				c->too_big = 1;
				return ok;
			}
			if (c->nours == c->capours) {
				size_t ncap = c->capours ? c->capours * 2 : 4;
				unsigned *n = realloc(c->ours, ncap * sizeof(*n));

				if (n == NULL) {
					fail(c, "header", AU_ENOMEM);
					return ok;
				}
				c->ours = n;
				c->capours = ncap;
			}
			c->ours[c->nours++] = c->nar;
		}
	}
	if ((st = au_msg_header(c->msg, c->fld.data, c->fld.len)) != AU_OK)
		fail(c, "au_msg_header", st);
	return ok;
}

/* "%" in a KeyTable domain or a signer is the From domain. */
static void
expand(char *out, size_t outlen, const char *tmpl, const char *fromdom)
{
	size_t n = 0;

	for (; *tmpl && n + 1 < outlen; tmpl++) {
		if (*tmpl == '%') {
			size_t l = strlen(fromdom);

			if (n + l >= outlen)
				break;
			memcpy(out + n, fromdom, l);
			n += l;
		} else
			out[n++] = *tmpl;
	}
	out[n] = '\0';
}

/* Is d equal to, or a subdomain of, parent? */
static int
in_domain(const char *d, const char *parent)
{
	size_t ld = strlen(d), lp = strlen(parent);

	if (ld == lp)
		return strcasecmp(d, parent) == 0;
	return ld > lp && d[ld - lp - 1] == '.' &&
	    strcasecmp(d + ld - lp, parent) == 0;
}

/* Start one signer for key k with d= domain and optional i= signer. */
static au_status
add_signer(am_conn *c, const am_key *k, const char *domain, const char *signer)
{
	au_dkim_sign_opts o;
	char err[256];
	au_status st;
	size_t i;

	if (c->nsigners == MAX_SIGNERS)
		return AU_OK;
	memset(&o, 0, sizeof(o));
	o.domain = domain;
	o.selector = k->selector;
	o.header_canon = c->conf->hcanon;
	o.body_canon = c->conf->bcanon;
	o.headers = c->conf->h_list;
	o.oversign = c->conf->oversign_list;
	o.expire_after = c->conf->signature_ttl;
	if (signer != NULL) {
		const char *at = strrchr(signer, '@');

		/* RFC 6376 3.5: i= must be in d= or below; else leave it out */
		if (at != NULL && in_domain(at + 1, domain))
			o.identity = signer;
	}
	err[0] = '\0';
	if ((st = au_dkim_signer_new(&c->signers[c->nsigners], k->key, &o, err,
	    sizeof(err))) != AU_OK) {
		am_log(LOG_ERR, "cannot sign with d=%s s=%s: %s", domain,
		    k->selector, err[0] ? err : au_strerror(st));
		return st;
	}
	snprintf(c->sigdesc[c->nsigners], sizeof(c->sigdesc[0]), "d=%s s=%s %s",
	    domain, k->selector, au_dkim_key_alg(k->key) == AU_DKIM_ED25519_SHA256 ?
	    "ed25519-sha256" : "rsa-sha256");
	c->nsigners++;
	for (i = 0; i < c->nh; i++)
		if ((st = au_dkim_signer_header(c->signers[c->nsigners - 1],
		    c->hdrs.data + c->hoff[2 * i], c->hoff[2 * i + 1])) != AU_OK)
			return st;
	return au_dkim_signer_eoh(c->signers[c->nsigners - 1]);
}

/* Choose the keys for the From address and start the signers. */
static au_status
start_signing(am_conn *c)
{
	const am_conf *conf = c->conf;
	const am_signent *ents[16];
	const char *fromdom = strrchr(c->from_addr, '@') + 1;
	char dom[256], signer[600];
	size_t n, i, j;
	au_status st;

	if (conf->keytable != NULL) {
		n = am_signtab_lookup(&conf->signtab, c->from_addr,
		    conf->multiple_signatures, ents, 16);
		for (i = 0; i < n; i++)
			for (j = 0; j < ents[i]->nrefs; j++) {
				const am_signref *r = &ents[i]->refs[j];

				expand(dom, sizeof(dom), r->key->domain, fromdom);
				if (r->signer)
					expand(signer, sizeof(signer), r->signer,
					    fromdom);
				if ((st = add_signer(c, r->key, dom,
				    r->signer ? signer : NULL)) != AU_OK)
					return st;
			}
		return AU_OK;
	}
	for (i = 0; i < conf->domains.n; i++) {
		const char *d = conf->domains.v[i];

		if (strcasecmp(d, fromdom) == 0 ||
		    (conf->subdomains && in_domain(fromdom, d)))
			return add_signer(c, &conf->keys.keys[0], d, NULL);
	}
	return AU_OK;
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	am_conn *c = smfi_getpriv(ctx);
	au_status st;
	sfsistat r;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (!c->gated && (r = gate(ctx, c)) != SMFIS_CONTINUE)
		return r;
	if (c->failed)
		return internal_error(ctx, c);
	if (c->state == MSG_VERIFY) {
		if ((st = au_msg_eoh(c->msg)) != AU_OK) {
			fail(c, "au_msg_eoh", st);
			return internal_error(ctx, c);
		}
		return SMFIS_CONTINUE;
	}
	if (c->state != MSG_SIGN)
		return SMFIS_CONTINUE;
	if (c->nfrom != 1 || c->from_addr[0] == '\0') {
		if (c->conf->log_why)
			am_log(LOG_INFO, "%s: [%s] %s: not signed", queue_id(ctx),
			    c->ip, c->nfrom == 0 ? "no From field" :
			    c->nfrom > 1 ? "several From fields" :
			    "no address in From");
		msg_clear(c);
		return SMFIS_ACCEPT;
	}
	if ((st = start_signing(c)) != AU_OK) {
		fail(c, "signing", st);
		return internal_error(ctx, c);
	}
	/* the header copy is no longer needed */
	au_buf_free(&c->hdrs);
	c->nh = 0;
	if (c->nsigners == 0) {
		if (c->conf->log_why)
			am_log(LOG_INFO, "%s: [%s] no signing key for %s: not signed",
			    queue_id(ctx), c->ip, c->from_addr);
		msg_clear(c);
		return SMFIS_ACCEPT;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	am_conn *c = smfi_getpriv(ctx);
	sfsistat ok;
	au_status st;
	size_t i;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	ok = (c->nr & SMFIP_NR_BODY) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	if (c->failed)
		return ok;
	if (c->state == MSG_VERIFY) {
		if ((st = au_msg_body(c->msg, chunk, len)) != AU_OK)
			fail(c, "au_msg_body", st);
	} else if (c->state == MSG_SIGN) {
		for (i = 0; i < c->nsigners; i++)
			if ((st = au_dkim_signer_body(c->signers[i], chunk,
			    len)) != AU_OK) {
				fail(c, "au_dkim_signer_body", st);
				break;
			}
	}
	return ok;
}

static sfsistat
eom_sign(SMFICTX *ctx, am_conn *c)
{
	char line[LOGLINE], *field, *value;
	size_t i, n = 0;
	au_status st;

	/* insert in reverse so the first key's signature ends up on top */
	for (i = c->nsigners; i-- > 0;) {
		if ((st = au_dkim_signer_eom(c->signers[i], &field)) != AU_OK) {
			fail(c, "au_dkim_signer_eom", st);
			return internal_error(ctx, c);
		}
		value = strchr(field, ':');
		value = value ? milter_value(value + 1, c->leadspc) : NULL;
		free(field);
		if (value == NULL) {
			fail(c, "signature", AU_ENOMEM);
			return internal_error(ctx, c);
		}
		if (smfi_insheader(ctx, 0, "DKIM-Signature", value) != MI_SUCCESS) {
			free(value);
			fail(c, "smfi_insheader", AU_EIO);
			return internal_error(ctx, c);
		}
		free(value);
	}
	if (!am_log_active())
		return SMFIS_CONTINUE;
	n = (size_t)snprintf(line, sizeof(line), "%s: [%s] signed", queue_id(ctx),
	    c->ip);
	for (i = 0; i < c->nsigners && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s",
		    i ? "," : "", c->sigdesc[i]);
	if (n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " from=<%s> (%.1f ms)",
		    c->from_addr, elapsed_ms(c));
	am_log(LOG_INFO, "%s", line);
	return SMFIS_CONTINUE;
}

/* Would mail From addr be signed here (SigningTable or Domain)? */
static int
signed_here(const am_conf *conf, const char *addr)
{
	const am_signent *e;
	const char *at = strrchr(addr, '@');
	size_t i;

	if (at == NULL || !(conf->mode & AM_MODE_SIGN))
		return 0;
	if (conf->keytable != NULL)
		return am_signtab_lookup(&conf->signtab, addr, 0, &e, 1) > 0;
	for (i = 0; i < conf->domains.n; i++)
		if (strcasecmp(conf->domains.v[i], at + 1) == 0 ||
		    (conf->subdomains && in_domain(at + 1, conf->domains.v[i])))
			return 1;
	return 0;
}

/* Did DNS trouble stop (or make doubtful) a verdict that would be acted on? */
static int
verdict_temperror(const au_msg_results *r, int enforce)
{
	size_t i;

	if (r->dmarc == NULL)
		return 0;
	if (r->dmarc->result == AU_DMARC_TEMPERROR)
		return 1;
	if (r->dmarc->result != AU_DMARC_FAIL || !enforce)
		return 0;
	if (r->spf_mailfrom.result == AU_SPF_TEMPERROR)
		return 1;
	for (i = 0; i < r->ndkim; i++)
		if (r->dkim[i]->result == AU_DKIM_TEMPERROR)
			return 1;
	return 0;
}

/* One log line with every result. */
static void
log_verdict(SMFICTX *ctx, am_conn *c, const au_msg_results *r,
    const char *action)
{
	char line[LOGLINE];
	size_t n, i;

	if (!am_log_active())
		return;
	n = (size_t)snprintf(line, sizeof(line),
	    "%s: [%s] helo=%s mfrom=<%s> from=%s spf=%s", queue_id(ctx), c->ip,
	    c->helo ? c->helo : "", c->mfrom ? c->mfrom : "",
	    r->from_domain ? r->from_domain : "-",
	    au_spf_result_str(r->spf_mailfrom.result));
	if (r->ndkim == 0 && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, " dkim=none");
	for (i = 0; i < r->ndkim && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " dkim=%s(d=%s s=%s)",
		    au_dkim_result_str(r->dkim[i]->result),
		    r->dkim[i]->domain ? r->dkim[i]->domain : "?",
		    r->dkim[i]->selector ? r->dkim[i]->selector : "?");
	if (r->dmarc != NULL && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    " dmarc=%s(p=%s disposition=%s)",
		    au_dmarc_result_str(r->dmarc->result),
		    au_dmarc_policy_str(r->dmarc->policy),
		    au_dmarc_policy_str(r->dmarc->disposition));
	if (n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " action=%s (%.1f ms)", action,
		    elapsed_ms(c));
	am_log(LOG_INFO, "%s", line);
}

static sfsistat
eom_verify(SMFICTX *ctx, am_conn *c)
{
	const au_msg_results *r;
	const am_conf *conf = c->conf;
	char *ar = NULL, *value, text[512];
	const char *dom;
	int enforce_reject, enforce_hold;
	size_t i;
	au_status st;

	if ((st = au_msg_eom(c->msg)) != AU_OK) {
		fail(c, "au_msg_eom", st);
		return internal_error(ctx, c);
	}
	if ((r = au_msg_results_get(c->msg)) == NULL) {
		fail(c, "au_msg_results_get", AU_ESTATE);
		return internal_error(ctx, c);
	}
	dom = r->dmarc && r->dmarc->from_domain ? r->dmarc->from_domain :
	    r->from_domain ? r->from_domain : "the sender";
	/* OpenDKIM's notice, silenced by ExternalIgnoreList */
	if (c->from_addr[0] != '\0' && signed_here(conf, c->from_addr) &&
	    !am_hostlist_match(conf->extignore, c->have_addr ? &c->addr : NULL,
	    c->hostname))
		am_log(LOG_NOTICE, "%s: external host %s [%s] sent mail From %s, "
		    "which is signed here: verified, not signed (InternalHosts, "
		    "ExternalIgnoreList)", queue_id(ctx), c->hostname ?
		    c->hostname : "", c->ip, c->from_addr);
	enforce_reject = r->dmarc && r->dmarc->result == AU_DMARC_FAIL &&
	    r->dmarc->disposition == AU_DMARC_POLICY_REJECT &&
	    conf->reject_failures;
	enforce_hold = r->dmarc && r->dmarc->result == AU_DMARC_FAIL &&
	    r->dmarc->disposition == AU_DMARC_POLICY_QUARANTINE &&
	    conf->hold_quarantined;
	if (verdict_temperror(r, enforce_reject || enforce_hold) &&
	    conf->temperror_action == AM_TEMPERR_TEMPFAIL) {
		log_verdict(ctx, c, r, "tempfail");
		snprintf(text, sizeof(text), "Temporary DNS failure checking the "
		    "DMARC policy of %s; try again later", dom);
		return tempfail(ctx, c, "4.7.0", text);
	}
	if (enforce_reject) {
		char buf[512];

		log_verdict(ctx, c, r, "reject");
		snprintf(text, sizeof(text), "DMARC policy of %s rejects this "
		    "message: it is neither SPF- nor DKIM-aligned with the From "
		    "domain", dom);
		reply_text(buf, sizeof(buf), text);
		if (smfi_setreply(ctx, "550", "5.7.1", buf) != MI_SUCCESS)
			am_log(LOG_WARNING, "%s: could not set the SMTP reply",
			    queue_id(ctx));
		return SMFIS_REJECT;
	}
	/* remove forged fields that claim to be ours, highest index first */
	for (i = c->nours; i-- > 0;)
		if (smfi_chgheader(ctx, "Authentication-Results", (int)c->ours[i],
		    NULL) != MI_SUCCESS) {
			fail(c, "smfi_chgheader", AU_EIO);
			return internal_error(ctx, c);
		}
	if ((st = au_msg_ar_value(c->msg, &ar)) != AU_OK) {
		fail(c, "au_msg_ar_value", st);
		return internal_error(ctx, c);
	}
	value = milter_value(ar, c->leadspc);
	free(ar);
	if (value == NULL) {
		fail(c, "Authentication-Results", AU_ENOMEM);
		return internal_error(ctx, c);
	}
	if (smfi_insheader(ctx, 0, "Authentication-Results", value) != MI_SUCCESS) {
		free(value);
		fail(c, "smfi_insheader", AU_EIO);
		return internal_error(ctx, c);
	}
	free(value);
	if (enforce_hold) {
		if (!c->can_quarantine)
			am_log(LOG_WARNING, "%s: the MTA cannot quarantine: "
			    "DMARC quarantine not applied", queue_id(ctx));
		else {
			snprintf(text, sizeof(text), "DMARC policy of %s: quarantine",
			    dom);
			if (smfi_quarantine(ctx, text) != MI_SUCCESS) {
				fail(c, "smfi_quarantine", AU_EIO);
				return internal_error(ctx, c);
			}
		}
		log_verdict(ctx, c, r, "quarantine");
	} else
		log_verdict(ctx, c, r, "accept");
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	am_conn *c = smfi_getpriv(ctx);
	sfsistat r = SMFIS_CONTINUE;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (c->failed)
		r = internal_error(ctx, c);
	else if (c->state == MSG_SIGN)
		r = eom_sign(ctx, c);
	else if (c->state == MSG_VERIFY)
		r = eom_verify(ctx, c);
	msg_clear(c);
	return r;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	am_conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		msg_clear(c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	am_conn *c = smfi_getpriv(ctx);

	conn_free(c);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

struct smfiDesc am_filter = {
	"authmilter",
	SMFI_VERSION,
	SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
	cb_connect,
	cb_helo,
	cb_envfrom,
	cb_envrcpt,
	cb_header,
	cb_eoh,
	cb_body,
	cb_eom,
	cb_abort,
	cb_close,
	NULL,		/* unknown */
	cb_data,
	cb_negotiate
};
