/*
 * cmd_dmarc.c - the authtool "dmarc" commands:
 *   dmarc record  build a DMARC Policy Record from flags (RFC 9989 4.7,
 *                 4.8; RFC 7489 6.3 with --rfc7489)
 *   dmarc lint    find the record that applies to a domain (RFC 9989 4.10
 *                 tree walk or RFC 7489 6.6.3), check its syntax, the
 *                 strength of the policy and the authorization of external
 *                 report destinations (aggregate-reporting "Verifying
 *                 External Destinations")
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "au_addr.h"
#include "au_buf.h"
#include "au_dmarc.h"
#include "tool.h"

#define MAX_URIS 16

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * Check a reporting URI for the record.  mailto: must hold exactly one
 * address with a domain; "," and "!" must be percent-encoded (RFC 9989
 * 4.8).  Returns NULL when fine, else why not (static or in buf).
 */
static const char *
check_uri(const char *uri, int rfc7489, char *buf, size_t size, int *nonmailto)
{
	const char *p, *end;
	char addr[600];
	size_t o = 0;
	au_addr_list *l = NULL;
	au_status st;

	*nonmailto = 0;
	if (strchr(uri, ',') != NULL)
		return "a ',' in a URI must be written %2C";
	if ((p = strchr(uri, '!')) != NULL && !rfc7489)
		return "'!' must be written %21 (size limits \"!10m\" are obsolete in RFC 9989)";
	if (strchr(uri, ';') != NULL || strpbrk(uri, " \t\r\n\"") != NULL)
		return "URIs cannot hold ';', white space or '\"'";
	for (p = uri; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return "URIs are printable ASCII only";
	for (p = uri; *p; p++)
		if (*p == '%' && (!is_hex(p[1]) || !is_hex(p[2])))
			return "'%' must start a %XX escape";
	if (strncasecmp(uri, "mailto:", 7) != 0) {
		p = strchr(uri, ':');
		if (p == NULL || p == uri)
			return "not a URI (no scheme such as mailto:)";
		*nonmailto = 1;
		return NULL;
	}
	end = strpbrk(uri + 7, "?!");
	if (end == NULL)
		end = uri + strlen(uri);
	for (p = uri + 7; p < end && o + 1 < sizeof addr; p++) {
		if (*p == '%') {
			char h[3] = { p[1], p[2], 0 };

			addr[o++] = (char)strtol(h, NULL, 16);
			p += 2;
		} else
			addr[o++] = *p;
	}
	addr[o] = '\0';
	st = au_addr_parse(addr, o, &l, buf, size);
	if (st != AU_OK)
		return buf;
	if (l->naddrs != 1 || l->addrs[0].domain == NULL ||
	    strchr(l->addrs[0].domain, '.') == NULL || l->ngroups) {
		au_addr_list_free(l);
		return "mailto: wants one address user@domain.example";
	}
	au_addr_list_free(l);
	return NULL;
}

static int
policy_arg(const char *s, const char **out)
{
	if (strcasecmp(s, "none") == 0)
		*out = "none";
	else if (strcasecmp(s, "quarantine") == 0)
		*out = "quarantine";
	else if (strcasecmp(s, "reject") == 0)
		*out = "reject";
	else
		return -1;
	return 0;
}

/*
 * A mailto: outside DOMAIN's tree: the destination has to agree to get
 * reports (aggregate-reporting "Verifying External Destinations").
 */
static void
external_note(const char *domain, const char *uri)
{
	const char *at = strrchr(uri, '@'), *end;
	size_t dl = strlen(domain), n;

	if (at == NULL)
		return;
	at++;
	end = strpbrk(at, "?!");
	n = end ? (size_t)(end - at) : strlen(at);
	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if (n >= dl && strncasecmp(at + n - dl, domain, dl) == 0 &&
	    (n == dl || at[n - dl - 1] == '.'))
		return;
	tool_err("dmarc record", "note: reports go to %.*s only if "
	    "it publishes %.*s._report._dmarc.%.*s IN TXT \"v=DMARC1\" (unless it "
	    "is in your organization)", (int)n, at, (int)dl, domain, (int)n, at);
}

/* A master-file line, strings of at most 255 characters. */
static void
print_zone_line(const char *name, const char *rec)
{
	size_t n = strlen(rec), i;

	printf("%s. IN TXT", name);
	for (i = 0; i < n; i += 255)
		printf(" \"%.*s\"", (int)(n - i > 255 ? 255 : n - i), rec + i);
	putchar('\n');
}

/* ---------------------------------------------------------------- record */

static int
run_record(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy",		required_argument, NULL, 'p' },
		{ "subdomain-policy",	required_argument, NULL, 's' },
		{ "sp",			required_argument, NULL, 's' },
		{ "np",			required_argument, NULL, 'n' },
		{ "rua",		required_argument, NULL, 'a' },
		{ "ruf",		required_argument, NULL, 'f' },
		{ "adkim",		required_argument, NULL, 'D' },
		{ "aspf",		required_argument, NULL, 'S' },
		{ "testing",		no_argument,	   NULL, 't' },
		{ "psd",		required_argument, NULL, 'P' },
		{ "fo",			required_argument, NULL, 'o' },
		{ "pct",		required_argument, NULL, 'c' },
		{ "ri",			required_argument, NULL, 'i' },
		{ "rfc7489",		no_argument,	   NULL, '7' },
		{ "domain",		required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = tool_find_cmd(tool_cmds_dmarc, "record");
	const char *p = "none", *sp = NULL, *np = NULL, *adkim = NULL, *aspf = NULL;
	const char *psd = NULL, *fo = NULL, *pct = NULL, *ri = NULL, *domain = NULL;
	const char *rua[MAX_URIS], *ruf[MAX_URIS];
	size_t nrua = 0, nruf = 0, i;
	int testing = 0, rfc7489 = 0, o, nonmailto;
	char why[256], name[300], *text = NULL;
	au_buf b = AU_BUF_INIT(4096);
	au_dmarc_record *rec = NULL;
	au_status st;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":p:", longopts, NULL)) != -1) {
		switch (o) {
		case 'p':
			if (policy_arg(optarg, &p) < 0)
				return tool_usage(cmd, "--policy wants none, quarantine or reject, not '%s'", optarg);
			break;
		case 's':
			if (policy_arg(optarg, &sp) < 0)
				return tool_usage(cmd, "--subdomain-policy wants none, quarantine or reject, not '%s'", optarg);
			break;
		case 'n':
			if (policy_arg(optarg, &np) < 0)
				return tool_usage(cmd, "--np wants none, quarantine or reject, not '%s'", optarg);
			break;
		case 'a':
		case 'f':
			if ((o == 'a' ? nrua : nruf) >= MAX_URIS)
				return tool_usage(cmd, "at most %d --%s URIs", MAX_URIS,
				    o == 'a' ? "rua" : "ruf");
			if (o == 'a')
				rua[nrua++] = optarg;
			else
				ruf[nruf++] = optarg;
			break;
		case 'D':
		case 'S':
			if (strcmp(optarg, "r") != 0 && strcmp(optarg, "s") != 0)
				return tool_usage(cmd, "--%s wants r (relaxed) or s (strict), not '%s'",
				    o == 'D' ? "adkim" : "aspf", optarg);
			if (o == 'D')
				adkim = optarg;
			else
				aspf = optarg;
			break;
		case 't':
			testing = 1;
			break;
		case 'P':
			if (strcmp(optarg, "y") != 0 && strcmp(optarg, "n") != 0 &&
			    strcmp(optarg, "u") != 0)
				return tool_usage(cmd, "--psd wants y, n or u, not '%s'", optarg);
			psd = optarg;
			break;
		case 'o':
			fo = optarg;
			break;
		case 'c':
			pct = optarg;
			break;
		case 'i':
			ri = optarg;
			break;
		case '7':
			rfc7489 = 1;
			break;
		case 'd':
			domain = optarg;
			break;
		default:
			return tool_opt_error(cmd, o, argv);
		}
	}
	if (optind < argc)
		return tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (rfc7489 && (np || psd || testing))
		return tool_usage(cmd, "--np, --psd and --testing are RFC 9989 tags; drop --rfc7489");
	if (!rfc7489 && (pct || ri))
		return tool_usage(cmd, "--pct and --ri exist only in RFC 7489 (add --rfc7489); RFC 9989 uses --testing instead of pct");
	if (pct) {
		char *end;
		long v = strtol(pct, &end, 10);

		if (*pct == '\0' || *end || v < 0 || v > 100)
			return tool_usage(cmd, "--pct wants 0 to 100, not '%s'", pct);
	}
	if (ri) {
		char *end;
		unsigned long long v = strtoull(ri, &end, 10);

		if (*ri == '\0' || *end || v > 0xffffffffULL || ri[0] == '-')
			return tool_usage(cmd, "--ri wants seconds (32-bit unsigned), not '%s'", ri);
	}
	if (domain) {
		size_t n = strlen(domain);

		if (n == 0 || n > 246 || strchr(domain, ' '))
			return tool_usage(cmd, "--domain wants a domain name, not '%s'", domain);
		snprintf(name, sizeof name, "_dmarc.%.*s", (int)(domain[n - 1] == '.' ?
		    n - 1 : n), domain);
	}
	for (i = 0; i < nrua + nruf; i++) {
		const char *u = i < nrua ? rua[i] : ruf[i - nrua];
		const char *bad = check_uri(u, rfc7489, why, sizeof why, &nonmailto);

		if (bad)
			return tool_usage(cmd, "--%s '%s': %s", i < nrua ? "rua" : "ruf", u, bad);
		if (nonmailto)
			tool_err("dmarc record", "note: receivers must support mailto: "
			    "only; '%s' may be ignored", u);
		else if (domain)
			external_note(domain, u);
	}
	st = au_buf_printf(&b, "v=DMARC1; p=%s", p);
	if (st == AU_OK && sp)
		st = au_buf_printf(&b, "; sp=%s", sp);
	if (st == AU_OK && np)
		st = au_buf_printf(&b, "; np=%s", np);
	if (st == AU_OK && adkim)
		st = au_buf_printf(&b, "; adkim=%s", adkim);
	if (st == AU_OK && aspf)
		st = au_buf_printf(&b, "; aspf=%s", aspf);
	if (st == AU_OK && pct)
		st = au_buf_printf(&b, "; pct=%ld", strtol(pct, NULL, 10));
	if (st == AU_OK && testing)
		st = au_buf_puts(&b, "; t=y");
	if (st == AU_OK && psd)
		st = au_buf_printf(&b, "; psd=%s", psd);
	for (i = 0; st == AU_OK && i < nrua; i++)
		st = au_buf_printf(&b, "%s%s", i ? "," : "; rua=", rua[i]);
	for (i = 0; st == AU_OK && i < nruf; i++)
		st = au_buf_printf(&b, "%s%s", i ? "," : "; ruf=", ruf[i]);
	if (st == AU_OK && fo)
		st = au_buf_printf(&b, "; fo=%s", fo);
	if (st == AU_OK && ri)
		st = au_buf_printf(&b, "; ri=%s", ri);
	if (st != AU_OK) {
		au_buf_free(&b);
		return tool_usage(cmd, "the record would be too long");
	}
	/* Our own parser must accept what we print, with no error. */
	st = au_dmarc_record_parse(b.data, b.len, rfc7489 ? AU_DMARC_RFC7489 :
	    AU_DMARC_RFC9989, &rec, why, sizeof why);
	if (st != AU_OK) {
		au_buf_free(&b);
		return tool_usage(cmd, "the record would not be valid: %s", why);
	}
	for (i = 0; i < au_dmarc_record_warning_count(rec); i++)
		if (au_dmarc_record_warning_severity(rec, i) == AU_DMARC_SEV_ERROR) {
			snprintf(why, sizeof why, "%s", au_dmarc_record_warning(rec, i));
			au_dmarc_record_free(rec);
			au_buf_free(&b);
			return tool_usage(cmd, "%s", why);
		}
	au_dmarc_record_free(rec);
	if (fo && nruf == 0)
		tool_err("dmarc record", "note: fo= has no effect without --ruf");
	if (au_buf_detach(&b, &text) != AU_OK) {
		au_buf_free(&b);
		tool_err("dmarc record", "out of memory");
		return TOOL_EXIT_TEMPERROR;
	}
	if (ctx->json) {
		json_t *j = json_object();

		json_object_set_new(j, "record", json_string(text));
		if (domain)
			json_object_set_new(j, "name", json_string(name));
		tool_json_print(j);
	} else if (domain)
		print_zone_line(name, text);
	else
		printf("%s\n", text);
	free(text);
	return TOOL_EXIT_PASS;
}

