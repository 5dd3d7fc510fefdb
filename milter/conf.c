/*
 * conf.c - reading authmilter.conf(5): one table of keys (name, type,
 * default, bounds) drives the parser, the defaults and the key list in
 * the documentation; then the tables, keys, DNS and DMARC handles the
 * values name are built (see conf.h).  Every problem is reported with
 * FILE:LINE, and reading goes on so that one run shows all of them.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "conf.h"
#include "log.h"

/* ------------------------------------------------------------ key table */

enum key_type {
	T_STR,		/* text, kept as written */
	T_BOOL,		/* yes/no/true/false/on/off/1/0 */
	T_UINT,		/* decimal, within [min, max] */
	T_OCTAL,	/* octal, within [min, max] */
	T_ENUM,		/* one of a list of words */
	T_FACILITY,	/* a syslog facility name */
	T_IGNORED	/* an OpenDKIM/OpenDMARC key we accept and ignore */
};

typedef struct enum_val {
	const char	*name;
	int		 value;
} enum_val;

typedef struct key_def {
	const char	*name;
	enum key_type	 type;
	size_t		 off;		/* offset in am_conf */
	const char	*def;		/* default, as text; NULL = unset */
	unsigned long	 min, max;
	const enum_val	*ev;		/* T_ENUM values, NULL-terminated */
	const char	*doc;		/* one line for --help keys */
} key_def;

static const enum_val mode_vals[] = {
	{ "s", AM_MODE_SIGN }, { "v", AM_MODE_VERIFY },
	{ "sv", AM_MODE_SIGN | AM_MODE_VERIFY },
	{ "vs", AM_MODE_SIGN | AM_MODE_VERIFY }, { NULL, 0 }
};
static const enum_val temperr_vals[] = {
	{ "tempfail", AM_TEMPERR_TEMPFAIL }, { "accept", AM_TEMPERR_ACCEPT },
	{ NULL, 0 }
};
static const enum_val dmarc_vals[] = {
	{ "rfc9989", AU_DMARC_RFC9989 }, { "rfc7489", AU_DMARC_RFC7489 },
	{ NULL, 0 }
};

#define O(f) offsetof(am_conf, f)

