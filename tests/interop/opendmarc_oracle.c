/*
 * opendmarc_oracle.c - ask libopendmarc (OpenDMARC's policy library,
 * RFC 7489 behaviour) for its DMARC verdict on one message, for the
 * differential test dmarc_diff.py.  No network: DMARC records are handed
 * to the library's fake-DNS table, so OpenDMARC runs its own policy
 * discovery (author domain, then its Organizational Domain from the
 * public suffix file) on exactly the records given.
 *
 * usage: opendmarc_oracle --tld FILE --from DOMAIN
 *            [--record NAME=TEXT]...       (NAME like _dmarc.example.com)
 *            [--spf DOMAIN:RESULT]         (pass fail softfail neutral none temperror ...)
 *            [--dkim DOMAIN:RESULT]...     (pass fail temperror ...)
 * prints one line:
 *   result=pass|fail|none|permerror|temperror policy=none|quarantine|reject
 *   used=p|sp|- domain=UTILIZED-DOMAIN dkim_aligned=0|1 spf_aligned=0|1 status=N
 *
 * Run without arguments (as automake's test driver does, since this is a
 * check program) it prints a TAP skip line and exits 0.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <opendmarc/dmarc.h>

#define MAX_ITEMS 32

static int
spf_code(const char *r)
{
	if (strcmp(r, "pass") == 0)
		return DMARC_POLICY_SPF_OUTCOME_PASS;
	if (strcmp(r, "temperror") == 0)
		return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
	if (strcmp(r, "none") == 0)
		return DMARC_POLICY_SPF_OUTCOME_NONE;
	return DMARC_POLICY_SPF_OUTCOME_FAIL;	/* fail softfail neutral permerror */
}

static int
dkim_code(const char *r)
{
	if (strcmp(r, "pass") == 0)
		return DMARC_POLICY_DKIM_OUTCOME_PASS;
	if (strcmp(r, "temperror") == 0)
		return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
	if (strcmp(r, "none") == 0)
		return DMARC_POLICY_DKIM_OUTCOME_NONE;
	return DMARC_POLICY_DKIM_OUTCOME_FAIL;
}

/* Split "DOMAIN:RESULT" in place. */
static int
split(char *s, char **dom, char **res)
{
	char *c = strrchr(s, ':');

	if (c == NULL)
		return -1;
	*c = '\0';
	*dom = s;
	*res = c + 1;
	return 0;
}

int
main(int argc, char **argv)
{
	OPENDMARC_LIB_T lib;
	DMARC_POLICY_T *pctx;
	char *from = NULL, *tld = NULL, *spf = NULL, *dkim[MAX_ITEMS];
	char used_dom[256] = "-";
	int ndkim = 0, i, st, pol, align_d = 0, align_s = 0, used;
	const char *result, *policy;

	if (argc == 1) {
		printf("1..0 # SKIP helper of dmarc_diff.py, not a test\n");
		return 0;
	}
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--from") == 0)
			from = argv[i + 1];
		else if (strcmp(argv[i], "--tld") == 0)
			tld = argv[i + 1];
		else if (strcmp(argv[i], "--spf") == 0)
			spf = argv[i + 1];
		else if (strcmp(argv[i], "--dkim") == 0 && ndkim < MAX_ITEMS)
			dkim[ndkim++] = argv[i + 1];
		else if (strcmp(argv[i], "--record") == 0) {
			char *eq = strchr(argv[i + 1], '=');

			if (eq == NULL) {
				fprintf(stderr, "--record wants NAME=TEXT\n");
				return 64;
			}
			*eq = '\0';
			opendmarc_dns_fake_record(argv[i + 1], eq + 1);
		} else {
			fprintf(stderr, "unknown argument %s\n", argv[i]);
			return 64;
		}
	}
	if (i != argc || from == NULL || tld == NULL) {
		fprintf(stderr, "usage: opendmarc_oracle --tld FILE --from DOMAIN ...\n");
		return 64;
	}
	/* No record at all must still use the fake table (not the network). */
	opendmarc_dns_fake_record("_dmarc.invalid.", "none");

	memset(&lib, 0, sizeof lib);
	lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
	snprintf((char *)lib.tld_source_file, sizeof lib.tld_source_file, "%s", tld);
	if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY) {
		fprintf(stderr, "opendmarc_policy_library_init failed (%s)\n", tld);
		return 70;
	}
	pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 0);
	if (pctx == NULL)
		return 70;
	st = opendmarc_policy_store_from_domain(pctx, (u_char *)from);
	if (st != DMARC_PARSE_OKAY) {
		printf("result=permerror policy=none used=- domain=- dkim_aligned=0 "
		    "spf_aligned=0 status=%d\n", st);
		return 0;
	}
	if (spf) {
		char *d, *r;

		if (split(spf, &d, &r) == 0)
			opendmarc_policy_store_spf(pctx, (u_char *)d, spf_code(r),
			    DMARC_POLICY_SPF_ORIGIN_MAILFROM, NULL);
	}
	for (i = 0; i < ndkim; i++) {
		char *d, *r;

		if (split(dkim[i], &d, &r) == 0)
			opendmarc_policy_store_dkim(pctx, (u_char *)d,
			    (u_char *)"sel", dkim_code(r), NULL);
	}
	st = opendmarc_policy_query_dmarc(pctx, (u_char *)from);
	if (st != DMARC_PARSE_OKAY && st != DMARC_DNS_ERROR_NO_RECORD &&
	    st != DMARC_DNS_ERROR_NXDOMAIN) {
		/* What the OpenDMARC filter writes for these. */
		result = st == DMARC_DNS_ERROR_TMPERR ? "temperror" : "permerror";
		printf("result=%s policy=none used=- domain=- dkim_aligned=0 "
		    "spf_aligned=0 status=%d\n", result, st);
		opendmarc_policy_connect_shutdown(pctx);
		return 0;
	}
	pol = opendmarc_get_policy_to_enforce(pctx);
	opendmarc_policy_fetch_alignment(pctx, &align_d, &align_s);
	opendmarc_policy_fetch_utilized_domain(pctx, (u_char *)used_dom, sizeof used_dom);
	used = opendmarc_get_policy_token_used(pctx);
	switch (pol) {
	case DMARC_POLICY_ABSENT:
		result = "none";
		policy = "none";
		break;
	case DMARC_POLICY_PASS:
		result = "pass";
		policy = "none";
		break;
	case DMARC_POLICY_REJECT:
		result = "fail";
		policy = "reject";
		break;
	case DMARC_POLICY_QUARANTINE:
		result = "fail";
		policy = "quarantine";
		break;
	case DMARC_POLICY_NONE:
		result = "fail";
		policy = "none";
		break;
	default:
		result = "permerror";
		policy = "none";
		break;
	}
	printf("result=%s policy=%s used=%s domain=%s dkim_aligned=%d spf_aligned=%d "
	    "status=%d\n", result, policy, pol == DMARC_POLICY_ABSENT ? "-" :
	    used == DMARC_USED_POLICY_IS_SP ? "sp" : "p", used_dom,
	    align_d == DMARC_POLICY_DKIM_ALIGNMENT_PASS,
	    align_s == DMARC_POLICY_SPF_ALIGNMENT_PASS, pol);
	opendmarc_policy_connect_shutdown(pctx);
	opendmarc_policy_library_shutdown(&lib);
	return 0;
}
