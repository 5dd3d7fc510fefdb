/*
 * cmd_dkim_lint.c - "authtool dkim lint": fetch the key record of a
 * selector and report what a verifier would object to: syntax (RFC 6376
 * 3.6.1), one record per selector (3.6.2.2), revocation (empty p=), test
 * mode (t=y), key size (RFC 8301 3.2), hash algorithms (h=, RFC 8301 3.1),
 * service type (s=), and with --key whether a private key matches.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_dkim.h"
#include "cmd_dkim.h"
#include "tool.h"

/* Lint one record; prefix names it when there are several. */
static void
lint_record(tool_findings *f, const char *txt, size_t len, const char *prefix,
    const au_dkim_private_key *key, const char *keyfile)
{
	au_dkim_keyrec_info in;

	if (au_dkim_keyrec_parse(txt, len, &in) != AU_OK) {
		tool_finding(f, "error", "%skey record is not usable: %s", prefix, in.reason);
		return;
	}
	if (in.revoked) {
		tool_finding(f, "error", "%sthe key is revoked (empty p=): every signature with this "
		    "selector fails", prefix);
	} else if (in.alg == AU_DKIM_ED25519_SHA256) {
		tool_finding(f, "info", "%sEd25519 key (k=ed25519, RFC 8463)", prefix);
		tool_finding(f, "info", "%sverifiers without Ed25519 support ignore such signatures: "
		    "sign with an RSA key too", prefix);
	} else {
		tool_finding(f, "info", "%sRSA key of %u bits", prefix, in.bits);
		if (in.bits < 1024)
			tool_finding(f, "error", "%sRSA key of %u bits is shorter than 1024: verifiers must "
			    "not accept it (RFC 8301 3.2)", prefix, in.bits);
		else if (in.bits < 2048)
			tool_finding(f, "warning", "%sRSA key of %u bits: 2048 bits or more is recommended "
			    "(RFC 8301 3.2)", prefix, in.bits);
		else if (in.bits > 4096)
			tool_finding(f, "warning", "%sRSA key of %u bits: verifiers need only accept up to "
			    "4096 (RFC 8301 3.2)", prefix, in.bits);
	}
	if (!in.v_present)
		tool_finding(f, "info", "%sno v=DKIM1 tag (optional; when present it must be first)", prefix);
	if (in.testing)
		tool_finding(f, "warning", "%st=y: the domain is testing DKIM; verifiers treat its mail "
		    "as unsigned (RFC 6376 3.6.1)", prefix);
	if (in.strict)
		tool_finding(f, "info", "%st=s: i= must use exactly the d= domain, not a subdomain", prefix);
	if (in.sha1_only)
		tool_finding(f, "error", "%sh= allows only sha1: rsa-sha1 is not accepted any more "
		    "(RFC 8301); use h=sha256 or drop h=", prefix);
	else if (!in.sha256_ok)
		tool_finding(f, "error", "%sh= does not list sha256: no usable hash algorithm", prefix);
	if (!in.email_ok)
		tool_finding(f, "error", "%ss= lists neither email nor *: verifiers ignore the key for mail",
		    prefix);
	if (in.empty_specs)
		tool_finding(f, "warning", "%sempty tag-spec in the record (';;'): some parsers refuse it",
		    prefix);
	if (key && !in.revoked) {
		int m = au_dkim_key_matches_record(key, txt, len);

		if (m == 1)
			tool_finding(f, "info", "%sthe private key %s matches the published key", prefix,
			    keyfile);
		else
			tool_finding(f, "error", "%sthe private key %s does not match the published key",
			    prefix, keyfile);
	}
}

