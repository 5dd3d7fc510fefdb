/*
 * cmd_spf.c - the authtool "spf" commands:
 *   spf check   check_host() of RFC 7208 for an IP and a sender
 *   spf record  build an SPF record from flags (RFC 7208 sections 5, 6, 12)
 *   spf lint    walk a domain's SPF record tree and report problems
 *               (RFC 7208 3.2, 3.4, 4.6.4, 5.5, 11.1)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_ip.h"
#include "au_spf.h"
#include "tool.h"
#include "cmd_spf.h"

/* Exit code of an SPF result (shared/CONTRACT.md). */
static int
spf_exit_code(au_spf_result r)
{
	switch (r) {
	case AU_SPF_PASS:
		return TOOL_EXIT_PASS;
	case AU_SPF_TEMPERROR:
		return TOOL_EXIT_TEMPERROR;
	case AU_SPF_PERMERROR:
		return TOOL_EXIT_PERMERROR;
	default:
		return TOOL_EXIT_NEGATIVE;
	}
}

/* A JSON string for a C string that may hold any bytes (NULL: null). */
static json_t *
jtext(const char *s)
{
	return s ? tool_json_text(s, strlen(s)) : json_null();
}

/* ---------------------------------------------------------------- check */

static int
run_check(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ip",		required_argument, NULL, 'i' },
		{ "mfrom",	required_argument, NULL, 'm' },
		{ "helo",	required_argument, NULL, 'H' },
		{ "receiver",	required_argument, NULL, 'r' },
		{ "identity",	required_argument, NULL, 'I' },
		{ "no-exp",	no_argument,	   NULL, 'E' },
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = tool_find_cmd(tool_cmds_spf, "check");
	const char *ip = NULL, *mfrom = NULL, *helo = NULL, *receiver = NULL;
	const char *at;
	int helo_id = 0, o, rc = TOOL_EXIT_PASS;
	char *dflt_helo = NULL;
	au_spf_opts opts;
	au_spf_verdict v;
	au_status st;
	au_ip addr;
	au_dns *dns;

	memset(&opts, 0, sizeof opts);
	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case 'i':
			ip = optarg;
			break;
		case 'm':
			mfrom = optarg;
			break;
		case 'H':
			helo = optarg;
			break;
		case 'r':
			receiver = optarg;
			break;
		case 'I':
			if (strcmp(optarg, "helo") == 0)
				helo_id = 1;
			else if (strcmp(optarg, "mailfrom") == 0)
				helo_id = 0;
			else
				return tool_usage(cmd, "--identity wants 'mailfrom' or 'helo', not '%s'", optarg);
			break;
		case 'E':
			opts.no_explanation = 1;
			break;
		default:
			return tool_opt_error(cmd, o, argv);
		}
	}
	if (optind < argc)
		return tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (ip == NULL)
		return tool_usage(cmd, "--ip is required");
	if (au_ip_parse_str(ip, &addr) != AU_OK)
		return tool_usage(cmd, "--ip wants an IPv4 or IPv6 address, not '%s'", ip);
	if (helo_id) {
		if (helo == NULL || helo[0] == '\0')
			return tool_usage(cmd, "--identity helo needs --helo NAME");
	} else {
		if (mfrom == NULL)
			return tool_usage(cmd, "--mfrom is required (use --mfrom '' for the null reverse-path)");
		if ((mfrom[0] == '\0' || strcmp(mfrom, "<>") == 0) &&
		    (helo == NULL || helo[0] == '\0'))
			return tool_usage(cmd, "the null reverse-path (--mfrom '') is checked as postmaster@HELO: give --helo NAME");
		if (helo == NULL) {
			/* Without --helo, %{h} is the sender's domain. */
			at = strrchr(mfrom, '@');
			dflt_helo = strdup(at ? at + 1 : mfrom);
			if (dflt_helo == NULL) {
				tool_err("spf check", "out of memory");
				return TOOL_EXIT_TEMPERROR;
			}
			helo = dflt_helo;
		}
	}
	opts.receiver = receiver;
	if ((dns = tool_dns(ctx)) == NULL) {
		free(dflt_helo);
		return tool_dns_failed(ctx);
	}
	if (helo_id)
		st = au_spf_check_helo(dns, &opts, ip, helo, &v);
	else
		st = au_spf_check_mailfrom(dns, &opts, ip, mfrom, helo, &v);
	if (st != AU_OK) {
		tool_err("spf check", "%s", au_strerror(st));
		free(dflt_helo);
		return TOOL_EXIT_TEMPERROR;
	}
	if (ctx->json) {
		json_t *j = json_object();

		json_object_set_new(j, "result", json_string(au_spf_result_str(v.result)));
		if (v.explanation)
			json_object_set_new(j, "explanation", jtext(v.explanation));
		json_object_set_new(j, "reason", jtext(v.reason));
		json_object_set_new(j, "identity", jtext(v.identity ? v.identity : ""));
		json_object_set_new(j, "domain", jtext(v.domain));
		json_object_set_new(j, "sender", jtext(v.sender));
		json_object_set_new(j, "mechanism", jtext(v.mechanism));
		json_object_set_new(j, "dns_lookups", json_integer(v.dns_lookups));
		json_object_set_new(j, "void_lookups", json_integer(v.void_lookups));
		tool_json_print(j);
	} else {
		printf("%s", au_spf_result_str(v.result));
		if (v.explanation)
			printf(" %s", v.explanation);
		if (v.reason[0])
			printf(" (%s)", v.reason);
		putchar('\n');
	}
	rc = spf_exit_code(v.result);
	au_spf_verdict_clear(&v);
	free(dflt_helo);
	return rc;
}

