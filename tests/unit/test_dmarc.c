/*
 * test_dmarc.c - unit tests for DMARC: the record parser under RFC 9989
 * and RFC 7489 rules (4.7/4.8, 6.3/6.4), policy discovery (the RFC 9989
 * 4.10 DNS Tree Walk with its 8-label rule, psd=y/n, multiple records;
 * RFC 7489 6.6.3 with the Public Suffix List), identifier alignment
 * (relaxed and strict, including the strict trap: an Organizational
 * Domain match never passes strict), the policy that applies (p, sp, np
 * for non-existent subdomains), disposition (t=y; pct with an injected
 * random source) and several Author Domains.  DNS comes from in-memory
 * zones; the expected outcomes are those the RFC texts prescribe.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "au_dmarc.h"

/* ---------------------------------------------------------------- record */

static au_dmarc_record *
parse_ok(const char *txt, au_dmarc_mode mode)
{
	au_dmarc_record *r = NULL;
	char err[256];
	au_status st;

	st = au_dmarc_record_parse(txt, strlen(txt), mode, &r, err, sizeof err);
	if (st != AU_OK)
		fail_msg("'%s' did not parse: %s (%s)", txt, au_strerror(st), err);
	return r;
}

static void
parse_status(const char *txt, au_dmarc_mode mode, au_status want)
{
	au_dmarc_record *r = NULL;
	char err[256];
	au_status st;

	st = au_dmarc_record_parse(txt, strlen(txt), mode, &r, err, sizeof err);
	if (st != want)
		fail_msg("'%s': got %s, want %s", txt, au_strerror(st), au_strerror(want));
	if (st == AU_OK)
		assert_non_null(r);
	else {
		assert_null(r);
		assert_true(err[0] != '\0');
	}
	au_dmarc_record_free(r);
}

static int
has_warning(const au_dmarc_record *r, const char *part)
{
	size_t i;

	for (i = 0; i < au_dmarc_record_warning_count(r); i++)
		if (strstr(au_dmarc_record_warning(r, i), part))
			return 1;
	return 0;
}

static void
test_record_basic(void **state)
{
	au_dmarc_record *r;
	const au_dmarc_record_info *i;
	int m;

	(void)state;
	for (m = 0; m < 2; m++) {
		r = parse_ok("v=DMARC1; p=reject", (au_dmarc_mode)m);
		i = au_dmarc_record_get(r);
		assert_int_equal(i->p, AU_DMARC_POLICY_REJECT);
		assert_int_equal(i->sp, AU_DMARC_POLICY_REJECT);
		assert_int_equal(i->np, AU_DMARC_POLICY_REJECT);
		assert_int_equal(i->adkim, AU_DMARC_ALIGN_RELAXED);
		assert_int_equal(i->aspf, AU_DMARC_ALIGN_RELAXED);
		assert_int_equal(i->pct, 100);
		assert_string_equal(i->fo, "0");
		assert_int_equal(au_dmarc_record_warning_count(r), 0);
		au_dmarc_record_free(r);

		/* White space around separators and '=', trailing ';'. */
		r = parse_ok("  v = DMARC1 ;p =quarantine ;  sp= none ;adkim=s; aspf=s;  ",
		    (au_dmarc_mode)m);
		i = au_dmarc_record_get(r);
		assert_int_equal(i->p, AU_DMARC_POLICY_QUARANTINE);
		assert_int_equal(i->sp, AU_DMARC_POLICY_NONE);
		assert_true(i->has_sp);
		assert_int_equal(i->adkim, AU_DMARC_ALIGN_STRICT);
		assert_int_equal(i->aspf, AU_DMARC_ALIGN_STRICT);
		au_dmarc_record_free(r);

		/* ABNF keywords are case-insensitive; the version is not. */
		r = parse_ok("v=DMARC1; P=Reject", (au_dmarc_mode)m);
		assert_int_equal(au_dmarc_record_get(r)->p, AU_DMARC_POLICY_REJECT);
		au_dmarc_record_free(r);
	}
}

static void
test_record_not_dmarc(void **state)
{
	static const char *not[] = {
		"", "v=DMARC2; p=none", "v=dmarc1; p=none", "p=none; v=DMARC1",
		"v=spf1 -all", "v=DMARC1 p=none", "v=DMARC10; p=none",
		"x=DMARC1; p=none", "v=DMARC", NULL
	};
	int i;

	(void)state;
	for (i = 0; not[i]; i++) {
		parse_status(not[i], AU_DMARC_RFC9989, AU_ENOTFOUND);
		parse_status(not[i], AU_DMARC_RFC7489, AU_ENOTFOUND);
	}
}

