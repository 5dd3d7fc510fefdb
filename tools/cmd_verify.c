/*
 * cmd_verify.c - `authtool verify`: read a message on stdin and run the
 * libauth message session on it (SPF for MAIL FROM and HELO, every DKIM
 * signature, DMARC by RFC 9989 or, with --rfc7489, RFC 7489), then print
 * one Authentication-Results field (RFC 8601) or, with --json, the
 * verdicts, the field and the RFC 9990 aggregate-report record.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_ip.h"
#include "au_msg.h"
#include "msgread.h"
#include "tool.h"

/* msgread callbacks: straight into the session. */
typedef struct feed {
	au_msg		*msg;
	au_status	 st;
} feed;

static int
on_header(void *arg, const char *raw, size_t len, size_t rawlen)
{
	feed *f = arg;

	(void)rawlen;
	return (f->st = au_msg_header(f->msg, raw, len)) != AU_OK;
}

static int
on_eoh(void *arg, const char *sep, size_t seplen)
{
	feed *f = arg;

	(void)sep;
	(void)seplen;
	return (f->st = au_msg_eoh(f->msg)) != AU_OK;
}

static int
on_body(void *arg, const char *chunk, size_t len)
{
	feed *f = arg;

	return (f->st = au_msg_body(f->msg, chunk, len)) != AU_OK;
}

static json_t *
spf_json(const au_spf_verdict *v)
{
	json_t *j = json_object();

	json_object_set_new(j, "result", json_string(au_spf_result_str(v->result)));
	json_object_set_new(j, "domain", tool_json_str(v->domain));
	json_object_set_new(j, "sender", tool_json_str(v->sender));
	json_object_set_new(j, "identity", tool_json_str(v->identity));
	json_object_set_new(j, "reason", tool_json_str(v->reason));
	if (v->explanation)
		json_object_set_new(j, "explanation", tool_json_str(v->explanation));
	if (v->mechanism)
		json_object_set_new(j, "mechanism", tool_json_str(v->mechanism));
	return j;
}

static json_t *
dkim_json(const au_msg_results *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->ndkim; i++) {
		const au_dkim_sig_result *s = r->dkim[i];
		json_t *j = json_object();

		json_object_set_new(j, "result", json_string(au_dkim_result_str(s->result)));
		json_object_set_new(j, "domain", tool_json_str(s->domain));
		json_object_set_new(j, "selector", tool_json_str(s->selector));
		json_object_set_new(j, "reason", tool_json_str(s->reason));
		json_object_set_new(j, "identity", tool_json_str(s->identity));
		json_object_set_new(j, "testing", json_boolean(s->testing));
		json_array_append_new(a, j);
	}
	return a;
}

static const char *
align_str(au_dmarc_align a)
{
	return a == AU_DMARC_ALIGN_STRICT ? "s" : "r";
}

static json_t *
dmarc_json(const au_dmarc_verdict *v)
{
	json_t *j = json_object();

	json_object_set_new(j, "result", json_string(au_dmarc_result_str(v->result)));
	json_object_set_new(j, "domain", tool_json_str(v->from_domain));
	json_object_set_new(j, "policy", json_string(au_dmarc_policy_str(v->policy)));
	json_object_set_new(j, "disposition", json_string(au_dmarc_policy_str(v->disposition)));
	json_object_set_new(j, "policy_tag", tool_json_str(v->policy_tag));
	json_object_set_new(j, "policy_domain", tool_json_str(v->policy_domain));
	json_object_set_new(j, "org_domain", tool_json_str(v->org_domain));
	json_object_set_new(j, "record", tool_json_str(v->record));
	json_object_set_new(j, "spf_aligned", json_boolean(v->spf_aligned));
	json_object_set_new(j, "dkim_aligned", json_boolean(v->dkim_aligned));
	json_object_set_new(j, "testing", json_boolean(v->testing));
	json_object_set_new(j, "sampled_out", json_boolean(v->sampled_out));
	json_object_set_new(j, "nonexistent_domain", json_boolean(v->from_nonexistent));
	json_object_set_new(j, "mode", json_string(au_dmarc_mode_str(v->mode)));
	json_object_set_new(j, "reason", tool_json_str(v->reason));
	return j;
}

