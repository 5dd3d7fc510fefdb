/*
 * cmd_spf_lint.c - "authtool spf record" and "authtool spf lint".
 *
 * record: builds "v=spf1 ..." from flags, checks every term with the
 * library's parser (RFC 7208 section 12), orders the terms so the cheap
 * ones come first, and reports the DNS-lookup cost (section 4.6.4).
 *
 * lint: fetches a domain's record and walks its include/redirect tree over
 * DNS, reporting one finding per line with a severity: record selection
 * (3.2, 4.5), syntax, the 10-lookup and 2-void limits with the cost of each
 * include (4.6.4), more than 10 MX names, ptr and %{p} (5.5), +all / ?all,
 * unreachable includes and redirects (5.2, 6.1), answers too big for one
 * 512-byte UDP message (3.4), exp= targets that give no explanation (6.2).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "au_buf.h"
#include "au_ip.h"
#include "au_spf.h"
#include "cmd_spf.h"

#define LINT_MAX_DOMAINS	64	/* distinct records we fetch */
#define LINT_MAX_DEPTH		12	/* include/redirect nesting we follow */
#define LINT_LOOP		1000	/* the cost of a loop: unbounded */

static int
is_dns_term(au_spf_term_kind k)
{
	return k == AU_SPF_INCLUDE || k == AU_SPF_A || k == AU_SPF_MX ||
	    k == AU_SPF_PTR || k == AU_SPF_EXISTS || k == AU_SPF_REDIRECT;
}

/* ---------------------------------------------------------------- record */

/* Term groups in output order: cheap and specific first. */
enum { G_IP4, G_IP6, G_A, G_MX, G_PTR, G_EXISTS, G_INCLUDE, G_NGROUPS };

typedef struct rterm {
	int	 group;
	size_t	 seq;		/* command-line order within a group */
	char	*text;
} rterm;

typedef struct rbuild {
	rterm	*terms;
	size_t	 n, cap;
	json_t	*warnings;
} rbuild;