static const key_def keys[] = {
	{ "Socket", T_STR, O(socket), NULL, 0, 0, NULL,
	  "where to listen: inet:PORT@HOST, inet6:PORT@HOST, unix:/path (local:/path)" },
	{ "Mode", T_ENUM, O(mode), "sv", 0, 0, mode_vals,
	  "s sign, v verify, sv both" },
	{ "Domain", T_STR, O(domain), NULL, 0, 0, NULL,
	  "domains signed with KeyFile/Selector (list or file)" },
	{ "Selector", T_STR, O(selector), NULL, 0, 0, NULL,
	  "selector of KeyFile" },
	{ "KeyFile", T_STR, O(keyfile), NULL, 0, 0, NULL,
	  "private key for Domain (ignored with a KeyTable)" },
	{ "KeyTable", T_STR, O(keytable), NULL, 0, 0, NULL,
	  "file of \"name domain:selector:keyfile\"" },
	{ "SigningTable", T_STR, O(signingtable), NULL, 0, 0, NULL,
	  "file (or refile:) of \"pattern keyname[,keyname...]\"" },
	{ "MultipleSignatures", T_BOOL, O(multiple_signatures), "no", 0, 0, NULL,
	  "apply every matching SigningTable entry, not just the first" },
	{ "SubDomains", T_BOOL, O(subdomains), "no", 0, 0, NULL,
	  "sign subdomains of Domain too" },
	{ "InternalHosts", T_STR, O(internal_hosts), "127.0.0.1,::1", 0, 0, NULL,
	  "clients whose mail is signed, not verified (list or file)" },
	{ "ExternalIgnoreList", T_STR, O(external_ignore), NULL, 0, 0, NULL,
	  "external hosts sending as our domains without a notice being logged" },
	{ "PeerList", T_STR, O(peer_list), NULL, 0, 0, NULL,
	  "clients whose mail passes untouched (list or file)" },
	{ "Canonicalization", T_STR, O(canonicalization), "relaxed/relaxed", 0, 0,
	  NULL, "header/body canonicalization for signing" },
	{ "SignHeaders", T_STR, O(sign_headers), NULL, 0, 0, NULL,
	  "header fields to sign (default: RFC 6376 5.4.1 set)" },
	{ "OversignHeaders", T_STR, O(oversign_headers), NULL, 0, 0, NULL,
	  "header fields to over-sign (default: From)" },
	{ "RequireSafeKeys", T_BOOL, O(require_safe_keys), "yes", 0, 0, NULL,
	  "refuse key files that group or others may read or write" },
	{ "AuthservID", T_STR, O(authserv_id), "HOSTNAME", 0, 0, NULL,
	  "authserv-id of Authentication-Results (HOSTNAME = this host)" },
	{ "Nameservers", T_STR, O(nameservers), NULL, 0, 0, NULL,
	  "resolvers ADDR[:PORT] or ADDR@PORT, comma-separated (default resolv.conf)" },
	{ "DNSTimeout", T_UINT, O(dns_timeout), "5", 1, 300, NULL,
	  "seconds per DNS query try" },
	{ "DNSCacheSize", T_UINT, O(dns_cache), "10000", 0, 10000000, NULL,
	  "DNS answers kept in the shared cache (0 = no cache)" },
	{ "RejectFailures", T_BOOL, O(reject_failures), "no", 0, 0, NULL,
	  "refuse DMARC failures of p=reject domains with 550 5.7.1" },
	{ "HoldQuarantinedMessages", T_BOOL, O(hold_quarantined), NULL, 0, 0, NULL,
	  "hold (quarantine) DMARC failures of p=quarantine domains (default: as RejectFailures)" },
	{ "TemperrorAction", T_ENUM, O(temperror_action), "tempfail", 0, 0,
	  temperr_vals, "DNS trouble stopping a verdict: tempfail (451 4.7.0) or accept" },
	{ "On-DNSError", T_ENUM, O(temperror_action), NULL, 0, 0, temperr_vals,
	  "OpenDKIM name of TemperrorAction" },
	{ "UserID", T_STR, O(userid), NULL, 0, 0, NULL,
	  "user[:group] to run as after opening the socket and reading keys" },
	{ "PidFile", T_STR, O(pidfile), NULL, 0, 0, NULL,
	  "file to write the process id to" },
	{ "Syslog", T_BOOL, O(syslog), "yes", 0, 0, NULL,
	  "log to syslog (without -f)" },
	{ "SyslogFacility", T_FACILITY, O(syslog_facility), "mail", 0, 0, NULL,
	  "syslog facility" },
	{ "UMask", T_OCTAL, O(umask), "007", 0, 0777, NULL,
	  "umask for the UNIX socket and the PidFile" },
	{ "MaximumSignaturesToVerify", T_UINT, O(max_signatures), "10", 1,
	  AU_DMARC_MAX_DKIM, NULL, "DKIM signatures verified per message" },
	{ "DMARCMode", T_ENUM, O(dmarc_mode), "rfc9989", 0, 0, dmarc_vals,
	  "rfc9989 (DNS tree walk) or rfc7489 (Public Suffix List)" },
	{ "PublicSuffixList", T_STR, O(psl_file), NULL, 0, 0, NULL,
	  "PSL file for DMARCMode rfc7489 (default: the system list)" },
	{ "SignatureTTL", T_UINT, O(signature_ttl), "0", 0, 315360000UL, NULL,
	  "seconds until signatures expire (x=); 0 = never" },
	{ "ClockDrift", T_UINT, O(clock_drift), "300", 0, 86400, NULL,
	  "seconds of clock skew tolerated in t= when verifying" },
	{ "LogWhy", T_BOOL, O(log_why), "no", 0, 0, NULL,
	  "log why messages were not signed or verified" },
	{ "MilterDebug", T_UINT, O(milter_debug), "0", 0, 6, NULL,
	  "libmilter debug level" },
	{ "MilterTimeout", T_UINT, O(milter_timeout), "300", 1, 3600, NULL,
	  "seconds libmilter waits for the MTA" },
	{ "MaximumHeaders", T_UINT, O(max_header_bytes), "1048576", 4096,
	  67108864UL, NULL, "bytes of header kept per message for signing" },
	{ "TCPNoDelay", T_BOOL, O(tcp_nodelay), "yes", 0, 0, NULL,
	  "disable Nagle on inet sockets (avoids ~40 ms stalls per message)" },
	{ "MilterNoReply", T_BOOL, O(no_reply), "yes", 0, 0, NULL,
	  "ask the MTA not to wait for replies to headers and body chunks" },

	/* OpenDKIM / OpenDMARC keys that have no meaning here. */
	{ "AutoRestart", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "AutoRestartCount", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "AutoRestartRate", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "Background", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "BaseDirectory", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "SyslogSuccess", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "SignatureAlgorithm", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "TrustAnchorFile", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "SoftwareHeader", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "AlwaysAddARHeader", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "TrustedAuthservIDs", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "IgnoreAuthenticatedClients", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "SPFSelfValidate", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "SPFIgnoreResults", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "FailureReports", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "HistoryFile", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "QueryCache", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "MinimumKeyBits", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "RequiredHeaders", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
	{ "DNSConnect", T_IGNORED, 0, NULL, 0, 0, NULL, NULL },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

#undef O

void
am_conf_print_keys(FILE *fp)
{
	size_t i;
	static const char *tn[] = { "string", "boolean", "integer", "octal",
	    "word", "facility", "" };

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type == T_IGNORED || keys[i].doc == NULL)
			continue;
		fprintf(fp, "  %-26s %-8s %-16s %s\n", keys[i].name,
		    tn[keys[i].type], keys[i].def ? keys[i].def : "-",
		    keys[i].doc);
	}
}