static void
test_record_invalid_policy(void **state)
{
	au_dmarc_record *r;
	const au_dmarc_record_info *i;

	(void)state;
	/* OpenDMARC takes p=r as reject; the ABNF does not. */
	parse_status("v=DMARC1; p=r", AU_DMARC_RFC9989, AU_ESYNTAX);
	parse_status("v=DMARC1; p=r", AU_DMARC_RFC7489, AU_ESYNTAX);
	parse_status("v=DMARC1; p=rejected", AU_DMARC_RFC9989, AU_ESYNTAX);
	parse_status("v=DMARC1; p=", AU_DMARC_RFC9989, AU_ESYNTAX);
	parse_status("v=DMARC1", AU_DMARC_RFC9989, AU_ESYNTAX);
	parse_status("v=DMARC1; sp=reject", AU_DMARC_RFC9989, AU_ESYNTAX);
	parse_status("v=DMARC1; p=reject; sp=bogus", AU_DMARC_RFC9989, AU_ESYNTAX);
	parse_status("v=DMARC1; p=reject; np=bogus", AU_DMARC_RFC9989, AU_ESYNTAX);
	/* np is not an RFC 7489 tag: an invalid one is just ignored there. */
	parse_status("v=DMARC1; p=reject; np=bogus", AU_DMARC_RFC7489, AU_OK);
	/* An invalid rua does not save it. */
	parse_status("v=DMARC1; p=r; rua=nothing", AU_DMARC_RFC9989, AU_ESYNTAX);

	/* RFC 9989 4.10.1: a valid rua= URI -> act as p=none. */
	r = parse_ok("v=DMARC1; p=r; sp=reject; rua=mailto:d@example.com", AU_DMARC_RFC9989);
	i = au_dmarc_record_get(r);
	assert_true(i->p_fallback);
	assert_int_equal(i->p, AU_DMARC_POLICY_NONE);
	assert_int_equal(i->sp, AU_DMARC_POLICY_NONE);
	assert_int_equal(i->np, AU_DMARC_POLICY_NONE);
	au_dmarc_record_free(r);
	r = parse_ok("v=DMARC1; rua=mailto:d@example.com", AU_DMARC_RFC7489);
	assert_true(au_dmarc_record_get(r)->p_fallback);
	au_dmarc_record_free(r);
}

static void
test_record_mode_tags(void **state)
{
	const char *t = "v=DMARC1; p=reject; sp=quarantine; np=none; psd=y; t=y; "
	    "pct=20; rf=afrf; ri=3600";
	au_dmarc_record *r;
	const au_dmarc_record_info *i;

	(void)state;
	r = parse_ok(t, AU_DMARC_RFC9989);
	i = au_dmarc_record_get(r);
	assert_true(i->has_np);
	assert_int_equal(i->np, AU_DMARC_POLICY_NONE);
	assert_int_equal(i->psd, AU_DMARC_PSD_Y);
	assert_true(i->testing);
	assert_int_equal(i->pct, 100);		/* pct is not RFC 9989 */
	assert_int_equal(i->ri, 86400);
	assert_true(has_warning(r, "'pct' is not part of RFC 9989"));
	assert_true(has_warning(r, "'ri' is not part of RFC 9989"));
	au_dmarc_record_free(r);

	r = parse_ok(t, AU_DMARC_RFC7489);
	i = au_dmarc_record_get(r);
	assert_false(i->has_np);
	assert_int_equal(i->np, AU_DMARC_POLICY_QUARANTINE);	/* np -> sp */
	assert_int_equal(i->psd, AU_DMARC_PSD_U);
	assert_false(i->testing);
	assert_int_equal(i->pct, 20);
	assert_int_equal(i->ri, 3600);
	assert_true(has_warning(r, "'np' is not part of RFC 7489"));
	au_dmarc_record_free(r);

	/* Out-of-range values fall back to defaults, with a warning. */
	r = parse_ok("v=DMARC1; p=none; pct=101; ri=x; adkim=x; aspf=relaxed; "
	    "t=yes; psd=maybe", AU_DMARC_RFC7489);
	i = au_dmarc_record_get(r);
	assert_int_equal(i->pct, 100);
	assert_int_equal(i->ri, 86400);
	assert_int_equal(i->adkim, AU_DMARC_ALIGN_RELAXED);
	assert_true(has_warning(r, "pct=101"));
	assert_true(has_warning(r, "adkim=x"));
	au_dmarc_record_free(r);
	r = parse_ok("v=DMARC1; p=none; t=yes; psd=maybe; pct=0", AU_DMARC_RFC9989);
	i = au_dmarc_record_get(r);
	assert_false(i->testing);
	assert_int_equal(i->psd, AU_DMARC_PSD_U);
	au_dmarc_record_free(r);
	r = parse_ok("v=DMARC1; p=none; pct=0", AU_DMARC_RFC7489);
	assert_int_equal(au_dmarc_record_get(r)->pct, 0);
	au_dmarc_record_free(r);
}