static const char record_help[] =
"Builds a DMARC Policy Record (RFC 9989 4.7; RFC 7489 6.3 with --rfc7489)\n"
"from options and prints it, ready to publish as a TXT record at\n"
"_dmarc.DOMAIN.  Every value is checked; the record is parsed back before\n"
"it is printed.\n"
"\n"
"Options:\n"
"  -p, --policy P            p=: none (default), quarantine or reject\n"
"  --subdomain-policy P      sp=: the policy for subdomains (also --sp)\n"
"  --np P                    np=: the policy for non-existent subdomains\n"
"  --rua URI                 rua=: where aggregate reports go (repeatable);\n"
"                            mailto:ADDRESS is what receivers support\n"
"  --ruf URI                 ruf=: where failure reports go (repeatable)\n"
"  --fo OPTS                 fo=: failure report options, e.g. 1 or 0:d:s\n"
"  --adkim r|s               adkim=: DKIM alignment relaxed or strict\n"
"  --aspf r|s                aspf=: SPF alignment relaxed or strict\n"
"  --testing                 t=y: testing, receivers apply one level less\n"
"  --psd y|n|u               psd=: y for a Public Suffix Domain, n for an\n"
"                            Organizational Domain\n"
"  --rfc7489                 write an RFC 7489 record: allows --pct and --ri,\n"
"                            refuses --np, --psd, --testing\n"
"  --pct N                   pct= 0..100 (RFC 7489 only)\n"
"  --ri SECONDS              ri= report interval (RFC 7489 only)\n"
"  --domain DOMAIN           print a master-file line for _dmarc.DOMAIN\n"
"\n"
"URIs: \",\" and \"!\" inside a URI must be percent-encoded (%2C, %21).\n"
"Reports to another organization's address need that organization to\n"
"publish DOMAIN._report._dmarc.DEST (see 'authtool dmarc lint').\n"
"\n"
"Output: the record; with --domain a line\n"
"  _dmarc.DOMAIN. IN TXT \"v=DMARC1; ...\"\n"
"With --json: {\"record\": \"...\", \"name\": \"_dmarc.DOMAIN\"}.\n"
"\n"
"Examples:\n"
"  authtool dmarc record -p reject --rua mailto:dmarc@example.com\n"
"  authtool dmarc record --domain example.com -p quarantine --np reject \\\n"
"      --adkim s --rua mailto:reports@example.net\n";