static const key_def *
key_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcasecmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Edit distance, ASCII case-insensitive, for "did you mean" (bounded lengths). */
static unsigned
distance(const char *a, const char *b)
{
	unsigned row[64], prev, tmp, i, j, la = strlen(a), lb = strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) ? prev :
			    1 + (prev < row[j] ? (prev < row[j - 1] ? prev :
			    row[j - 1]) : (row[j] < row[j - 1] ? row[j] :
			    row[j - 1]));
			prev = tmp;
		}
	}
	return row[lb];
}

static const char *
closest_key(const char *name)
{
	const char *best = NULL;
	unsigned d, bestd = 99;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].doc == NULL)
			continue;
		d = distance(name, keys[i].name);
		if (d < bestd) {
			bestd = d;
			best = keys[i].name;
		}
	}
	/* a suggestion only when it is plausibly a typo */
	return bestd <= 2 || (best && bestd <= strlen(best) / 3) ? best : NULL;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1", "y", "t" };
	static const char *no[] = { "no", "false", "off", "0", "n", "f" };
	size_t i;

	for (i = 0; i < 6; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/*
 * Store value v for key k in c.  Returns 0, or -1 after reporting why the
 * value is wrong, or -2 on ENOMEM.
 */
static int
set_value(am_conf *c, const key_def *k, const char *v, const char *where,
    am_problems *pr)
{
	char *p = (char *)c + k->off, *end, *dup;
	unsigned long n;
	size_t i;
	int b;

	switch (k->type) {
	case T_STR:
		if ((dup = strdup(v)) == NULL)
			return -2;
		free(*(char **)p);
		*(char **)p = dup;
		return 0;
	case T_BOOL:
		if (parse_bool(v, &b) < 0) {
			am_problem(pr, 1, where,
			    "%s: '%s' is not a boolean (yes, no, true, false, 1, 0)",
			    k->name, v);
			return -1;
		}
		*(int *)p = b;
		return 0;
	case T_UINT:
	case T_OCTAL:
		errno = 0;
		n = strtoul(v, &end, k->type == T_OCTAL ? 8 : 10);
		if (!isdigit((unsigned char)*v) || *end != '\0' || errno ||
		    n < k->min || n > k->max) {
			am_problem(pr, 1, where,
			    k->type == T_OCTAL ? "%s: '%s' is not an octal number "
			    "from %lo to %lo" : "%s: '%s' is not a number from %lu "
			    "to %lu", k->name, v, k->min, k->max);
			return -1;
		}
		*(unsigned *)p = (unsigned)n;
		return 0;
	case T_ENUM:
		for (i = 0; k->ev[i].name != NULL; i++)
			if (strcasecmp(v, k->ev[i].name) == 0) {
				*(int *)p = k->ev[i].value;
				return 0;
			}
		{
			char list[256] = "";

			for (i = 0; k->ev[i].name != NULL; i++) {
				if (i)
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
				strncat(list, k->ev[i].name, sizeof(list) - strlen(list) - 1);
			}
			am_problem(pr, 1, where, "%s: '%s' is not one of %s",
			    k->name, v, list);
		}
		return -1;
	case T_FACILITY:
		if ((b = am_log_facility(v)) < 0) {
			am_problem(pr, 1, where,
			    "%s: '%s' is not a syslog facility (mail, daemon, "
			    "local0-local7, ...)", k->name, v);
			return -1;
		}
		*(int *)p = b;
		return 0;
	case T_IGNORED:
		am_problem(pr, 0, where,
		    "%s is an OpenDKIM/OpenDMARC setting that authmilter does not "
		    "use; ignored", k->name);
		return 0;
	}
	return -1;
}

/* Read the Key value lines of path into c. */
static int
read_file(am_conf *c, const char *path, unsigned long *setat, am_problems *pr)
{
	char line[AM_MAX_LINE + 2], where[PATH_MAX + 32], *s, *key, *val, *e;
	const key_def *k;
	unsigned long lineno = 0;
	int toolong = 0, r;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		am_problem(pr, 1, NULL, "cannot open configuration file %s: %s",
		    path, strerror(errno));
		return 0;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);

		if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
			if (!toolong) {
				snprintf(where, sizeof(where), "%s:%lu", path, ++lineno);
				am_problem(pr, 1, where, "line longer than %d bytes",
				    AM_MAX_LINE);
			}
			toolong = 1;
			continue;
		}
		if (toolong) {
			toolong = 0;
			continue;
		}
		lineno++;
		snprintf(where, sizeof(where), "%s:%lu", path, lineno);
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*s == '\0')
			continue;
		key = s;
		val = s + strcspn(s, " \t");
		if (*val != '\0') {
			*val++ = '\0';
			while (*val == ' ' || *val == '\t')
				val++;
		}
		if ((k = key_find(key)) == NULL) {
			const char *near = closest_key(key);

			if (near)
				am_problem(pr, 1, where,
				    "unknown key '%s' (did you mean %s?)", key, near);
			else
				am_problem(pr, 1, where, "unknown key '%s'", key);
			continue;
		}
		if (*val == '\0' && k->type != T_IGNORED) {
			am_problem(pr, 1, where, "%s needs a value", k->name);
			continue;
		}
		if (k->type != T_IGNORED) {
			size_t idx = (size_t)(k - keys);

			if (setat[idx] != 0)
				am_problem(pr, 0, where,
				    "%s set again (first at line %lu); this one applies",
				    k->name, setat[idx]);
			setat[idx] = lineno;
		}
		if ((r = set_value(c, k, val, where, pr)) == -2) {
			fclose(fp);
			return -1;
		}
	}
	fclose(fp);
	return 0;
}