static void
test_record_unknown_and_dups(void **state)
{
	au_dmarc_record *r;
	const au_dmarc_record_info *i;

	(void)state;
	r = parse_ok("v=DMARC1; p=none; foo=bar; x=1; p=reject;; bad tag; =x",
	    AU_DMARC_RFC9989);
	i = au_dmarc_record_get(r);
	assert_int_equal(i->p, AU_DMARC_POLICY_NONE);	/* first p= wins */
	assert_true(has_warning(r, "unknown tag 'foo'"));
	assert_true(has_warning(r, "duplicate tag 'p'"));
	assert_true(has_warning(r, "empty tag"));
	assert_true(has_warning(r, "malformed tag"));
	au_dmarc_record_free(r);

	/* A control character in a value makes it invalid. */
	parse_status("v=DMARC1; p=re\tject", AU_DMARC_RFC9989, AU_ESYNTAX);
}

static void
test_record_uris(void **state)
{
	au_dmarc_record *r;
	const au_dmarc_record_info *i;

	(void)state;
	r = parse_ok("v=DMARC1; p=none; rua=mailto:a@example.com , "
	    "mailto:b@Reports.Example.NET!10m,https://x.example/r,nonsense;"
	    " ruf=mailto:%66@example.org?subject=x", AU_DMARC_RFC9989);
	i = au_dmarc_record_get(r);
	assert_int_equal(i->nrua, 4);
	assert_string_equal(i->rua[0].uri, "mailto:a@example.com");
	assert_string_equal(i->rua[0].mailto_domain, "example.com");
	assert_true(i->rua[0].valid);
	assert_string_equal(i->rua[1].uri, "mailto:b@Reports.Example.NET");
	assert_string_equal(i->rua[1].mailto_domain, "reports.example.net");
	assert_true(i->rua[2].valid);
	assert_null(i->rua[2].mailto_domain);
	assert_false(i->rua[3].valid);
	assert_true(has_warning(r, "obsolete"));
	assert_int_equal(i->nruf, 1);
	assert_string_equal(i->ruf[0].mailto_domain, "example.org");
	au_dmarc_record_free(r);

	/* mailto: without an address domain is not a valid reporting URI. */
	parse_status("v=DMARC1; p=bogus; rua=mailto:nobody", AU_DMARC_RFC9989, AU_ESYNTAX);
	/* A bad size suffix makes the URI invalid. */
	parse_status("v=DMARC1; p=bogus; rua=mailto:a@b.example!x", AU_DMARC_RFC7489,
	    AU_ESYNTAX);
}

static void
test_record_bounds(void **state)
{
	char big[4096], *p;
	int k;

	(void)state;
	memset(big, 0, sizeof big);
	p = big + sprintf(big, "v=DMARC1; p=reject; rua=");
	while (p < big + 3000)
		p += sprintf(p, "mailto:a@example.com,");
	parse_status(big, AU_DMARC_RFC9989, AU_ESYNTAX);

	p = big + sprintf(big, "v=DMARC1; p=reject");
	for (k = 0; k < 100; k++)
		p += sprintf(p, "; x=%d", k);
	parse_status(big, AU_DMARC_RFC9989, AU_ESYNTAX);

	/* A NUL inside the record: the text after it is not lost. */
	{
		static const char nul[] = "v=DMARC1; p=none; x=a\0b; sp=reject";
		au_dmarc_record *r = NULL;
		char err[128];

		assert_int_equal(au_dmarc_record_parse(nul, sizeof nul - 1,
		    AU_DMARC_RFC9989, &r, err, sizeof err), AU_OK);
		assert_true(has_warning(r, "NUL"));
		assert_true(au_dmarc_record_get(r)->has_sp);
		au_dmarc_record_free(r);
	}
}

/* ------------------------------------------------------ DNS and verdicts */

typedef struct fixture {
	au_dns		*dns;
	au_dmarc	*d;
	unsigned	 rng_value;
} fixture;

static unsigned
fixed_rng(void *arg)
{
	return ((fixture *)arg)->rng_value;
}

static void
setup(fixture *f, const char *zone, au_dmarc_mode mode)
{
	char err[256];
	au_dmarc_opts o;

	memset(f, 0, sizeof *f);
	if (au_dns_new_zone_text(&f->dns, zone, strlen(zone), err, sizeof err) != AU_OK)
		fail_msg("zone: %s", err);
	memset(&o, 0, sizeof o);
	o.mode = mode;
	o.rng = fixed_rng;
	o.rng_arg = f;
	if (au_dmarc_new(&f->d, f->dns, &o, err, sizeof err) != AU_OK)
		fail_msg("au_dmarc_new: %s", err);
}

static void
teardown(fixture *f)
{
	au_dmarc_free(f->d);
	au_dns_free(f->dns);
}

/*
 * Evaluate: from (comma-separated domains), SPF (domain, result), DKIM
 * "d1:pass,d2:fail".
 */