/* The RFC 9990 aggregate-report record of this one message. */
static json_t *
report_json(const au_msg_report *p)
{
	const au_dmarc_verdict *v = p->dmarc;
	json_t *j = json_object(), *pe, *ar, *dk, *sp, *pp, *rs;
	size_t i;

	json_object_set_new(j, "source_ip", json_string(p->source_ip));
	json_object_set_new(j, "count", json_integer(1));
	json_object_set_new(j, "header_from", tool_json_str(p->header_from));
	json_object_set_new(j, "envelope_from", tool_json_str(p->envelope_from));
	if (p->envelope_to[0])
		json_object_set_new(j, "envelope_to", tool_json_str(p->envelope_to));
	json_object_set_new(j, "helo", tool_json_str(p->helo));
	if (v && v->record) {
		pp = json_object();
		json_object_set_new(pp, "domain", tool_json_str(v->policy_domain));
		json_object_set_new(pp, "p", json_string(au_dmarc_policy_str(v->pub_p)));
		json_object_set_new(pp, "sp", json_string(au_dmarc_policy_str(v->pub_sp)));
		if (v->mode == AU_DMARC_RFC9989)
			json_object_set_new(pp, "np", json_string(au_dmarc_policy_str(v->pub_np)));
		json_object_set_new(pp, "adkim", json_string(align_str(v->pub_adkim)));
		json_object_set_new(pp, "aspf", json_string(align_str(v->pub_aspf)));
		json_object_set_new(pp, "fo", tool_json_str(v->pub_fo));
		if (v->mode == AU_DMARC_RFC9989)
			json_object_set_new(pp, "testing", json_string(v->pub_testing ? "y" : "n"));
		else
			json_object_set_new(pp, "pct", json_integer(v->pub_pct));
		json_object_set_new(pp, "discovery_method", json_string(p->discovery_method));
		json_object_set_new(j, "policy_published", pp);
	}
	pe = json_object();
	json_object_set_new(pe, "disposition", json_string(v && v->result == AU_DMARC_FAIL ?
	    au_dmarc_policy_str(v->disposition) : v && v->result == AU_DMARC_PASS &&
	    v->policy != AU_DMARC_POLICY_NONE ? "pass" : "none"));
	json_object_set_new(pe, "dkim", json_string(v && v->dkim_aligned ? "pass" : "fail"));
	json_object_set_new(pe, "spf", json_string(v && v->spf_aligned ? "pass" : "fail"));
	rs = json_array();
	if (v && v->result == AU_DMARC_FAIL && v->testing) {
		json_t *r = json_object();

		json_object_set_new(r, "type", json_string("policy_test_mode"));
		json_array_append_new(rs, r);
	}
	if (v && v->result == AU_DMARC_FAIL && v->sampled_out) {
		json_t *r = json_object();

		json_object_set_new(r, "type", json_string("sampled_out"));
		json_array_append_new(rs, r);
	}
	json_object_set_new(pe, "reason", rs);
	json_object_set_new(j, "policy_evaluated", pe);
	ar = json_object();
	dk = json_array();
	for (i = 0; i < p->ndkim; i++) {
		json_t *d = json_object();

		json_object_set_new(d, "domain", tool_json_str(p->dkim[i]->domain));
		json_object_set_new(d, "selector", tool_json_str(p->dkim[i]->selector));
		json_object_set_new(d, "result", json_string(au_dkim_result_str(p->dkim[i]->result)));
		json_object_set_new(d, "human_result", tool_json_str(p->dkim[i]->reason));
		json_array_append_new(dk, d);
	}
	json_object_set_new(ar, "dkim", dk);
	sp = json_object();
	json_object_set_new(sp, "domain", tool_json_str(p->spf_domain));
	json_object_set_new(sp, "scope", json_string(p->spf_scope));
	json_object_set_new(sp, "result", json_string(au_spf_result_str(p->spf_result)));
	json_object_set_new(ar, "spf", sp);
	json_object_set_new(j, "auth_results", ar);
	return j;
}