static void
warn(rbuild *rb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
warn(rbuild *rb, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_array_append_new(rb->warnings, json_string(msg));
}

/*
 * Check one term with the parser; on success keep it.  Returns 0, or a
 * usage exit code after a message.
 */
static int
add_term(const tool_cmd *cmd, rbuild *rb, int group, const char *opt,
    const char *prefix, const char *value)
{
	char text[1100], rec[1200], err[300];
	const char *sep = ":";
	au_spf_record *r;
	au_status st;
	rterm *nt;

	if (value && value[0] == '\0')
		return tool_usage(cmd, "--%s needs a non-empty value", opt);
	if (value && strlen(value) > 1000)
		return tool_usage(cmd, "--%s value is too long", opt);
	/* "a" "a:D" "a/24" "redirect=D" */
	if (value == NULL || value[0] == '/' || prefix[strlen(prefix) - 1] == '=')
		sep = "";
	snprintf(text, sizeof text, "%s%s%s", prefix, sep, value ? value : "");
	snprintf(rec, sizeof rec, "v=spf1 %s", text);
	st = au_spf_record_parse(rec, strlen(rec), &r, err, sizeof err);
	if (st != AU_OK)
		return tool_usage(cmd, "--%s %s: %s", opt, value ? value : "", err);
	au_spf_record_free(r);
	if (rb->n == rb->cap) {
		size_t ncap = rb->cap ? rb->cap * 2 : 16;

		if ((nt = realloc(rb->terms, ncap * sizeof *nt)) == NULL) {
			tool_err("spf record", "out of memory");
			return TOOL_EXIT_TEMPERROR;
		}
		rb->terms = nt;
		rb->cap = ncap;
	}
	if ((rb->terms[rb->n].text = strdup(text)) == NULL) {
		tool_err("spf record", "out of memory");
		return TOOL_EXIT_TEMPERROR;
	}
	rb->terms[rb->n].seq = rb->n;
	rb->terms[rb->n++].group = group;
	return 0;
}

/* Warn about host bits set below the prefix (ip4:192.0.2.1/24). */
static void
check_network(rbuild *rb, const char *value, int v6)
{
	const char *slash = strchr(value, '/');
	au_ip ip, net;
	unsigned prefix;

	if (slash == NULL)
		return;
	prefix = (unsigned)atoi(slash + 1);
	if (au_ip_parse(value, (size_t)(slash - value), &ip) != AU_OK)
		return;
	net = ip;
	/* Clear the host bits and compare. */
	{
		unsigned width = v6 ? 128 : 32, b;

		for (b = prefix; b < width; b++)
			net.bytes[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
	}
	if (memcmp(net.bytes, ip.bytes, sizeof ip.bytes) != 0) {
		char txt[AU_IP_TEXTLEN];

		warn(rb, "%s has bits set below the /%u prefix; the network is %s/%u",
		    value, prefix, au_ip_format(&net, txt, sizeof txt), prefix);
	}
}

static int
cmp_group(const void *a, const void *b)
{
	const rterm *x = a, *y = b;

	if (x->group != y->group)
		return x->group - y->group;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A master-file line for domain, the record split into 255-byte strings. */
static char *
zone_line(const char *domain, const char *record)
{
	au_buf b = AU_BUF_INIT(0);
	size_t len = strlen(record), i;
	char *out = NULL;

	au_buf_printf(&b, "%s%s IN TXT", domain,
	    domain[strlen(domain) - 1] == '.' ? "" : ".");
	if (len > 255)
		au_buf_puts(&b, " (");
	/* Cut after a space where possible, so no term is split. */
	for (i = 0; i < len; ) {
		size_t n = len - i, k;

		if (n > 255) {
			n = 255;
			for (k = 255; k > 1; k--)
				if (record[i + k - 1] == ' ') {
					n = k;
					break;
				}
		}
		au_buf_printf(&b, " \"%.*s\"", (int)n, record + i);
		i += n;
	}
	if (len > 255)
		au_buf_puts(&b, " )");
	if (au_buf_detach(&b, &out) != AU_OK)
		out = NULL;
	au_buf_free(&b);
	return out;
}

int
spf_run_record(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ip4",	required_argument, NULL, '4' },
		{ "ip6",	required_argument, NULL, '6' },
		{ "a",		optional_argument, NULL, 'a' },
		{ "mx",		optional_argument, NULL, 'm' },
		{ "ptr",	optional_argument, NULL, 'p' },
		{ "exists",	required_argument, NULL, 'e' },
		{ "include",	required_argument, NULL, 'i' },
		{ "all",	required_argument, NULL, 'A' },
		{ "redirect",	required_argument, NULL, 'r' },
		{ "exp",	required_argument, NULL, 'x' },
		{ "domain",	required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = tool_find_cmd(tool_cmds_spf, "record");
	const char *all = NULL, *redirect = NULL, *exp = NULL, *domain = NULL;
	const char *val;
	char allq = 0;
	rbuild rb;
	au_buf rec = AU_BUF_INIT(0);
	au_spf_record *parsed = NULL;
	char err[300], *line = NULL;
	int o, rc = 0, lookups = 0, nincl = 0;
	size_t i;

	memset(&rb, 0, sizeof rb);
	rb.warnings = json_array();
	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
		val = optarg;
		/* --a / --mx / --ptr take an optional value, also as the next word. */
		if ((o == 'a' || o == 'm' || o == 'p') && val == NULL &&
		    optind < argc && argv[optind][0] != '-')
			val = argv[optind++];
		switch (o) {
		case '4':
			if ((rc = add_term(cmd, &rb, G_IP4, "ip4", "ip4", val)) == 0)
				check_network(&rb, val, 0);
			break;
		case '6':
			if ((rc = add_term(cmd, &rb, G_IP6, "ip6", "ip6", val)) == 0)
				check_network(&rb, val, 1);
			break;
		case 'a':
			rc = add_term(cmd, &rb, G_A, "a", "a", val);
			break;
		case 'm':
			rc = add_term(cmd, &rb, G_MX, "mx", "mx", val);
			break;
		case 'p':
			if ((rc = add_term(cmd, &rb, G_PTR, "ptr", "ptr", val)) == 0)
				warn(&rb, "ptr is slow and unreliable; RFC 7208 5.5 says not to publish it");
			break;
		case 'e':
			rc = add_term(cmd, &rb, G_EXISTS, "exists", "exists", val);
			break;
		case 'i':
			rc = add_term(cmd, &rb, G_INCLUDE, "include", "include", val);
			break;
		case 'A':
			if (all)
				rc = tool_usage(cmd, "--all given twice");
			else if (strcmp(val, "fail") == 0 || strcmp(val, "-") == 0)
				allq = '-';
			else if (strcmp(val, "softfail") == 0 || strcmp(val, "~") == 0)
				allq = '~';
			else if (strcmp(val, "neutral") == 0 || strcmp(val, "?") == 0)
				allq = '?';
			else if (strcmp(val, "pass") == 0 || strcmp(val, "+") == 0)
				allq = '+';
			else
				rc = tool_usage(cmd, "--all wants fail, softfail, neutral or pass, not '%s'", val);
			all = val;
			break;
		case 'r':
			if (redirect)
				rc = tool_usage(cmd, "--redirect given twice (RFC 7208 6: at most one)");
			else if ((rc = add_term(cmd, &rb, G_NGROUPS, "redirect", "redirect=", val)) == 0)
				redirect = val;
			break;
		case 'x':
			if (exp)
				rc = tool_usage(cmd, "--exp given twice (RFC 7208 6: at most one)");
			else if ((rc = add_term(cmd, &rb, G_NGROUPS + 1, "exp", "exp=", val)) == 0)
				exp = val;
			break;
		case 'd':
			domain = val;
			break;
		default:
			rc = tool_opt_error(cmd, o, argv);
			break;
		}
		if (rc)
			goto out;
	}
	if (optind < argc) {
		rc = tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (all && redirect) {
		rc = tool_usage(cmd, "--redirect is ignored when the record has an 'all' mechanism (RFC 7208 6.1): give one of --all and --redirect");
		goto out;
	}
	if (rb.n == 0 && !all) {
		rc = tool_usage(cmd, "give at least one mechanism (--ip4, --ip6, --a, --mx, --include, ...) or --all");
		goto out;
	}
	if (domain && (domain[0] == '\0' || strlen(domain) > 253 ||
	    strpbrk(domain, " \t\"\\;()") != NULL)) {
		rc = tool_usage(cmd, "--domain '%s' is not a domain name", domain);
		goto out;
	}
	if (rb.n > 1)
		qsort(rb.terms, rb.n, sizeof *rb.terms, cmp_group);
	au_buf_puts(&rec, "v=spf1");
	for (i = 0; i < rb.n; i++) {
		if (rb.terms[i].group >= G_NGROUPS)
			continue;
		au_buf_printf(&rec, " %s", rb.terms[i].text);
	}
	if (!redirect) {
		if (!all) {
			allq = '~';
			warn(&rb, "no --all or --redirect given: ending with ~all (softfail); use --all fail once every sender is listed");
		}
		au_buf_printf(&rec, " %sall", allq == '+' ? "+" : allq == '-' ? "-" :
		    allq == '?' ? "?" : "~");
		if (allq == '+')
			warn(&rb, "+all lets every host on the Internet pass: the record protects nothing");
		else if (allq == '?')
			warn(&rb, "?all (neutral) asserts nothing about other hosts");
	}
	for (i = 0; i < rb.n; i++)
		if (rb.terms[i].group >= G_NGROUPS)
			au_buf_printf(&rec, " %s", rb.terms[i].text);
	/* The whole record must parse, and its cost is what check_host counts. */
	if (au_spf_record_parse(rec.data, rec.len, &parsed, err, sizeof err) != AU_OK) {
		rc = tool_usage(cmd, "the record does not parse: %s", err);
		goto out;
	}
	for (i = 0; i < au_spf_record_count(parsed); i++) {
		const au_spf_term *t = au_spf_record_term(parsed, i);

		if (is_dns_term(t->kind))
			lookups++;
		if (t->kind == AU_SPF_INCLUDE || t->kind == AU_SPF_REDIRECT)
			nincl++;
	}
	au_spf_record_free(parsed);
	if (lookups > AU_SPF_MAX_DNS_MECHS)
		warn(&rb, "%d DNS-querying terms, more than the limit of %d (RFC 7208 4.6.4): every check that gets that far ends in permerror",
		    lookups, AU_SPF_MAX_DNS_MECHS);
	else if (nincl && lookups == AU_SPF_MAX_DNS_MECHS)
		warn(&rb, "%d DNS-querying terms already; any lookup inside an included record exceeds the limit of %d",
		    lookups, AU_SPF_MAX_DNS_MECHS);
	if (rec.len > 450)
		warn(&rb, "the record is %zu bytes; over about 450 the DNS answer may not fit a 512-byte UDP message (RFC 7208 3.4)",
		    rec.len);
	if (domain && (line = zone_line(domain, rec.data)) == NULL) {
		tool_err("spf record", "out of memory");
		rc = TOOL_EXIT_TEMPERROR;
		goto out;
	}
	if (ctx->json) {
		json_t *j = json_object();

		json_object_set_new(j, "record", json_string(rec.data));
		json_object_set_new(j, "length", json_integer((json_int_t)rec.len));
		json_object_set_new(j, "dns_lookups", json_integer(lookups));
		json_object_set_new(j, "dns_lookups_limit", json_integer(AU_SPF_MAX_DNS_MECHS));
		json_object_set_new(j, "includes", json_integer(nincl));
		if (line)
			json_object_set_new(j, "zone", json_string(line));
		json_object_set(j, "warnings", rb.warnings);
		tool_json_print(j);
	} else {
		printf("%s\n", line ? line : rec.data);
		fprintf(stderr, "dns lookups: %d of %d%s\n", lookups, AU_SPF_MAX_DNS_MECHS,
		    nincl ? " (plus those inside the included records; see 'authtool spf lint')" : "");
		for (i = 0; i < json_array_size(rb.warnings); i++)
			fprintf(stderr, "warning: %s\n",
			    json_string_value(json_array_get(rb.warnings, i)));
	}
	rc = TOOL_EXIT_PASS;
out:
	for (i = 0; i < rb.n; i++)
		free(rb.terms[i].text);
	free(rb.terms);
	free(line);
	json_decref(rb.warnings);
	au_buf_free(&rec);
	return rc;
}

const char spf_record_help[] =
"Builds a ready-to-publish SPF record (RFC 7208) from flags.  Every value is\n"
"checked with the same parser check_host() uses.  Flags may be repeated; the\n"
"terms come out in a fixed order, cheapest first: ip4, ip6, a, mx, ptr,\n"
"exists, include, then all (or redirect=), then exp=.\n"
"\n"
"Options:\n"
"  --ip4 NET[/N]        an IPv4 address or network (ip4:192.0.2.0/24)\n"
"  --ip6 NET[/N]        an IPv6 address or network (ip6:2001:db8::/32)\n"
"  --a [DOMAIN][/N][//M]   hosts with the address records of DOMAIN (default:\n"
"                       the domain itself); also --a=DOMAIN\n"
"  --mx [DOMAIN][/N][//M]  the MX hosts of DOMAIN (default: the domain itself)\n"
"  --ptr [DOMAIN]       reverse DNS within DOMAIN (discouraged, RFC 7208 5.5)\n"
"  --exists DOMAIN      match when DOMAIN (usually with macros) has an A record\n"
"  --include DOMAIN     match when DOMAIN's own SPF record passes\n"
"  --all RESULT         what all other hosts get: fail, softfail, neutral or\n"
"                       pass (also - ~ ? +).  Default: softfail (~all)\n"
"  --redirect DOMAIN    use DOMAIN's record when nothing matched (instead of\n"
"                       --all; the two cannot be combined)\n"
"  --exp DOMAIN         where the explanation for fail is published\n"
"  --domain NAME        print a master-file line \"NAME. IN TXT ...\" (split\n"
"                       into 255-byte strings) instead of the bare record\n"
"\n"
"Output: the record (or the master-file line) on stdout; on stderr the\n"
"number of DNS-querying terms (include a mx ptr exists redirect) against\n"
"the limit of 10 and warnings (over the limit, +all, ptr, host bits set,\n"
"too long for a 512-byte UDP answer).  With --json: {\"record\", \"length\",\n"
"\"dns_lookups\", \"dns_lookups_limit\", \"includes\", \"zone\" (with --domain),\n"
"\"warnings\": [...]}.  The lookups inside included records are not known\n"
"without DNS: 'authtool spf lint' counts them.\n"
"\n"
"Exit status: 0 record printed; 64 usage error or invalid value.\n"
"\n"
"Examples:\n"
"  authtool spf record --mx --ip4 192.0.2.0/24 --include _spf.example.net --all fail\n"
"  authtool spf record --domain example.com --ip6 2001:db8::/32 --redirect _spf.example.com\n"
"  authtool --json spf record --a mail.example.com --all softfail\n";

/* ---------------------------------------------------------------- lint */

typedef struct visited {
	char	*domain;
	int	 cost;		/* DNS-querying terms of its tree, -1 while walking */
	int	 voids;
} visited;

typedef struct lint {
	au_dns		*dns;
	tool_findings	 f;
	json_t		*includes;
	json_t		*record;	/* the top record's text */
	visited		 seen[LINT_MAX_DOMAINS];
	size_t		 nseen;
	int		 overflow;	/* more domains than we follow */
	int		 top_ok;	/* the top record was found and parsed */
	int		 top_temperror;	/* the top record could not be fetched */
} lint;

static void
finding(lint *l, const char *sev, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
finding(lint *l, const char *sev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tool_vfinding(&l->f, sev, fmt, ap);
	va_end(ap);
}

static int
has_macro(const char *s)
{
	return s && strchr(s, '%') != NULL;
}

/* Printable copy of a name from DNS for messages. */
static const char *
pr(const char *s, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; s[i] && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02X", c);
	}
	buf[o] = '\0';
	return buf;
}

static au_dns_answer *
lq(lint *l, const char *name, au_dns_type type)
{
	au_dns_answer *a = NULL;

	if (au_dns_query(l->dns, name, type, &a) != AU_OK)
		return NULL;
	return a;
}

/* Does name have address records?  1 yes, 0 no (void), -1 DNS trouble. */
static int
has_address(lint *l, const char *name, char *why, size_t whylen)
{
	au_dns_type types[2] = { AU_DNS_T_A, AU_DNS_T_AAAA };
	int i, found = 0, trouble = 0;
	au_dns_answer *a;

	for (i = 0; i < 2; i++) {
		if ((a = lq(l, name, types[i])) == NULL) {
			trouble = 1;
			continue;
		}
		if (a->outcome == AU_DNS_RECORDS)
			found = 1;
		else if (a->outcome == AU_DNS_SERVFAIL || a->outcome == AU_DNS_TIMEOUT) {
			trouble = 1;
			snprintf(why, whylen, "%s", a->reason[0] ? a->reason :
			    au_dns_outcome_str(a->outcome));
		} else
			snprintf(why, whylen, "%s", au_dns_outcome_str(a->outcome));
		au_dns_answer_free(a);
	}
	return found ? 1 : trouble ? -1 : 0;
}

/* Size of the TXT answer in a DNS message without EDNS (RFC 7208 3.4). */
static size_t
answer_size(const char *name, const au_dns_answer *a)
{
	size_t n = 12 + strlen(name) + 2 + 4, i;

	for (i = 0; i < a->count; i++)
		n += 2 + 10 + a->rr[i].u.txt.len + a->rr[i].u.txt.nstrings;
	return n;
}

static int walk(lint *l, const char *domain, size_t depth, const char *via,
    int top, int *voids);

/* Follow an include or redirect target; returns its cost. */
static int
follow(lint *l, const au_spf_term *t, const char *domain, size_t depth,
    int *voids)
{
	char via[400], d[200], n[200];
	int cost, v = 0;

	snprintf(via, sizeof via, "'%s' in %s", t->text, pr(domain, d, sizeof d));
	if (has_macro(t->domain_spec)) {
		finding(l, "info", "%s: the target uses macros; its record is not followed (it costs at least 1 lookup)",
		    via);
		return 0;
	}
	cost = walk(l, t->domain_spec, depth + 1, via, 0, &v);
	*voids += v;
	if (cost >= LINT_LOOP)
		return LINT_LOOP;
	if (t->kind == AU_SPF_INCLUDE || t->kind == AU_SPF_REDIRECT) {
		json_t *inc = json_object();

		json_object_set_new(inc, "term", json_string(t->text));
		json_object_set_new(inc, "in", json_string(pr(domain, d, sizeof d)));
		json_object_set_new(inc, "domain", json_string(pr(t->domain_spec, n, sizeof n)));
		json_object_set_new(inc, "dns_lookups", json_integer(cost + 1));
		json_array_append_new(l->includes, inc);
		finding(l, "info", "%s costs %d DNS lookup%s (itself and its record's terms)",
		    via, cost + 1, cost + 1 == 1 ? "" : "s");
	}
	return cost;
}

/* Check the terms of one record; returns the DNS-querying terms of its tree. */
static int
check_terms(lint *l, const au_spf_record *rec, const char *domain,
    size_t depth, int top, int *voids)
{
	const au_spf_term *t, *redirect = NULL, *all = NULL;
	char d[200], why[200];
	au_dns_answer *a;
	size_t i, n = au_spf_record_count(rec);
	int cost = 0, r;

	pr(domain, d, sizeof d);
	for (i = 0; i < n; i++) {
		t = au_spf_record_term(rec, i);
		if (all && t->kind < AU_SPF_REDIRECT) {
			finding(l, "warning", "%s: '%s' comes after '%s' and is never evaluated",
			    d, t->text, all->text);
			continue;
		}
		if (is_dns_term(t->kind) && t->kind != AU_SPF_REDIRECT)
			cost++;
		if (t->domain_spec && strstr(t->domain_spec, "%{p") != NULL)
			finding(l, "warning", "%s: '%s' uses the %%{p} macro, which RFC 7208 7.3 says not to use",
			    d, t->text);
		switch (t->kind) {
		case AU_SPF_ALL:
			all = t;
			if (t->qualifier == '+')
				finding(l, top ? "error" : "warning",
				    "%s: '%s' lets every host on the Internet pass", d, t->text);
			else if (t->qualifier == '?' && top)
				finding(l, "warning", "%s: '%s' (neutral) asserts nothing about other hosts",
				    d, t->text);
			break;
		case AU_SPF_PTR:
			finding(l, "warning", "%s: '%s': the ptr mechanism is slow and unreliable; RFC 7208 5.5 says not to use it",
			    d, t->text);
			break;
		case AU_SPF_INCLUDE:
			cost += follow(l, t, domain, depth, voids);
			break;
		case AU_SPF_A:
		case AU_SPF_MX:
		case AU_SPF_EXISTS: {
			const char *name = t->domain_spec ? t->domain_spec : domain;

			if (has_macro(name))
				break;
			if (t->kind != AU_SPF_MX) {
				char nm[200];

				r = has_address(l, name, why, sizeof why);
				if (r == 0) {
					(*voids)++;
					finding(l, "warning", "%s: '%s': %s has no address records (%s): a void lookup (limit %d)",
					    d, t->text, pr(name, nm, sizeof nm), why, AU_SPF_MAX_VOID);
				} else if (r < 0)
					finding(l, "warning", "%s: '%s': DNS trouble looking up %s (%s): temperror for clients that get there",
					    d, t->text, pr(name, nm, sizeof nm), why);
				break;
			}
			if ((a = lq(l, name, AU_DNS_T_MX)) == NULL)
				break;
			if (a->outcome == AU_DNS_NXDOMAIN || a->outcome == AU_DNS_NODATA) {
				(*voids)++;
				finding(l, "warning", "%s: '%s': %s has no MX records (%s): a void lookup (limit %d)",
				    d, t->text, pr(name, why, sizeof why),
				    au_dns_outcome_str(a->outcome), AU_SPF_MAX_VOID);
			} else if (a->outcome != AU_DNS_RECORDS) {
				finding(l, "warning", "%s: '%s': MX lookup for %s failed (%s)",
				    d, t->text, pr(name, why, sizeof why),
				    a->reason[0] ? a->reason : au_dns_outcome_str(a->outcome));
			} else if (a->count > AU_SPF_MAX_MXPTR_NAMES) {
				finding(l, "error", "%s: '%s': %s has %zu MX records, more than %d: permerror (RFC 7208 4.6.4)",
				    d, t->text, pr(name, why, sizeof why), a->count,
				    AU_SPF_MAX_MXPTR_NAMES);
			} else {
				size_t k;

				for (k = 0; k < a->count; k++) {
					char w2[120], h[200];

					if (a->rr[k].u.mx.host == NULL || a->rr[k].u.mx.host[0] == '\0')
						continue;
					if (has_address(l, a->rr[k].u.mx.host, w2, sizeof w2) == 0)
						finding(l, "warning", "%s: '%s': MX host %s has no address records",
						    d, t->text, pr(a->rr[k].u.mx.host, h, sizeof h));
				}
			}
			au_dns_answer_free(a);
			break;
		}
		case AU_SPF_REDIRECT:
			redirect = t;
			break;
		case AU_SPF_EXP:
			if (has_macro(t->domain_spec))
				break;
			if ((a = lq(l, t->domain_spec, AU_DNS_T_TXT)) == NULL)
				break;
			if (a->outcome != AU_DNS_RECORDS || a->count != 1)
				finding(l, "warning", "%s: '%s': the explanation target has %s, not one TXT record: no explanation is given",
				    d, t->text, a->outcome == AU_DNS_RECORDS ? "several records" :
				    au_dns_outcome_str(a->outcome));
			au_dns_answer_free(a);
			break;
		case AU_SPF_UNKNOWN_MOD:
			finding(l, "info", "%s: unknown modifier '%s' is ignored", d, t->text);
			break;
		default:
			break;
		}
	}
	if (cost > LINT_LOOP)
		cost = LINT_LOOP;
	if (redirect && all)
		finding(l, "warning", "%s: '%s' is ignored because the record has '%s' (RFC 7208 6.1)",
		    d, redirect->text, all->text);
	else if (redirect) {
		cost++;
		cost += follow(l, redirect, domain, depth, voids);
		if (cost > LINT_LOOP)
			cost = LINT_LOOP;
	} else if (!all && top)
		finding(l, "warning", "%s: the record ends without 'all' or redirect=: hosts not listed get neutral",
		    d);
	return cost;
}

/*
 * Fetch and check the record at domain and, recursively, what it
 * includes.  Returns the DNS-querying terms of the tree (worst case).
 */
static int
walk(lint *l, const char *domain, size_t depth, const char *via, int top,
    int *voids)
{
	au_dns_answer *a;
	au_spf_record *rec = NULL;
	size_t i, nspf = 0, which = 0, size, slot;
	char d[200], err[400];
	int cost;

	pr(domain, d, sizeof d);
	for (i = 0; i < l->nseen; i++)
		if (strcasecmp(l->seen[i].domain, domain) == 0) {
			if (l->seen[i].cost < 0) {
				finding(l, "error", "%s: include/redirect loop back to %s: permerror (lookup limit)",
				    via, d);
				return LINT_LOOP;
			}
			*voids += l->seen[i].voids;
			return l->seen[i].cost;
		}
	if (l->nseen == LINT_MAX_DOMAINS || depth > LINT_MAX_DEPTH) {
		if (!l->overflow)
			finding(l, "error", "%s: more than %d records or nesting deeper than %d: not followed further",
			    via ? via : d, LINT_MAX_DOMAINS, LINT_MAX_DEPTH);
		l->overflow = 1;
		return 0;
	}
	slot = l->nseen++;
	l->seen[slot].domain = strdup(domain);
	l->seen[slot].cost = -1;
	l->seen[slot].voids = 0;
	if (l->seen[slot].domain == NULL) {
		l->nseen--;
		return 0;
	}
	if ((a = lq(l, domain, AU_DNS_T_TXT)) == NULL) {
		finding(l, "error", "%s: cannot query DNS", d);
		cost = 0;
		goto out;
	}
	if (a->outcome == AU_DNS_SERVFAIL || a->outcome == AU_DNS_TIMEOUT) {
		finding(l, "error", "%s%sDNS TXT lookup for %s failed (%s): temperror",
		    via ? via : "", via ? ": " : "", d,
		    a->reason[0] ? a->reason : au_dns_outcome_str(a->outcome));
		au_dns_answer_free(a);
		if (top)
			l->top_temperror = 1;
		cost = 0;
		goto out;
	}
	for (i = 0; a->outcome == AU_DNS_RECORDS && i < a->count; i++) {
		const au_dns_rr *rr = &a->rr[i];

		if (rr->u.txt.len >= 6 && strncasecmp(rr->u.txt.data, "v=spf1", 6) == 0 &&
		    (rr->u.txt.len == 6 || rr->u.txt.data[6] == ' ')) {
			nspf++;
			which = i;
		} else if (rr->u.txt.len >= 5 && strncasecmp(rr->u.txt.data, "v=spf", 5) == 0)
			finding(l, "warning", "%s: a TXT record starts with \"%.*s\", not \"v=spf1 \": it is ignored",
			    d, (int)(rr->u.txt.len < 12 ? rr->u.txt.len : 12), rr->u.txt.data);
	}
	if (nspf == 0) {
		if (via)
			finding(l, "error", "%s: no SPF record at %s (%s): permerror",
			    via, d, a->outcome == AU_DNS_RECORDS ? "no TXT record starts with v=spf1" :
			    au_dns_outcome_str(a->outcome));
		else
			finding(l, "error", "%s: no SPF record (%s): SPF gives none",
			    d, a->outcome == AU_DNS_RECORDS ? "no TXT record starts with v=spf1" :
			    au_dns_outcome_str(a->outcome));
		au_dns_answer_free(a);
		cost = 0;
		goto out;
	}
	if (nspf > 1) {
		finding(l, "error", "%s: %zu SPF records: permerror (RFC 7208 3.2, 4.5); publish exactly one",
		    d, nspf);
		au_dns_answer_free(a);
		cost = 0;
		goto out;
	}
	size = answer_size(domain, a);
	if (size > 512)
		finding(l, "warning", "%s: the TXT answer is about %zu bytes (%zu TXT records), more than fits one 512-byte UDP message (RFC 7208 3.4)",
		    d, size, a->count);
	if (top)
		finding(l, "info", "%s: record is %zu bytes in %zu string%s", d,
		    a->rr[which].u.txt.len, a->rr[which].u.txt.nstrings,
		    a->rr[which].u.txt.nstrings == 1 ? "" : "s");
	if (top && l->record == NULL)
		l->record = tool_json_text(a->rr[which].u.txt.data,
		    a->rr[which].u.txt.len);
	if (au_spf_record_parse(a->rr[which].u.txt.data, a->rr[which].u.txt.len,
	    &rec, err, sizeof err) != AU_OK) {
		finding(l, "error", "%s: %s: permerror", d, err);
		au_dns_answer_free(a);
		cost = 0;
		goto out;
	}
	au_dns_answer_free(a);
	if (top)
		l->top_ok = 1;
	cost = check_terms(l, rec, domain, depth, top, &l->seen[slot].voids);
	au_spf_record_free(rec);
out:
	l->seen[slot].cost = cost;
	*voids += l->seen[slot].voids;
	return cost;
}

int
spf_run_lint(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = tool_find_cmd(tool_cmds_spf, "lint");
	const char *domain;
	char d[200];
	lint l;
	int o, rc = 0, cost, voids = 0;
	size_t i;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1)
		return tool_opt_error(cmd, o, argv);
	if (optind + 1 != argc)
		return tool_usage(cmd, optind == argc ? "give the DOMAIN to check" :
		    "only one DOMAIN, not '%s'", argv[optind + 1 < argc ? optind + 1 : 0]);
	domain = argv[optind];
	if (domain[0] == '\0' || strlen(domain) > 253 || strchr(domain, ' '))
		return tool_usage(cmd, "'%s' is not a domain name", domain);
	memset(&l, 0, sizeof l);
	if ((l.dns = tool_dns(ctx)) == NULL)
		return tool_dns_failed(ctx);
	tool_findings_init(&l.f);
	l.includes = json_array();
	cost = walk(&l, domain, 0, NULL, 1, &voids);
	if (l.top_ok) {
		if (cost >= LINT_LOOP)
			finding(&l, "error", "%s: an include/redirect loop: every evaluation that reaches it ends in permerror",
			    pr(domain, d, sizeof d));
		else if (cost > AU_SPF_MAX_DNS_MECHS)
			finding(&l, "error", "%s: %d DNS lookups in the worst case, more than the limit of %d (RFC 7208 4.6.4): permerror for hosts not matched early",
			    pr(domain, d, sizeof d), cost, AU_SPF_MAX_DNS_MECHS);
		else
			finding(&l, "info", "%s: %d DNS lookup%s in the worst case (limit %d)",
			    pr(domain, d, sizeof d), cost, cost == 1 ? "" : "s", AU_SPF_MAX_DNS_MECHS);
		if (voids > AU_SPF_MAX_VOID)
			finding(&l, "error", "%s: %d void lookups (limit %d, RFC 7208 4.6.4): permerror for hosts that get that far",
			    d, voids, AU_SPF_MAX_VOID);
		else if (voids > 0)
			finding(&l, "info", "%s: %d void lookup%s (limit %d)", d, voids,
			    voids == 1 ? "" : "s", AU_SPF_MAX_VOID);
	}
	if (ctx->json) {
		json_t *j = json_object();

		json_object_set_new(j, "domain", json_string(pr(domain, d, sizeof d)));
		json_object_set(j, "record", l.record ? l.record : json_null());
		json_object_set(j, "findings", l.f.list);
		json_object_set_new(j, "dns_lookups", cost >= LINT_LOOP ? json_null() : json_integer(cost));
		json_object_set_new(j, "dns_lookups_limit", json_integer(AU_SPF_MAX_DNS_MECHS));
		json_object_set_new(j, "void_lookups", json_integer(voids));
		json_object_set_new(j, "void_lookups_limit", json_integer(AU_SPF_MAX_VOID));
		json_object_set(j, "includes", l.includes);
		json_object_set_new(j, "errors", json_integer(l.f.errors));
		json_object_set_new(j, "warnings", json_integer(l.f.warnings));
		tool_json_print(j);
	} else
		tool_findings_print(&l.f);
	rc = tool_findings_exit(&l.f, l.top_temperror);
	json_decref(l.record);
	tool_findings_free(&l.f);
	json_decref(l.includes);
	for (i = 0; i < l.nseen; i++)
		free(l.seen[i].domain);
	return rc;
}

const char spf_lint_help[] =
"Fetches DOMAIN's SPF record and walks its include/redirect tree over DNS,\n"
"checking what makes SPF checks fail or give the wrong answer (RFC 7208):\n"
"  - no record, several records (permerror), syntax errors (with the term)\n"
"  - the DNS-querying terms (include a mx ptr exists redirect) of the whole\n"
"    tree against the limit of 10, with the cost of each include\n"
"  - void lookups (names without records) against the limit of 2\n"
"  - includes and redirects to domains without a record, loops\n"
"  - mx with more than 10 MX names, MX hosts without addresses\n"
"  - ptr and %{p} (discouraged), +all and ?all, terms after all, redirect=\n"
"    ignored because of all, a record without all or redirect=\n"
"  - TXT answers too big for one 512-byte UDP message\n"
"  - exp= targets that give no explanation\n"
"Terms with macros are not followed (their targets depend on the sender).\n"
"\n"
"Output: one finding per line, \"SEVERITY: message\", SEVERITY being error,\n"
"warning or info; the last lines give the lookup and void counts.  With\n"
"--json: {\"domain\", \"record\", \"findings\": [{\"severity\", \"message\"}],\n"
"\"dns_lookups\", \"dns_lookups_limit\", \"void_lookups\", \"void_lookups_limit\",\n"
"\"includes\": [{\"term\", \"in\", \"domain\", \"dns_lookups\"}], \"errors\",\n"
"\"warnings\"}.\n"
"\n"
"Exit status: 0 no error found (warnings allowed); 1 at least one error;\n"
"2 the domain's record could not be fetched (DNS trouble, try again);\n"
"64 usage error.\n"
"\n"
"Examples:\n"
"  authtool spf lint example.com\n"
"  authtool --json spf lint example.com | jq '.findings[] | select(.severity == \"error\")'\n"
"  authtool --zone example.zone spf lint example.com\n";