/* ------------------------------------------------------ derived values */

static int
parse_canon(const char *s, au_dkim_canon *out)
{
	if (strcasecmp(s, "relaxed") == 0)
		*out = AU_DKIM_CANON_RELAXED;
	else if (strcasecmp(s, "simple") == 0)
		*out = AU_DKIM_CANON_SIMPLE;
	else
		return -1;
	return 0;
}

static void
derive_canon(am_conf *c, am_problems *pr)
{
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", c->canonicalization);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	/* RFC 6376 3.5: a lone algorithm is the header one, body simple */
	c->bcanon = AU_DKIM_CANON_SIMPLE;
	if (parse_canon(buf, &c->hcanon) < 0 ||
	    (slash != NULL && parse_canon(slash, &c->bcanon) < 0))
		am_problem(pr, 1, "Canonicalization",
		    "'%s' is not header/body with relaxed or simple",
		    c->canonicalization);
}

/* A header field name list (SignHeaders, ...) as the colon list au_dkim wants. */
static int
derive_hlist(const char *spec, const char *what, char **out, am_problems *pr)
{
	am_strlist l = { NULL, 0 };
	size_t i, len = 0;
	const char *p;
	char *s;

	*out = NULL;
	if (spec == NULL)
		return 0;
	if (am_strlist_parse(&l, spec, what, pr) < 0) {
		am_strlist_clear(&l);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		for (p = l.v[i]; *p; p++)
			if (*p <= ' ' || *p >= 127 || *p == ':') {
				am_problem(pr, 1, what,
				    "'%s' is not a header field name", l.v[i]);
				break;
			}
		len += strlen(l.v[i]) + 1;
	}
	if ((s = calloc(1, len + 1)) == NULL) {
		am_strlist_clear(&l);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		if (i)
			strcat(s, ":");
		strcat(s, l.v[i]);
	}
	am_strlist_clear(&l);
	*out = s;
	return 0;
}