/*
 * Exit code (shared/CONTRACT.md): 0 DMARC pass, or no DMARC policy and an
 * SPF or DKIM pass aligned (relaxed) with the From domain; 1 otherwise;
 * 2 temperror; 3 permerror.
 */
static int
verdict_exit(au_dmarc *d, const au_msg_results *r)
{
	const au_dmarc_verdict *v = r->dmarc;
	size_t i;

	if (v == NULL)
		return TOOL_EXIT_NEGATIVE;
	switch (v->result) {
	case AU_DMARC_PASS:
		return TOOL_EXIT_PASS;
	case AU_DMARC_TEMPERROR:
		return TOOL_EXIT_TEMPERROR;
	case AU_DMARC_PERMERROR:
		return TOOL_EXIT_PERMERROR;
	case AU_DMARC_FAIL:
		return TOOL_EXIT_NEGATIVE;
	case AU_DMARC_NONE:
		break;
	}
	if (v->from_domain == NULL)
		return TOOL_EXIT_NEGATIVE;
	if (r->spf_mailfrom.result == AU_SPF_PASS && r->spf_mailfrom.domain &&
	    au_dmarc_aligned(d, v->from_domain, r->spf_mailfrom.domain,
	    AU_DMARC_ALIGN_RELAXED) > 0)
		return TOOL_EXIT_PASS;
	for (i = 0; i < r->ndkim; i++)
		if (r->dkim[i]->result == AU_DKIM_PASS && r->dkim[i]->domain &&
		    au_dmarc_aligned(d, v->from_domain, r->dkim[i]->domain,
		    AU_DMARC_ALIGN_RELAXED) > 0)
			return TOOL_EXIT_PASS;
	return TOOL_EXIT_NEGATIVE;
}

/* The field with LF line ends, for a terminal. */
static void
print_field(const char *field)
{
	for (; *field; field++)
		if (*field != '\r')
			putchar(*field);
	putchar('\n');
}