/* ---------------------------------------------------------------- lint */

/* One finding (tool.h) with a severity of the DMARC parser. */
static void
finding(tool_findings *l, au_dmarc_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
finding(tool_findings *l, au_dmarc_severity sev, const char *fmt, ...)
{
	static const char *names[] = { "info", "warning", "error" };
	va_list ap;

	va_start(ap, fmt);
	tool_vfinding(l, names[sev], fmt, ap);
	va_end(ap);
}

/* The v=DMARC1 records at _dmarc.<dom>, with the parser's findings. */
static void
lint_records(tool_findings *l, au_dns *dns, au_dmarc_mode mode, const char *dom)
{
	char qname[300], err[256];
	au_dns_answer *ans = NULL;
	size_t i, k;

	snprintf(qname, sizeof qname, "_dmarc.%s", dom);
	if (au_dns_query(dns, qname, AU_DNS_T_TXT, &ans) != AU_OK ||
	    ans->outcome != AU_DNS_RECORDS) {
		au_dns_answer_free(ans);
		return;
	}
	for (i = 0; i < ans->count; i++) {
		au_dmarc_record *r = NULL;
		au_status st;

		st = au_dmarc_record_parse(ans->rr[i].u.txt.data,
		    ans->rr[i].u.txt.len, mode, &r, err, sizeof err);
		if (st == AU_ENOTFOUND)
			continue;
		finding(l, AU_DMARC_SEV_INFO, "%s: \"%.600s\"", qname,
		    ans->rr[i].u.txt.data);
		if (st != AU_OK) {
			finding(l, AU_DMARC_SEV_ERROR, "%s: %s", qname, err);
			continue;
		}
		for (k = 0; k < au_dmarc_record_warning_count(r); k++)
			finding(l, au_dmarc_record_warning_severity(r, k), "%s: %s",
			    qname, au_dmarc_record_warning(r, k));
		au_dmarc_record_free(r);
	}
	au_dns_answer_free(ans);
}

/*
 * External report destinations (aggregate-reporting, "Verifying External
 * Destinations"): DEST must publish <policy domain>._report._dmarc.DEST.
 */
static void
lint_destination(tool_findings *l, au_dmarc *d, au_dns *dns, const char *tag,
    const au_dmarc_uri *u, const char *pdom, const char *porg)
{
	char *dorg = NULL, qname[600];
	au_dns_answer *ans = NULL;
	int temp = 0, ok = 0;
	size_t i;

	if (u->mailto_domain == NULL)
		return;
	if (au_dmarc_org_domain(d, u->mailto_domain, &dorg, &temp) != AU_OK)
		return;
	if (strcasecmp(dorg, porg) == 0) {
		free(dorg);
		return;
	}
	free(dorg);
	if (strlen(pdom) + strlen(u->mailto_domain) + 16 > 253) {
		finding(l, AU_DMARC_SEV_ERROR, "%s %s: the authorization name "
		    "%s._report._dmarc.%s is too long for the DNS: reports will "
		    "not be sent", tag, u->uri, pdom, u->mailto_domain);
		return;
	}
	snprintf(qname, sizeof qname, "%s._report._dmarc.%s", pdom, u->mailto_domain);
	if (au_dns_query(dns, qname, AU_DNS_T_TXT, &ans) != AU_OK) {
		finding(l, AU_DMARC_SEV_WARNING, "%s: could not query %s", u->uri, qname);
		return;
	}
	if (ans->outcome == AU_DNS_SERVFAIL || ans->outcome == AU_DNS_TIMEOUT) {
		finding(l, AU_DMARC_SEV_WARNING, "%s %s: DNS %s for %s: cannot "
		    "tell whether %s accepts reports for %s", tag, u->uri,
		    au_dns_outcome_str(ans->outcome), qname, u->mailto_domain, pdom);
		au_dns_answer_free(ans);
		return;
	}
	for (i = 0; ans->outcome == AU_DNS_RECORDS && i < ans->count; i++) {
		const char *t = ans->rr[i].u.txt.data;

		while (*t == ' ' || *t == '\t')
			t++;
		if (strncmp(t, "v=DMARC1", 8) == 0 &&
		    (t[8] == '\0' || t[8] == ';' || t[8] == ' ' || t[8] == '\t'))
			ok = 1;
	}
	au_dns_answer_free(ans);
	if (ok)
		finding(l, AU_DMARC_SEV_INFO, "%s %s: %s accepts reports for %s "
		    "(%s)", tag, u->uri, u->mailto_domain, pdom, qname);
	else
		finding(l, AU_DMARC_SEV_ERROR, "%s %s: %s is another organization "
		    "and publishes no v=DMARC1 record at %s: receivers will not "
		    "send reports there", tag, u->uri, u->mailto_domain, qname);
}

static void
lint_policy(tool_findings *l, const au_dmarc_discovery *disc, au_dmarc_mode mode)
{
	const au_dmarc_record_info *ri = au_dmarc_record_get(disc->record);
	au_dmarc_policy applies = disc->at_author ? ri->p : ri->sp;
	size_t i;

	if (ri->p_fallback)
		finding(l, AU_DMARC_SEV_ERROR, "the policy tags are invalid: "
		    "receivers act as if p=none");
	if (applies == AU_DMARC_POLICY_NONE)
		finding(l, AU_DMARC_SEV_WARNING, "the policy for %s is none "
		    "(monitoring only): mail failing DMARC is delivered as usual; "
		    "move to quarantine or reject once reports look clean",
		    disc->domain);
	else
		finding(l, AU_DMARC_SEV_INFO, "the policy for %s is %s (%s)",
		    disc->domain, au_dmarc_policy_str(applies),
		    disc->at_author ? "p=" : ri->has_sp ? "sp=" : "p=, no sp=");
	if (ri->p != AU_DMARC_POLICY_NONE && ri->has_sp &&
	    ri->sp == AU_DMARC_POLICY_NONE)
		finding(l, AU_DMARC_SEV_WARNING, "sp=none: subdomains of %s are "
		    "not protected although p=%s", disc->policy_domain,
		    au_dmarc_policy_str(ri->p));
	if (mode == AU_DMARC_RFC9989 && ri->has_np)
		finding(l, AU_DMARC_SEV_INFO, "np=%s applies to non-existent "
		    "subdomains", au_dmarc_policy_str(ri->np));
	if (ri->testing && applies != AU_DMARC_POLICY_NONE)
		finding(l, AU_DMARC_SEV_WARNING, "t=y (testing): receivers apply "
		    "%s instead of %s", applies == AU_DMARC_POLICY_REJECT ?
		    "quarantine" : "none", au_dmarc_policy_str(applies));
	if (mode == AU_DMARC_RFC7489 && ri->pct < 100)
		finding(l, AU_DMARC_SEV_WARNING, "pct=%d: the policy applies to "
		    "%d%% of failing mail only", ri->pct, ri->pct);
	if (ri->psd == AU_DMARC_PSD_Y)
		finding(l, AU_DMARC_SEV_INFO, "psd=y: %s is declared a Public "
		    "Suffix Domain", disc->policy_domain);
	if (ri->nrua == 0)
		finding(l, AU_DMARC_SEV_WARNING, "no rua=: nobody sends you "
		    "aggregate reports, so you cannot see who sends as %s",
		    disc->policy_domain);
	for (i = 0; i < ri->nrua + ri->nruf; i++) {
		const au_dmarc_uri *u = i < ri->nrua ? &ri->rua[i] :
		    &ri->ruf[i - ri->nrua];

		if (u->valid && u->mailto_domain == NULL)
			finding(l, AU_DMARC_SEV_WARNING, "%s %s: receivers only "
			    "have to support mailto: URIs", i < ri->nrua ?
			    "rua" : "ruf", u->uri);
	}
}

static int
run_lint(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rfc7489",	no_argument,	   NULL, '7' },
		{ "psl",	required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = tool_find_cmd(tool_cmds_dmarc, "lint");
	au_dmarc_opts dopts;
	au_dmarc_discovery disc;
	au_dmarc *d = NULL;
	au_dns *dns;
	tool_findings l;
	char err[256], *porg = NULL;
	const char *domain;
	size_t i;
	int o, rc, temp = 0;
	au_status st;

	memset(&dopts, 0, sizeof dopts);
	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case '7':
			dopts.mode = AU_DMARC_RFC7489;
			break;
		case 'P':
			dopts.psl_file = optarg;
			break;
		default:
			return tool_opt_error(cmd, o, argv);
		}
	}
	if (optind + 1 != argc)
		return tool_usage(cmd, optind >= argc ? "DOMAIN is required" :
		    "one DOMAIN only");
	domain = argv[optind];
	if (dopts.psl_file && dopts.mode != AU_DMARC_RFC7489)
		return tool_usage(cmd, "--psl is only used with --rfc7489");
	if ((dns = tool_dns(ctx)) == NULL)
		return tool_dns_failed(ctx);
	if ((st = au_dmarc_new(&d, dns, &dopts, err, sizeof err)) != AU_OK) {
		tool_err("dmarc lint", "%s", err[0] ? err : au_strerror(st));
		return TOOL_EXIT_DATAERR;
	}
	if ((st = au_dmarc_discover(d, domain, &disc)) != AU_OK) {
		tool_err("dmarc lint", "%s", au_strerror(st));
		au_dmarc_free(d);
		return TOOL_EXIT_TEMPERROR;
	}
	if (disc.found == AU_DMARC_FOUND_PERMERROR && disc.policy_domain == NULL) {
		au_dmarc_discovery_clear(&disc);
		au_dmarc_free(d);
		return tool_usage(cmd, "'%s' is not a domain name", domain);
	}
	tool_findings_init(&l);
	for (i = 0; i < disc.nsteps; i++)
		finding(&l, disc.steps[i].ndmarc > 1 ? AU_DMARC_SEV_ERROR :
		    AU_DMARC_SEV_INFO, "%s: %s", disc.steps[i].name,
		    disc.steps[i].note);
	switch (disc.found) {
	case AU_DMARC_FOUND_NONE:
		finding(&l, AU_DMARC_SEV_ERROR, "%s", disc.reason);
		finding(&l, AU_DMARC_SEV_ERROR, "no DMARC policy applies to %s: "
		    "publish one (see 'authtool dmarc record')", disc.domain);
		break;
	case AU_DMARC_FOUND_TEMPERROR:
		finding(&l, AU_DMARC_SEV_ERROR, "%s", disc.reason);
		break;
	case AU_DMARC_FOUND_PERMERROR:
		lint_records(&l, dns, dopts.mode, disc.policy_domain);
		finding(&l, AU_DMARC_SEV_ERROR, "%s", disc.reason);
		break;
	case AU_DMARC_FOUND_RECORD:
		finding(&l, AU_DMARC_SEV_INFO, "policy found at _dmarc.%s (%s)",
		    disc.policy_domain, disc.at_author ? "the domain itself" :
		    disc.psd_policy ? "Public Suffix Domain" :
		    "organizational domain");
		if (disc.org_domain)
			finding(&l, AU_DMARC_SEV_INFO, "organizational domain of "
			    "%s: %s (%s)", disc.domain, disc.org_domain,
			    dopts.mode == AU_DMARC_RFC7489 ? "public suffix list" :
			    "DNS tree walk");
		lint_records(&l, dns, dopts.mode, disc.policy_domain);
		lint_policy(&l, &disc, dopts.mode);
		if (au_dmarc_org_domain(d, disc.policy_domain, &porg, &temp) == AU_OK) {
			const au_dmarc_record_info *ri = au_dmarc_record_get(disc.record);

			for (i = 0; i < ri->nrua; i++)
				lint_destination(&l, d, dns, "rua", &ri->rua[i],
				    disc.policy_domain, porg);
			for (i = 0; i < ri->nruf; i++)
				lint_destination(&l, d, dns, "ruf", &ri->ruf[i],
				    disc.policy_domain, porg);
			free(porg);
		}
		break;
	}
	rc = tool_findings_exit(&l, disc.found == AU_DMARC_FOUND_TEMPERROR);
	if (ctx->json) {
		json_t *j = json_object();

		json_object_set_new(j, "domain", tool_json_str(disc.domain ? disc.domain : domain));
		json_object_set_new(j, "policy_domain", disc.policy_domain ?
		    json_string(disc.policy_domain) : json_null());
		json_object_set_new(j, "org_domain", disc.org_domain ?
		    json_string(disc.org_domain) : json_null());
		json_object_set_new(j, "record", disc.record ?
		    tool_json_str(au_dmarc_record_text(disc.record)) : json_null());
		json_object_set_new(j, "mode", json_string(au_dmarc_mode_str(dopts.mode)));
		json_object_set(j, "findings", l.list);
		json_object_set_new(j, "errors", json_integer(l.errors));
		json_object_set_new(j, "warnings", json_integer(l.warnings));
		tool_json_print(j);
	} else
		tool_findings_print(&l);
	tool_findings_free(&l);
	au_dmarc_discovery_clear(&disc);
	au_dmarc_free(d);
	return rc;
}