static void
eval(fixture *f, const char *from, const char *spfdom, au_spf_result spf,
    const char *dkim, au_dmarc_verdict *v)
{
	char fbuf[512], dbuf[512], *s, *save = NULL;
	const char *froms[8];
	au_dmarc_dkim_input dk[8];
	au_dmarc_input in;
	size_t nf = 0, nd = 0;

	memset(&in, 0, sizeof in);
	snprintf(fbuf, sizeof fbuf, "%s", from ? from : "");
	for (s = strtok_r(fbuf, ",", &save); s && nf < 8; s = strtok_r(NULL, ",", &save))
		froms[nf++] = s;
	snprintf(dbuf, sizeof dbuf, "%s", dkim ? dkim : "");
	save = NULL;
	for (s = strtok_r(dbuf, ",", &save); s && nd < 8; s = strtok_r(NULL, ",", &save)) {
		char *c = strchr(s, ':');

		assert_non_null(c);
		*c++ = '\0';
		dk[nd].domain = s;
		dk[nd].selector = "sel";
		dk[nd].result = strcmp(c, "pass") == 0 ? AU_DKIM_PASS :
		    strcmp(c, "temperror") == 0 ? AU_DKIM_TEMPERROR : AU_DKIM_FAIL;
		nd++;
	}
	in.from_domains = froms;
	in.nfrom = nf;
	in.spf_domain = spfdom;
	in.spf_result = spf;
	in.dkim = dk;
	in.ndkim = nd;
	assert_int_equal(au_dmarc_evaluate(f->d, &in, v), AU_OK);
}

#define EXPECT(v, res, disp) do {					\
	if ((v)->result != (res) || (v)->disposition != (disp))		\
		fail_msg("line %d: got %s/%s, want %s/%s: %s", __LINE__,	\
		    au_dmarc_result_str((v)->result),			\
		    au_dmarc_policy_str((v)->disposition),		\
		    au_dmarc_result_str(res), au_dmarc_policy_str(disp),	\
		    (v)->reason);					\
} while (0)

static const char zone_basic[] =
"_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject; sp=quarantine; np=none\"\n"
"example.com. 300 IN A 192.0.2.1\n"
"mail.example.com. 300 IN A 192.0.2.2\n"
"_dmarc.strict.example. 300 IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n"
"strict.example. IN A 192.0.2.3\n"
"news.strict.example. IN A 192.0.2.4\n"
"_dmarc.testing.example. IN TXT \"v=DMARC1; p=reject; sp=quarantine; t=y\"\n"
"sub.testing.example. IN A 192.0.2.5\n"
"_dmarc.nonp.example. IN TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
"_dmarc.fallback.example. IN TXT \"v=DMARC1; p=r; rua=mailto:d@fallback.example\"\n"
"_dmarc.broken.example. IN TXT \"v=DMARC1; p=r\"\n"
"_dmarc.multi.example. IN TXT \"v=DMARC1; p=none\"\n"
"_dmarc.multi.example. IN TXT \"v=DMARC1; p=reject\"\n"
"_dmarc.sub.multi.example. IN TXT \"v=DMARC1; p=none\"\n"
"_dmarc.sub.multi.example. IN TXT \"v=DMARC1; p=reject\"\n"
"_dmarc.other.example. IN TXT \"v=spf1 -all\"\n"
"_dmarc.other.example. IN TXT \"v=DMARC1; p=quarantine\"\n"
";%TIMEOUT _dmarc.slow.example\n"
"_dmarc.np.example. IN TXT \"v=DMARC1; p=none; sp=none; np=reject\"\n"
";%TIMEOUT ghost.np.example\n";