static void
check_user(const char *spec, am_problems *pr)
{
	char buf[256], *colon;

	snprintf(buf, sizeof(buf), "%s", spec);
	if ((colon = strchr(buf, ':')) != NULL)
		*colon++ = '\0';
	if (getpwnam(buf) == NULL)
		am_problem(pr, 1, "UserID", "no such user '%s'", buf);
	if (colon != NULL && getgrnam(colon) == NULL)
		am_problem(pr, 1, "UserID", "no such group '%s'", colon);
}

/* The shared DNS handle: reuse the old one when nothing changed. */
static am_dnsref *
dns_get(const am_conf *c, const am_conf *old, am_problems *pr)
{
	const char *servers = c->nameservers ? c->nameservers : "";
	const char *sv[16];
	char *copy, *item, *save, err[256];
	am_dnsref *d;
	au_dns_opts o;
	size_t n = 0;

	if (old != NULL && old->dns != NULL &&
	    strcmp(old->dns->servers, servers) == 0 &&
	    old->dns->timeout == c->dns_timeout &&
	    old->dns->cache == c->dns_cache) {
		atomic_fetch_add(&old->dns->refs, 1);
		return old->dns;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((d->servers = strdup(servers)) == NULL || (copy = strdup(servers)) == NULL) {
		free(d->servers);
		free(d);
		return NULL;
	}
	for (item = strtok_r(copy, ", \t", &save); item != NULL;
	    item = strtok_r(NULL, ", \t", &save)) {
		if (n == 16) {
			am_problem(pr, 1, "Nameservers", "more than 16 servers");
			break;
		}
		sv[n++] = item;
	}
	memset(&o, 0, sizeof(o));
	o.servers = n ? sv : NULL;
	o.nservers = n;
	o.timeout = c->dns_timeout;
	o.tries = 2;
	o.cache_entries = c->dns_cache;
	err[0] = '\0';
	if (au_dns_new_network(&d->dns, &o, err, sizeof(err)) != AU_OK) {
		am_problem(pr, 1, "Nameservers", "%s",
		    err[0] ? err : "cannot set up DNS");
		d->dns = NULL;
	}
	/* parsed public keys live as long as the DNS answers they came from */
	if (c->dns_cache > 0 &&
	    au_dkim_keycache_new(&d->keycache, c->dns_cache) != AU_OK) {
		au_dns_free(d->dns);
		free(copy);
		free(d->servers);
		free(d);
		return NULL;
	}
	free(copy);
	d->timeout = c->dns_timeout;
	d->cache = c->dns_cache;
	atomic_init(&d->refs, 1);
	return d;
}

static void
dns_put(am_dnsref *d)
{
	if (d == NULL || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	au_dkim_keycache_free(d->keycache);
	au_dns_free(d->dns);
	free(d->servers);
	free(d);
}

/* Build keys, tables, lists and handles from the values. */
static int
derive(am_conf *c, const am_conf *old, const unsigned long *setat,
    am_problems *pr)
{
	char err[256];
	au_dmarc_opts dopts;
	size_t i;

	if (c->socket == NULL)
		am_problem(pr, 1, "Socket",
		    "not set: give Socket in the file or -p on the command line");
	else if (am_socket_check(c->socket, err, sizeof(err)) < 0)
		am_problem(pr, 1, "Socket", "%s", err);
	derive_canon(c, pr);
	if (derive_hlist(c->sign_headers, "SignHeaders", &c->h_list, pr) < 0 ||
	    derive_hlist(c->oversign_headers, "OversignHeaders",
	    &c->oversign_list, pr) < 0)
		return -1;
	if (gethostname(c->hostname, sizeof(c->hostname) - 1) != 0)
		snprintf(c->hostname, sizeof(c->hostname), "localhost");
	if (strcasecmp(c->authserv_id, "HOSTNAME") == 0) {
		free(c->authserv_id);
		if ((c->authserv_id = strdup(c->hostname)) == NULL)
			return -1;
	}
	for (i = 0; c->authserv_id[i]; i++)
		if ((unsigned char)c->authserv_id[i] <= ' ' ||
		    strchr(";()\"\\", c->authserv_id[i]) != NULL ||
		    (unsigned char)c->authserv_id[i] >= 127) {
			am_problem(pr, 1, "AuthservID",
			    "'%s' must be a plain token such as a host name",
			    c->authserv_id);
			break;
		}
	if (c->hold_quarantined < 0)
		c->hold_quarantined = c->reject_failures;
	if (c->userid != NULL)
		check_user(c->userid, pr);
	if (c->pidfile != NULL && c->pidfile[0] != '/')
		am_problem(pr, 1, "PidFile", "'%s' must be an absolute path",
		    c->pidfile);

	/* hosts */
	if ((c->internal = am_hostlist_parse(c->internal_hosts, "InternalHosts",
	    pr)) == NULL ||
	    (c->peers = am_hostlist_parse(c->peer_list, "PeerList", pr)) == NULL ||
	    (c->extignore = am_hostlist_parse(c->external_ignore,
	    "ExternalIgnoreList", pr)) == NULL)
		return -1;

	/* signing keys */
	if (c->keytable != NULL) {
		if (c->keyfile != NULL)
			am_problem(pr, 0, "KeyFile", "ignored: KeyTable is set");
		if (am_keytable_load(&c->keys, c->keytable, c->require_safe_keys,
		    pr) < 0)
			return -1;
		if (c->signingtable == NULL)
			am_problem(pr, 1, "KeyTable",
			    "set without a SigningTable, so no key would be used");
		else if (am_signtab_load(&c->signtab, c->signingtable, &c->keys,
		    pr) < 0)
			return -1;
		else
			for (i = 0; i < c->keys.n; i++)
				if (!c->keys.keys[i].used)
					am_problem(pr, 0, c->keys.keys[i].where,
					    "key '%s' is never used by the SigningTable",
					    c->keys.keys[i].name);
	} else if (c->signingtable != NULL) {
		am_problem(pr, 1, "SigningTable", "set without a KeyTable");
	} else if (c->keyfile != NULL || c->domain != NULL || c->selector != NULL) {
		if (c->keyfile == NULL || c->domain == NULL || c->selector == NULL)
			am_problem(pr, 1, "KeyFile",
			    "Domain, Selector and KeyFile must be set together");
		else {
			if (am_strlist_parse(&c->domains, c->domain, "Domain", pr) < 0 ||
			    am_keytable_add_single(&c->keys, c->selector, c->keyfile,
			    c->require_safe_keys, pr) < 0)
				return -1;
			for (i = 0; i < c->domains.n; i++) {
				char *d = c->domains.v[i];

				for (; *d; d++)
					*d = (char)tolower((unsigned char)*d);
			}
		}
	}
	if ((c->mode & AM_MODE_SIGN) && c->keys.n == 0 &&
	    setat[key_find("Mode") - keys] != 0)
		am_problem(pr, 0, "Mode",
		    "includes s (sign) but no key is configured (KeyFile or KeyTable)");

	/* DNS and DMARC */
	if ((c->dns = dns_get(c, old, pr)) == NULL)
		return -1;
	if (c->dns->dns != NULL) {
		memset(&dopts, 0, sizeof(dopts));
		dopts.mode = (au_dmarc_mode)c->dmarc_mode;
		dopts.psl_file = c->psl_file;
		err[0] = '\0';
		if (au_dmarc_new(&c->dmarc, c->dns->dns, &dopts, err,
		    sizeof(err)) != AU_OK) {
			am_problem(pr, 1, "DMARCMode", "%s",
			    err[0] ? err : "cannot set up DMARC");
			c->dmarc = NULL;
		}
	}
	memset(&c->msgopts, 0, sizeof(c->msgopts));
	c->msgopts.authserv_id = c->authserv_id;
	c->msgopts.dmarc_mode = (au_dmarc_mode)c->dmarc_mode;
	c->msgopts.dkim.max_signatures = c->max_signatures;
	c->msgopts.dkim.clock_skew = c->clock_drift;
	c->msgopts.dkim.keycache = c->dns->keycache;
	c->msgopts.receiver = c->hostname;
	c->msgopts.dmarc = c->dmarc;
	return 0;
}

/* ------------------------------------------------------ load and free */

static void
conf_free(am_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == T_STR)
			free(*(char **)((char *)c + keys[i].off));
	free(c->path);
	free(c->h_list);
	free(c->oversign_list);
	am_hostlist_free(c->internal);
	am_hostlist_free(c->peers);
	am_hostlist_free(c->extignore);
	am_strlist_clear(&c->domains);
	am_signtab_clear(&c->signtab);
	am_keytable_clear(&c->keys);
	au_dmarc_free(c->dmarc);	/* before the DNS handle it borrows */
	dns_put(c->dns);
	free(c);
}

am_conf *
am_conf_load(const char *path, const char *socket_override,
    const am_conf *reuse_dns, int keep_broken, am_problems *pr)
{
	unsigned long setat[NKEYS];
	unsigned nerr0 = pr->nerr;
	am_problems quiet = { 0, 0, 0, 1 };
	am_conf *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	atomic_init(&c->refs, 1);
	c->hold_quarantined = -1;
	memset(setat, 0, sizeof(setat));
	/* defaults go through the same parser as the file */
	for (i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL &&
		    set_value(c, &keys[i], keys[i].def, "default", &quiet) == -2)
			goto nomem;
	if ((c->path = strdup(path)) == NULL ||
	    read_file(c, path, setat, pr) < 0)
		goto nomem;
	if (socket_override != NULL) {
		free(c->socket);
		if ((c->socket = strdup(socket_override)) == NULL)
			goto nomem;
	}
	if (derive(c, reuse_dns, setat, pr) < 0)
		goto nomem;
	if (pr->nerr > nerr0 && !keep_broken) {
		conf_free(c);
		return NULL;
	}
	return c;
nomem:
	am_problem(pr, 1, path, "out of memory");
	conf_free(c);
	return NULL;
}

/* ------------------------------------------- the current configuration */

static pthread_mutex_t	 cur_lock = PTHREAD_MUTEX_INITIALIZER;
static am_conf		*cur;
static atomic_ulong	 cur_gen;

am_conf *
am_conf_ref(am_conf *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
am_conf_unref(am_conf *c)
{
	if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1)
		conf_free(c);
}

/*
 * The mutex only covers reading the pointer and taking a reference (a
 * connection does this once, or when the generation changed): the
 * per-message and per-chunk paths never touch it.
 */
am_conf *
am_conf_current(void)
{
	am_conf *c;

	pthread_mutex_lock(&cur_lock);
	c = cur ? am_conf_ref(cur) : NULL;
	pthread_mutex_unlock(&cur_lock);
	return c;
}

unsigned long
am_conf_generation(void)
{
	return atomic_load_explicit(&cur_gen, memory_order_acquire);
}

void
am_conf_install(am_conf *c)
{
	am_conf *old;

	pthread_mutex_lock(&cur_lock);
	old = cur;
	c->generation = atomic_load(&cur_gen) + 1;
	cur = c;
	atomic_store_explicit(&cur_gen, c->generation, memory_order_release);
	pthread_mutex_unlock(&cur_lock);
	am_conf_unref(old);
}

void
am_conf_shutdown(void)
{
	am_conf *old;

	pthread_mutex_lock(&cur_lock);
	old = cur;
	cur = NULL;
	pthread_mutex_unlock(&cur_lock);
	am_conf_unref(old);
}