static int
run_verify(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ip",		 required_argument, NULL, 'i' },
		{ "mfrom",	 required_argument, NULL, 'm' },
		{ "helo",	 required_argument, NULL, 'H' },
		{ "authserv-id", required_argument, NULL, 'a' },
		{ "rcpt",	 required_argument, NULL, 'R' },
		{ "receiver",	 required_argument, NULL, 'r' },
		{ "rfc7489",	 no_argument,	    NULL, '7' },
		{ "no-helo-check", no_argument,	    NULL, 'n' },
		{ "psl",	 required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = &tool_cmds_verify[0];
	const char *ip = NULL, *mfrom = NULL, *helo = NULL, *rcpt = NULL;
	const char *psl = NULL;
	au_msg_opts mo;
	au_dmarc_opts dopts;
	au_dmarc *dmarc = NULL;
	au_msg *msg = NULL;
	au_dns *dns;
	char err[512], *value = NULL, *field = NULL, *dflt_helo = NULL;
	msgread_ops ops = { on_header, on_eoh, on_body };
	msgread_status ms;
	feed f;
	au_status st;
	int o, rc;

	memset(&mo, 0, sizeof mo);
	memset(&dopts, 0, sizeof dopts);
	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case 'i': ip = optarg; break;
		case 'm': mfrom = optarg; break;
		case 'H': helo = optarg; break;
		case 'a': mo.authserv_id = optarg; break;
		case 'R': rcpt = optarg; break;
		case 'r': mo.receiver = optarg; break;
		case '7': dopts.mode = AU_DMARC_RFC7489; break;
		case 'n': mo.no_helo_spf = 1; break;
		case 'P': psl = optarg; break;
		default:
			return tool_opt_error(cmd, o, argv);
		}
	}
	if (optind < argc)
		return tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (ip == NULL)
		return tool_usage(cmd, "--ip is required");
	{
		au_ip addr;

		if (au_ip_parse_str(ip, &addr) != AU_OK)
			return tool_usage(cmd, "--ip wants an IPv4 or IPv6 address, not '%s'", ip);
	}
	if (mfrom == NULL)
		return tool_usage(cmd, "--mfrom is required (use --mfrom '' for the null reverse-path)");
	if (helo == NULL || helo[0] == '\0') {
		const char *at = strrchr(mfrom, '@');

		if (mfrom[0] == '\0' || strcmp(mfrom, "<>") == 0 || at == NULL)
			return tool_usage(cmd, "--helo NAME is required");
		if ((dflt_helo = strdup(at + 1)) == NULL) {
			tool_err("verify", "out of memory");
			return TOOL_EXIT_TEMPERROR;
		}
		/* "<user@example.com>": the brackets are not part of the name. */
		dflt_helo[strcspn(dflt_helo, ">")] = '\0';
		if (dflt_helo[0] == '\0') {
			free(dflt_helo);
			return tool_usage(cmd, "--helo NAME is required");
		}
		helo = dflt_helo;
	}
	if (psl && dopts.mode != AU_DMARC_RFC7489) {
		free(dflt_helo);
		return tool_usage(cmd, "--psl is only used with --rfc7489");
	}
	dopts.psl_file = psl;
	if ((dns = tool_dns(ctx)) == NULL) {
		free(dflt_helo);
		return tool_dns_failed(ctx);
	}
	if ((st = au_dmarc_new(&dmarc, dns, &dopts, err, sizeof err)) != AU_OK) {
		tool_err("verify", "%s", err[0] ? err : au_strerror(st));
		free(dflt_helo);
		return st == AU_ENOMEM ? TOOL_EXIT_TEMPERROR : TOOL_EXIT_DATAERR;
	}
	mo.dmarc = dmarc;
	mo.dmarc_mode = dopts.mode;
	rc = TOOL_EXIT_TEMPERROR;
	if ((st = au_msg_new(&msg, dns, &mo)) != AU_OK ||
	    (st = au_msg_connect(msg, ip, helo)) != AU_OK) {
		if (st == AU_EINVAL) {
			rc = tool_usage(cmd, "--ip wants an IPv4 or IPv6 address, not '%s'", ip);
			goto out;
		}
		tool_err("verify", "%s", au_strerror(st));
		goto out;
	}
	if ((st = au_msg_mailfrom(msg, mfrom)) != AU_OK) {
		if (st == AU_EINVAL)
			rc = tool_usage(cmd, "--ip or --mfrom is not usable ('%s', '%s')", ip, mfrom);
		else
			tool_err("verify", "SPF check: %s", au_strerror(st));
		goto out;
	}
	if (rcpt && (st = au_msg_rcpt(msg, rcpt)) != AU_OK) {
		tool_err("verify", "%s", au_strerror(st));
		goto out;
	}
	f.msg = msg;
	f.st = AU_OK;
	ms = tool_read_message("verify", &ops, &f, NULL, &rc);
	if (ms == MSGREAD_ABORT) {
		tool_err("verify", "%s", au_strerror(f.st));
		rc = f.st == AU_ETOOBIG || f.st == AU_ESYNTAX ?
		    TOOL_EXIT_DATAERR : TOOL_EXIT_TEMPERROR;
		goto out;
	}
	if (ms != MSGREAD_OK)
		goto out;
	if ((st = au_msg_eom(msg)) != AU_OK) {
		tool_err("verify", "%s", au_strerror(st));
		goto out;
	}
	if ((st = au_msg_ar_value(msg, &value)) != AU_OK) {
		tool_err("verify", "building Authentication-Results: %s", au_strerror(st));
		goto out;
	}
	if ((field = malloc(strlen(value) + 32)) == NULL) {
		tool_err("verify", "out of memory");
		goto out;
	}
	snprintf(field, strlen(value) + 32, "Authentication-Results: %s", value);
	{
		const au_msg_results *r = au_msg_results_get(msg);

		rc = verdict_exit(dmarc, r);
		if (ctx->json) {
			json_t *j = json_object();

			json_object_set_new(j, "spf", spf_json(&r->spf_mailfrom));
			if (r->spf_helo.identity)
				json_object_set_new(json_object_get(j, "spf"), "helo",
				    spf_json(&r->spf_helo));
			json_object_set_new(j, "dkim", dkim_json(r));
			json_object_set_new(j, "dmarc", r->dmarc ? dmarc_json(r->dmarc) :
			    json_null());
			json_object_set_new(j, "authentication_results", tool_json_str(field));
			json_object_set_new(j, "from_fields", json_integer((json_int_t)r->nfrom));
			if (r->from_problem)
				json_object_set_new(j, "from_problem", tool_json_str(r->from_problem));
			json_object_set_new(j, "report", report_json(au_msg_report_record(msg)));
			tool_json_print(j);
		} else
			print_field(field);
	}