static void
test_eval_basic(void **state)
{
	fixture f;
	au_dmarc_verdict v;

	(void)state;
	setup(&f, zone_basic, AU_DMARC_RFC9989);

	/* Identical domains. */
	eval(&f, "example.com", "example.com", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	assert_true(v.spf_aligned);
	assert_string_equal(v.policy_tag, "p");
	assert_string_equal(v.policy_domain, "example.com");
	au_dmarc_verdict_clear(&v);

	/* Case and a trailing dot do not matter. */
	eval(&f, "EXAMPLE.com.", NULL, AU_SPF_NONE, "Example.COM:pass", &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	assert_true(v.dkim_aligned);
	au_dmarc_verdict_clear(&v);

	/* Relaxed: same Organizational Domain. */
	eval(&f, "example.com", "bounce.mail.example.com", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	assert_string_equal(v.org_domain, "example.com");
	au_dmarc_verdict_clear(&v);

	/* Other organization: fail with p=reject. */
	eval(&f, "example.com", "example.net", AU_SPF_PASS, "example.org:pass", &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	assert_false(v.spf_aligned);
	assert_false(v.dkim_aligned);
	au_dmarc_verdict_clear(&v);

	/* Aligned but not passing: fail. */
	eval(&f, "example.com", "example.com", AU_SPF_SOFTFAIL, "example.com:fail", &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	au_dmarc_verdict_clear(&v);
	eval(&f, "example.com", "example.com", AU_SPF_NEUTRAL, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	au_dmarc_verdict_clear(&v);

	/* A "com.example.com"-style suffix trick is not alignment. */
	eval(&f, "example.com", "badexample.com", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	au_dmarc_verdict_clear(&v);

	/* No record anywhere: none. */
	eval(&f, "nothing.test", "nothing.test", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_NONE, AU_DMARC_POLICY_NONE);
	assert_null(v.policy_domain);
	au_dmarc_verdict_clear(&v);

	/* A TXT record that is not DMARC next to one that is. */
	eval(&f, "other.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

static void
test_eval_strict_trap(void **state)
{
	fixture f;
	au_dmarc_verdict v;

	(void)state;
	setup(&f, zone_basic, AU_DMARC_RFC9989);
	/* Strict: an Organizational Domain match must never pass. */
	eval(&f, "strict.example", "bounce.strict.example", AU_SPF_PASS,
	    "mail.strict.example:pass", &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	au_dmarc_verdict_clear(&v);
	eval(&f, "news.strict.example", "strict.example", AU_SPF_PASS,
	    "strict.example:pass", &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	assert_string_equal(v.policy_tag, "p");		/* sp absent */
	au_dmarc_verdict_clear(&v);
	/* Identical domains do pass strict. */
	eval(&f, "news.strict.example", NULL, AU_SPF_NONE,
	    "strict.example:pass,NEWS.strict.example:pass", &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	assert_int_equal(au_dmarc_aligned(f.d, "a.strict.example", "b.strict.example",
	    AU_DMARC_ALIGN_STRICT), 0);
	assert_int_equal(au_dmarc_aligned(f.d, "a.strict.example", "b.strict.example",
	    AU_DMARC_ALIGN_RELAXED), 1);
	teardown(&f);
}

static void
test_eval_sp_np(void **state)
{
	fixture f;
	au_dmarc_verdict v;

	(void)state;
	setup(&f, zone_basic, AU_DMARC_RFC9989);
	/* An existing subdomain: sp. */
	eval(&f, "mail.example.com", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	assert_string_equal(v.policy_tag, "sp");
	assert_false(v.from_nonexistent);
	au_dmarc_verdict_clear(&v);
	/* A non-existent subdomain: np. */
	eval(&f, "nx.example.com", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	assert_string_equal(v.policy_tag, "np");
	assert_true(v.from_nonexistent);
	au_dmarc_verdict_clear(&v);
	/* Without np: sp for non-existent subdomains too. */
	eval(&f, "nx.nonp.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	assert_string_equal(v.policy_tag, "sp");
	au_dmarc_verdict_clear(&v);
	/* np only: p and sp none, np reject. */
	eval(&f, "gone.np.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	au_dmarc_verdict_clear(&v);
	/* Existence unknown (DNS timeout) and np would matter: temperror. */
	eval(&f, "ghost.np.example", NULL, AU_SPF_NONE, NULL, &v);
	assert_int_equal(v.result, AU_DMARC_TEMPERROR);
	au_dmarc_verdict_clear(&v);
	/* The domain itself: p, whatever sp and np say. */
	eval(&f, "np.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	assert_string_equal(v.policy_tag, "p");
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

static void
test_eval_testing(void **state)
{
	fixture f;
	au_dmarc_verdict v;

	(void)state;
	setup(&f, zone_basic, AU_DMARC_RFC9989);
	eval(&f, "testing.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	assert_int_equal(v.policy, AU_DMARC_POLICY_REJECT);
	assert_true(v.testing);
	au_dmarc_verdict_clear(&v);
	eval(&f, "sub.testing.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	assert_int_equal(v.policy, AU_DMARC_POLICY_QUARANTINE);
	au_dmarc_verdict_clear(&v);
	teardown(&f);

	/* RFC 7489 has no t=: the policy applies in full. */
	setup(&f, zone_basic, AU_DMARC_RFC7489);
	eval(&f, "testing.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

static void
test_eval_errors(void **state)
{
	fixture f;
	au_dmarc_verdict v;
	au_dmarc_input in;

	(void)state;
	setup(&f, zone_basic, AU_DMARC_RFC9989);
	/* Invalid p with a valid rua: p=none. */
	eval(&f, "fallback.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	/* Invalid p, no rua: no DMARC processing -> permerror. */
	eval(&f, "broken.example", "broken.example", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PERMERROR, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	/* DNS timeout on the record: temperror. */
	eval(&f, "slow.example", "slow.example", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_TEMPERROR, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	/* SPF temperror on an aligned domain and nothing passes: temperror. */
	eval(&f, "example.com", "example.com", AU_SPF_TEMPERROR, NULL, &v);
	assert_int_equal(v.result, AU_DMARC_TEMPERROR);
	au_dmarc_verdict_clear(&v);
	/* ... unless something else passes. */
	eval(&f, "example.com", "example.com", AU_SPF_TEMPERROR, "example.com:pass", &v);
	assert_int_equal(v.result, AU_DMARC_PASS);
	au_dmarc_verdict_clear(&v);
	/* No From domain / bad From domain: permerror. */
	memset(&in, 0, sizeof in);
	assert_int_equal(au_dmarc_evaluate(f.d, &in, &v), AU_OK);
	assert_int_equal(v.result, AU_DMARC_PERMERROR);
	au_dmarc_verdict_clear(&v);
	eval(&f, "exa mple.com", NULL, AU_SPF_NONE, NULL, &v);
	assert_int_equal(v.result, AU_DMARC_PERMERROR);
	au_dmarc_verdict_clear(&v);
	eval(&f, "a..b", NULL, AU_SPF_NONE, NULL, &v);
	assert_int_equal(v.result, AU_DMARC_PERMERROR);
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

static void
test_eval_multiple_records(void **state)
{
	fixture f;
	au_dmarc_verdict v;

	(void)state;
	/* RFC 9989: several records at a name count as none there; walk on. */
	setup(&f, zone_basic, AU_DMARC_RFC9989);
	eval(&f, "multi.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_NONE, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	eval(&f, "x.sub.multi.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_NONE, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	teardown(&f);
	/* RFC 7489: discovery ends at the first name with several. */
	setup(&f, zone_basic, AU_DMARC_RFC7489);
	eval(&f, "multi.example", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_NONE, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

static void
test_eval_several_authors(void **state)
{
	fixture f;
	au_dmarc_verdict v;

	(void)state;
	setup(&f, zone_basic, AU_DMARC_RFC9989);
	/* One passes, one fails: the failure (strictest policy) wins. */
	eval(&f, "example.com,testing.example", "example.com", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	assert_string_equal(v.from_domain, "testing.example");
	assert_int_equal(v.nauthors, 2);
	au_dmarc_verdict_clear(&v);
	eval(&f, "mail.example.com,example.com,nothing.test", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	assert_string_equal(v.from_domain, "example.com");
	au_dmarc_verdict_clear(&v);
	/* The same domain twice is one Author Domain. */
	eval(&f, "example.com,EXAMPLE.COM", "example.com", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	assert_int_equal(v.nauthors, 1);
	au_dmarc_verdict_clear(&v);
	/* Too many different domains: permerror. */
	eval(&f, "a.test,b.test,c.test,d.test,e.test", NULL, AU_SPF_NONE, NULL, &v);
	assert_int_equal(v.result, AU_DMARC_PERMERROR);
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

/* RFC 9989 4.10 and 4.10.2: the tree walk and the Organizational Domain. */
static const char zone_walk[] =
"_dmarc.example.com. IN TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
"_dmarc.mail.example.com. IN TXT \"v=DMARC1; p=none\"\n"
"_dmarc.dept.example.org. IN TXT \"v=DMARC1; p=quarantine; psd=n\"\n"
"_dmarc.example.org. IN TXT \"v=DMARC1; p=reject\"\n"
"_dmarc.psd.test. IN TXT \"v=DMARC1; p=reject; psd=y; sp=quarantine; np=reject\"\n"
"exists.brand.psd.test. IN A 192.0.2.9\n"
"brand.psd.test. IN A 192.0.2.10\n"
"_dmarc.own.psd.test. IN TXT \"v=DMARC1; p=none\"\n"
"_dmarc.nopsd.test. IN TXT \"v=DMARC1; p=reject\"\n"
"_dmarc.com. IN TXT \"v=DMARC1; p=none; psd=y\"\n";

static void
test_walk_org_domain(void **state)
{
	fixture f;
	au_dmarc_verdict v;
	char *org = NULL;
	int temp;

	(void)state;
	setup(&f, zone_walk, AU_DMARC_RFC9989);
	/* Records at mail.example.com and example.com: the fewest labels. */
	assert_int_equal(au_dmarc_org_domain(f.d, "a.mail.example.com", &org, &temp), AU_OK);
	assert_string_equal(org, "example.com");
	free(org);
	/* psd=n: that name is the Organizational Domain. */
	assert_int_equal(au_dmarc_org_domain(f.d, "a.b.dept.example.org", &org, &temp), AU_OK);
	assert_string_equal(org, "dept.example.org");
	free(org);
	/* psd=y: one label below it. */
	assert_int_equal(au_dmarc_org_domain(f.d, "x.y.brand.psd.test", &org, &temp), AU_OK);
	assert_string_equal(org, "brand.psd.test");
	free(org);
	/* The psd=y record of the start domain itself does not count. */
	assert_int_equal(au_dmarc_org_domain(f.d, "psd.test", &org, &temp), AU_OK);
	assert_string_equal(org, "psd.test");
	free(org);
	/* No record anywhere: the domain itself. */
	assert_int_equal(au_dmarc_org_domain(f.d, "a.b.nothing.example", &org, &temp), AU_OK);
	assert_string_equal(org, "a.b.nothing.example");
	free(org);

	/* Policy: the Organizational Domain's record, sp for a subdomain. */
	eval(&f, "a.mail.example.com", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	assert_string_equal(v.policy_domain, "example.com");
	au_dmarc_verdict_clear(&v);
	/* The Author Domain's own record comes first. */
	eval(&f, "mail.example.com", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	assert_string_equal(v.policy_domain, "mail.example.com");
	au_dmarc_verdict_clear(&v);
	/* ... and relaxed alignment still uses the walk's org domain. */
	eval(&f, "mail.example.com", "bounce.example.com", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	/* psd=n splits an organization: dept.example.org vs example.org. */
	eval(&f, "a.dept.example.org", "example.org", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	assert_string_equal(v.policy_domain, "dept.example.org");
	au_dmarc_verdict_clear(&v);
	eval(&f, "a.dept.example.org", "b.dept.example.org", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

static void
test_walk_psd(void **state)
{
	fixture f;
	au_dmarc_verdict v;

	(void)state;
	setup(&f, zone_walk, AU_DMARC_RFC9989);
	/* A PSD's policy applies when the org domain publishes none. */
	eval(&f, "exists.brand.psd.test", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	assert_string_equal(v.policy_domain, "psd.test");
	assert_string_equal(v.org_domain, "brand.psd.test");
	assert_string_equal(v.policy_tag, "sp");
	au_dmarc_verdict_clear(&v);
	eval(&f, "gone.brand.psd.test", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	assert_string_equal(v.policy_tag, "np");
	au_dmarc_verdict_clear(&v);
	/* Two registrants under one PSD are not aligned. */
	eval(&f, "brand.psd.test", "other.psd.test", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	au_dmarc_verdict_clear(&v);
	/* Same registrant: aligned. */
	eval(&f, "brand.psd.test", "mail.brand.psd.test", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	/* A registrant's own record beats the PSD's. */
	eval(&f, "a.own.psd.test", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	assert_string_equal(v.policy_domain, "own.psd.test");
	au_dmarc_verdict_clear(&v);
	/* Without psd=y the parent is everybody's org domain: aligned. */
	eval(&f, "a.nopsd.test", "b.nopsd.test", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	/* _dmarc.com with psd=y: example.com is its own org domain. */
	eval(&f, "x.example.net.com", "y.other.com", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	assert_string_equal(v.policy_domain, "com");
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

static void
test_walk_eight_labels(void **state)
{
	static const char *want[] = {
		"_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com",
		"_dmarc.g.h.i.j.mail.example.com",
		"_dmarc.h.i.j.mail.example.com",
		"_dmarc.i.j.mail.example.com",
		"_dmarc.j.mail.example.com",
		"_dmarc.mail.example.com",
		"_dmarc.example.com",
		"_dmarc.com",
	};
	static const char zone[] = "example.net. IN A 192.0.2.1\n";
	fixture f;
	au_dmarc_discovery disc;
	unsigned long q0;
	size_t i;

	(void)state;
	/* RFC 9989 4.10's own example: eight queries. */
	setup(&f, zone, AU_DMARC_RFC9989);
	q0 = au_dns_backend_queries(f.dns);
	assert_int_equal(au_dmarc_discover(f.d, "a.b.c.d.e.f.g.h.i.j.mail.example.com",
	    &disc), AU_OK);
	assert_int_equal(disc.found, AU_DMARC_FOUND_NONE);
	assert_int_equal(disc.nsteps, 8);
	for (i = 0; i < 8; i++)
		assert_string_equal(disc.steps[i].name, want[i]);
	assert_true(au_dns_backend_queries(f.dns) - q0 <= 8);
	au_dmarc_discovery_clear(&disc);

	/* Exactly 8 labels: the parent (7 labels) is next. */
	assert_int_equal(au_dmarc_discover(f.d, "a.b.c.d.e.f.example.com", &disc), AU_OK);
	assert_int_equal(disc.nsteps, 8);
	assert_string_equal(disc.steps[1].name, "_dmarc.b.c.d.e.f.example.com");
	au_dmarc_discovery_clear(&disc);

	/* A 127-label name: still at most 8 queries. */
	{
		char name[260];
		int k;

		name[0] = '\0';
		for (k = 0; k < 120; k++)
			strcat(name, "a.");
		strcat(name, "example.com");
		q0 = au_dns_backend_queries(f.dns);
		assert_int_equal(au_dmarc_discover(f.d, name, &disc), AU_OK);
		assert_true(disc.nsteps <= 8);
		assert_true(au_dns_backend_queries(f.dns) - q0 <= 8);
		au_dmarc_discovery_clear(&disc);
	}
	teardown(&f);
}

/* RFC 7489: Organizational Domain by the Public Suffix List. */
static const char zone_psl[] =
"_dmarc.example.co.uk. IN TXT \"v=DMARC1; p=reject; sp=quarantine; pct=50\"\n"
"_dmarc.example.com. IN TXT \"v=DMARC1; p=reject; sp=none; np=reject; t=y\"\n"
"_dmarc.mail.example.com. IN TXT \"v=DMARC1; p=none; psd=n\"\n"
"_dmarc.co.uk. IN TXT \"v=DMARC1; p=reject\"\n";

static void
test_rfc7489_psl(void **state)
{
	fixture f;
	au_dmarc_verdict v;
	char *org = NULL;
	int temp;

	(void)state;
	setup(&f, zone_psl, AU_DMARC_RFC7489);
	assert_int_equal(au_dmarc_org_domain(f.d, "a.b.example.co.uk", &org, &temp), AU_OK);
	assert_string_equal(org, "example.co.uk");
	free(org);
	/* The PSL, not the tree: mail.example.com's psd=n does not count. */
	assert_int_equal(au_dmarc_org_domain(f.d, "a.mail.example.com", &org, &temp), AU_OK);
	assert_string_equal(org, "example.com");
	free(org);

	f.rng_value = 10;	/* < pct: sampled in */
	eval(&f, "a.b.example.co.uk", "other.example.co.uk", AU_SPF_FAIL, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	assert_string_equal(v.policy_tag, "sp");
	assert_string_equal(v.policy_domain, "example.co.uk");
	au_dmarc_verdict_clear(&v);
	eval(&f, "example.co.uk", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	assert_false(v.sampled_out);
	au_dmarc_verdict_clear(&v);
	f.rng_value = 50;	/* >= pct: not sampled, one level lower */
	eval(&f, "example.co.uk", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_QUARANTINE);
	assert_true(v.sampled_out);
	au_dmarc_verdict_clear(&v);
	eval(&f, "sub.example.co.uk", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	/* Relaxed via the PSL. */
	eval(&f, "a.example.co.uk", "b.example.co.uk", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	/* Two registrants under co.uk are not aligned. */
	f.rng_value = 0;
	eval(&f, "example.co.uk", "other.co.uk", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	au_dmarc_verdict_clear(&v);
	/* np and t are not RFC 7489: sp=none applies, in full. */
	eval(&f, "gone.example.com", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	assert_string_equal(v.policy_tag, "sp");
	au_dmarc_verdict_clear(&v);
	eval(&f, "example.com", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_REJECT);
	au_dmarc_verdict_clear(&v);
	/* 7489 looks only at the author and its org domain. */
	eval(&f, "x.mail.example.com", NULL, AU_SPF_NONE, NULL, &v);
	assert_string_equal(v.policy_domain, "example.com");
	au_dmarc_verdict_clear(&v);
	teardown(&f);

	/* The same zone under RFC 9989: the tree walk. */
	setup(&f, zone_psl, AU_DMARC_RFC9989);
	eval(&f, "x.mail.example.com", NULL, AU_SPF_NONE, NULL, &v);
	EXPECT(&v, AU_DMARC_FAIL, AU_DMARC_POLICY_NONE);
	assert_string_equal(v.policy_domain, "mail.example.com");
	au_dmarc_verdict_clear(&v);
	/* co.uk has a record without psd=y: under the walk it is the org. */
	eval(&f, "example.co.uk", "other.co.uk", AU_SPF_PASS, NULL, &v);
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

/* RFC 9989 5.3.1: a U-label Author Domain is looked up as an A-label. */
static void
test_idn_author(void **state)
{
	static const char zone[] =
	    "_dmarc.xn--bcher-kva.example. IN TXT \"v=DMARC1; p=reject\"\n";
	fixture f;
	au_dmarc_verdict v;

	(void)state;
	setup(&f, zone, AU_DMARC_RFC9989);
	eval(&f, "b\xc3\xbc" "cher.example", "xn--bcher-kva.example", AU_SPF_PASS, NULL, &v);
#ifdef HAVE_IDN2
	EXPECT(&v, AU_DMARC_PASS, AU_DMARC_POLICY_NONE);
	assert_string_equal(v.from_domain, "xn--bcher-kva.example");
#else
	assert_int_equal(v.result, AU_DMARC_PERMERROR);
#endif
	au_dmarc_verdict_clear(&v);
	/* Not valid UTF-8 / not IDNA2008: permerror, never a guess. */
	eval(&f, "b\xfc" "cher.example", NULL, AU_SPF_NONE, NULL, &v);
	assert_int_equal(v.result, AU_DMARC_PERMERROR);
	au_dmarc_verdict_clear(&v);
	teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_basic),
		cmocka_unit_test(test_record_not_dmarc),
		cmocka_unit_test(test_record_invalid_policy),
		cmocka_unit_test(test_record_mode_tags),
		cmocka_unit_test(test_record_unknown_and_dups),
		cmocka_unit_test(test_record_uris),
		cmocka_unit_test(test_record_bounds),
		cmocka_unit_test(test_eval_basic),
		cmocka_unit_test(test_eval_strict_trap),
		cmocka_unit_test(test_eval_sp_np),
		cmocka_unit_test(test_eval_testing),
		cmocka_unit_test(test_eval_errors),
		cmocka_unit_test(test_eval_multiple_records),
		cmocka_unit_test(test_eval_several_authors),
		cmocka_unit_test(test_walk_org_domain),
		cmocka_unit_test(test_walk_psd),
		cmocka_unit_test(test_walk_eight_labels),
		cmocka_unit_test(test_rfc7489_psl),
		cmocka_unit_test(test_idn_author),
	};

	return cmocka_run_group_tests_name("dmarc", tests, NULL, NULL);
}