static int
run(tool_ctx *ctx, const char *domain, const char *selector, const char *keyfile)
{
	au_dkim_private_key *key = NULL;
	au_dns *dns;
	au_dns_answer *ans = NULL;
	tool_findings fs, *f = &fs;
	char name[600], prefix[40];
	int rc = TOOL_EXIT_PASS, temp = 0;
	size_t i;

	if (keyfile && (key = dkim_load_key("dkim lint", keyfile, &rc)) == NULL)
		return rc;
	if ((dns = tool_dns(ctx)) == NULL) {
		au_dkim_key_free(key);
		return tool_dns_failed(ctx);
	}
	tool_findings_init(f);
	snprintf(name, sizeof name, "%s._domainkey.%s", selector, domain);
	if (au_dns_query(dns, name, AU_DNS_T_TXT, &ans) != AU_OK || ans == NULL) {
		tool_finding(f, "error", "lookup of %s failed (resolver error)", name);
		temp = 1;
	} else {
		switch (ans->outcome) {
		case AU_DNS_RECORDS:
			if (ans->count > 1)
				tool_finding(f, "error", "%zu TXT records at %s: a selector needs exactly one "
				    "(RFC 6376 3.6.2.2), verifiers pick any", ans->count, name);
			for (i = 0; i < ans->count; i++) {
				if (ans->count > 1)
					snprintf(prefix, sizeof prefix, "record %zu: ", i + 1);
				else
					prefix[0] = '\0';
				lint_record(f, ans->rr[i].u.txt.data, ans->rr[i].u.txt.len, prefix,
				    key, keyfile);
			}
			break;
		case AU_DNS_NXDOMAIN:
			tool_finding(f, "error", "no key record: %s does not exist (NXDOMAIN)", name);
			break;
		case AU_DNS_NODATA:
			tool_finding(f, "error", "no key record: %s has no TXT record", name);
			break;
		default:
			tool_finding(f, "error", "lookup of %s failed: %s", name,
			    ans->reason[0] ? ans->reason : au_dns_outcome_str(ans->outcome));
			temp = 1;
			break;
		}
	}
	if (ctx->json) {
		json_t *j = json_object(), *recs = json_array();

		json_object_set_new(j, "domain", json_string(domain));
		json_object_set_new(j, "selector", json_string(selector));
		json_object_set_new(j, "name", json_string(name));
		if (ans && ans->outcome == AU_DNS_RECORDS)
			for (i = 0; i < ans->count; i++) {
				json_t *s = json_stringn(ans->rr[i].u.txt.data, ans->rr[i].u.txt.len);

				json_array_append_new(recs, s ? s : json_null());
			}
		json_object_set_new(j, "records", recs);
		json_object_set(j, "findings", f->list);
		json_object_set_new(j, "errors", json_integer(f->errors));
		json_object_set_new(j, "warnings", json_integer(f->warnings));
		tool_json_print(j);
	} else
		tool_findings_print(f);
	rc = tool_findings_exit(f, temp);
	au_dns_answer_free(ans);
	au_dkim_key_free(key);
	tool_findings_free(f);
	return rc;
}

int
dkim_run_lint(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "domain",	required_argument, NULL, 'd' },
		{ "selector",	required_argument, NULL, 's' },
		{ "key",	required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = tool_find_cmd(tool_cmds_dkim, "lint");
	const char *domain = NULL, *selector = NULL, *keyfile = NULL;
	int o;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case 'd':
			domain = optarg;
			break;
		case 's':
			selector = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		default:
			return tool_opt_error(cmd, o, argv);
		}
	}
	if (optind < argc)
		return tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (domain == NULL || selector == NULL)
		return tool_usage(cmd, "--domain and --selector are required");
	if (!dkim_name_ok(domain, 1))
		return tool_usage(cmd, "'%s' is not a domain name", domain);
	if (!dkim_name_ok(selector, 1))
		return tool_usage(cmd, "'%s' is not a valid selector", selector);
	return run(ctx, domain, selector, keyfile);
}

const char dkim_lint_help[] =
"Fetches the key record of a selector (S._domainkey.D, TXT) and checks it\n"
"as a verifier would: tag syntax (RFC 6376 3.6.1), exactly one record,\n"
"revocation (empty p=), testing mode (t=y), RSA key size (RFC 8301: error\n"
"under 1024 bits, warning under 2048), hash algorithms (h= with sha1 only\n"
"is an error, RFC 8301) and service type (s=).\n"
"\n"
"Options:\n"
"  --domain D     the signing domain\n"
"  --selector S   the selector\n"
"  --key FILE     also check that this private key (same formats as dkim\n"
"                 sign) matches the published public key\n"
"\n"
"Output: one finding per line, \"SEVERITY: message\", SEVERITY being error,\n"
"warning or info.  With --json: {\"domain\", \"selector\", \"name\",\n"
"\"records\": [...], \"findings\": [{\"severity\", \"message\"}], \"errors\",\n"
"\"warnings\"}.\n"
"\n"
"Exit status: 0 no error found; 1 an error found; 2 the lookup failed\n"
"(DNS trouble); 64 usage error; 65 the key file is unreadable or not a key.\n"
"\n"
"Examples:\n"
"  authtool dkim lint --domain example.com --selector mail2024\n"
"  authtool dkim lint --domain example.com --selector mail2024 --key mail2024.private\n";