out:
	free(field);
	free(value);
	au_msg_free(msg);
	au_dmarc_free(dmarc);
	free(dflt_helo);
	return rc;
}

static const char verify_help[] =
"Reads one message (RFC 5322, CRLF or LF line ends) on standard input and\n"
"authenticates it as a receiving MTA would:\n"
"  - SPF (RFC 7208) for the MAIL FROM identity and for the HELO identity;\n"
"    with the null reverse-path (--mfrom '') MAIL FROM is postmaster@HELO;\n"
"  - DKIM (RFC 6376, RFC 8301, RFC 8463): every DKIM-Signature field;\n"
"  - DMARC: RFC 9989 by default (DNS Tree Walk, np=, psd=, t=), RFC 7489\n"
"    with --rfc7489 (Public Suffix List, pct=).\n"
"It prints one Authentication-Results field (RFC 8601) naming spf, dkim and\n"
"dmarc, with the reasons in comments.\n"
"\n"
"Options:\n"
"  --ip IP             the SMTP client address (IPv4 or IPv6), required\n"
"  --mfrom SENDER      the MAIL FROM address, required; '' or '<>' is the\n"
"                      null reverse-path\n"
"  --helo NAME         the HELO/EHLO name; default: the domain of --mfrom\n"
"                      (required with the null reverse-path)\n"
"  --authserv-id ID    the authserv-id written into the field (default:\n"
"                      this host's name)\n"
"  --rcpt ADDRESS      an envelope recipient (only for the report record)\n"
"  --receiver NAME     this host's name for SPF's %{r} macro\n"
"  --rfc7489           evaluate DMARC by RFC 7489 instead of RFC 9989\n"
"  --psl FILE          with --rfc7489: the Public Suffix List to use\n"
"                      (default: the system list, else libpsl's built-in)\n"
"  --no-helo-check     do not check the HELO identity with SPF\n"
"\n"
"Several From fields or addresses: each From domain is evaluated (at most\n"
"4) and the strictest outcome is reported (RFC 9989 11.5).  No From field,\n"
"or one that cannot be parsed or has no domain, gives dmarc=permerror.\n"
"\n"
"Output: the field, folded, with LF line ends.  With --json: one object\n"
"  {\"spf\": {\"result\", \"domain\", \"sender\", \"reason\", \"helo\": {...}},\n"
"   \"dkim\": [{\"result\", \"domain\", \"selector\", \"reason\", ...}],\n"
"   \"dmarc\": {\"result\", \"domain\", \"policy\", \"disposition\", \"policy_tag\",\n"
"             \"policy_domain\", \"org_domain\", \"spf_aligned\", \"dkim_aligned\",\n"
"             \"testing\", \"reason\", ...},\n"
"   \"authentication_results\": the field with CRLF folding,\n"
"   \"report\": the RFC 9990 aggregate-report record of this message}\n"
"\n"
"Exit status: 0 DMARC pass (or no DMARC policy and an SPF or DKIM pass\n"
"aligned with the From domain), 1 DMARC fail or no aligned pass, 2 DNS\n"
"temperror, 3 permerror (broken record, unusable From), 64 usage error,\n"
"65 the input is not a message.\n"
"\n"
"Examples:\n"
"  authtool verify --ip 192.0.2.1 --mfrom alice@example.com \\\n"
"      --helo mail.example.com < message.eml\n"
"  authtool --json --zone test.zone verify --rfc7489 --ip 192.0.2.1 \\\n"
"      --mfrom '' --helo mx.example.org < bounce.eml | jq .dmarc\n";

const tool_cmd tool_cmds_verify[] = {
	{ NULL, "verify",
	  "--ip IP --mfrom SENDER --helo NAME [--authserv-id ID] [--rfc7489]",
	  "check SPF, DKIM and DMARC of a message; print Authentication-Results",
	  verify_help, run_verify },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};