static const char check_help[] =
"Evaluates the SPF policy of the sender's domain for a client address:\n"
"check_host() of RFC 7208 with the MAIL FROM identity (or the HELO identity\n"
"with --identity helo), including include/redirect, macros, the limit of 10\n"
"DNS-querying terms, the limit of 2 void lookups and exp= explanations.\n"
"\n"
"Options:\n"
"  --ip IP           the SMTP client address, IPv4 or IPv6 (an IPv4-mapped\n"
"                    IPv6 address such as ::ffff:192.0.2.1 is checked as IPv4)\n"
"  --mfrom SENDER    the MAIL FROM address.  '' or '<>' is the null\n"
"                    reverse-path: postmaster@HELO is checked.  A sender\n"
"                    without local-part (\"@example.com\") or without \"@\"\n"
"                    (\"example.com\") is checked as postmaster@DOMAIN\n"
"  --helo NAME       the HELO/EHLO name: the domain of the null reverse-path\n"
"                    and the value of the %{h} macro.  Default: the domain\n"
"                    of --mfrom (required with --mfrom '')\n"
"  --receiver NAME   this host's name, for the %{r} macro in explanations\n"
"                    (default \"unknown\")\n"
"  --identity ID     mailfrom (default) or helo: check postmaster@HELO as\n"
"                    the HELO identity (RFC 7208 2.3); --mfrom not needed\n"
"  --no-exp          do not look up exp= explanations\n"
"\n"
"Output: one line, the result first (pass fail softfail neutral none\n"
"permerror temperror), then for fail the explanation (the domain's exp=\n"
"text, or a default one), then the reason in parentheses: the term that\n"
"matched, the DNS lookup that failed, the limit that was hit, the syntax\n"
"error.  With --json: {\"result\", \"explanation\" (fail only), \"reason\",\n"
"\"identity\", \"domain\", \"sender\", \"mechanism\" (the matching term, or\n"
"null), \"dns_lookups\", \"void_lookups\"}.\n"
"\n"
"Exit status: 0 pass; 1 fail, softfail, neutral or none; 2 temperror;\n"
"3 permerror; 64 usage error.\n"
"\n"
"Examples:\n"
"  authtool spf check --ip 192.0.2.1 --mfrom user@example.com --helo mx.example.net\n"
"  authtool --json spf check --ip 2001:db8::1 --mfrom '' --helo mail.example.org\n"
"  authtool --zone example.zone spf check --ip 192.0.2.1 --mfrom a@example.com\n";

const tool_cmd tool_cmds_spf[] = {
	{ "spf", "check", "--ip IP --mfrom SENDER [--helo NAME] [--receiver NAME] [--identity ID] [--no-exp]",
	  "check an SMTP client against the sender's SPF policy (RFC 7208)",
	  check_help, run_check },
	{ "spf", "record", "[--ip4 NET] [--ip6 NET] [--a [D]] [--mx [D]] [--include D] ... [--all RESULT | --redirect D]",
	  "build an SPF record from flags and report its DNS-lookup cost",
	  spf_record_help, spf_run_record },
	{ "spf", "lint", "DOMAIN",
	  "check a domain's SPF record and everything it includes",
	  spf_lint_help, spf_run_lint },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};