static const char lint_help[] =
"Finds the DMARC Policy Record that receivers apply to mail from DOMAIN\n"
"and reports what is wrong or weak, one finding a line:\n"
"  SEVERITY: message        (SEVERITY is error, warning or info)\n"
"\n"
"It checks:\n"
"  - where the policy comes from: the DNS Tree Walk of RFC 9989 4.10 (or,\n"
"    with --rfc7489, the Organizational Domain from the Public Suffix\n"
"    List), each query and what it found; several records at one name\n"
"  - the record's syntax: unknown tags, invalid values (which receivers\n"
"    replace by defaults), tags of the other RFC (pct/rf/ri in RFC 9989,\n"
"    np/psd/t in RFC 7489)\n"
"  - the strength of the policy: p=none, sp=none, t=y, pct below 100\n"
"  - report destinations: rua/ruf addresses in another organization must be\n"
"    authorized by a v=DMARC1 TXT record at POLICYDOMAIN._report._dmarc.DEST\n"
"\n"
"Options:\n"
"  --rfc7489     apply RFC 7489 rules instead of RFC 9989\n"
"  --psl FILE    with --rfc7489: the Public Suffix List to use\n"
"\n"
"With --json: {\"domain\", \"policy_domain\", \"org_domain\", \"record\",\n"
"  \"findings\": [{\"severity\", \"message\"}], \"errors\", \"warnings\"}.\n"
"\n"
"Exit status: 0 no error found, 1 an error found (including: no policy),\n"
"2 DNS trouble, 64 usage error.\n"
"\n"
"Example:\n"
"  authtool dmarc lint example.com\n";

const tool_cmd tool_cmds_dmarc[] = {
	{ "dmarc", "record", "[-p POLICY] [--rua URI]... [OPTIONS]",
	  "build a DMARC policy record from flags", record_help, run_record },
	{ "dmarc", "lint", "[--rfc7489] DOMAIN",
	  "find and check the DMARC policy that applies to a domain", lint_help,
	  run_lint },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};
