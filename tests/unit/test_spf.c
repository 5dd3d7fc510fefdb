/*
 * test_spf.c - unit tests for SPF (RFC 7208): au_ip, the record parser
 * against the section 12 ABNF, macro expansion with the section 7.4
 * vectors, and hostile records served by the zone back end (garbage, huge
 * records, NUL bytes, loops, deep chains, huge macro expansions, 1000-term
 * records, 1000 PTR names, too many MX names).  The hostile cases must end
 * in permerror/temperror/none quickly, with bounded DNS work.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cmocka.h>
#include "au_buf.h"
#include "au_dns.h"
#include "au_ip.h"
#include "au_spf.h"

/* ---------------------------------------------------------------- au_ip */

static void
test_ip_parse(void **state)
{
	static const char *good4[] = { "0.0.0.0", "192.0.2.3", "255.255.255.255", NULL };
	static const char *bad4[] = { "01.2.3.4", "256.1.1.1", "1.2.3", "1.2.3.4.5",
	    "1.2.3.4 ", "1..2.3", "a.b.c.d", "1.2.3.04", "", NULL };
	static const char *good6[] = { "::", "::1", "2001:db8::cb01", "::ffff:1.2.3.4",
	    "CAFE:BABE::1", "1:2:3:4:5:6:7:8", NULL };
	static const char *bad6[] = { ":", "1:2:3:4:5:6:7:8:9", "::g", ":CAFE::BABE",
	    "1::2::3", NULL };
	au_ip ip;
	int i;

	for (i = 0; good4[i]; i++)
		assert_int_equal(au_ip_parse_v4(good4[i], strlen(good4[i]), &ip), AU_OK);
	for (i = 0; bad4[i]; i++)
		assert_int_equal(au_ip_parse_v4(bad4[i], strlen(bad4[i]), &ip), AU_ESYNTAX);
	for (i = 0; good6[i]; i++)
		assert_int_equal(au_ip_parse_v6(good6[i], strlen(good6[i]), &ip), AU_OK);
	for (i = 0; bad6[i]; i++)
		assert_int_equal(au_ip_parse_v6(bad6[i], strlen(bad6[i]), &ip), AU_ESYNTAX);
	/* Length-bounded: the text need not be NUL-terminated. */
	assert_int_equal(au_ip_parse("1.2.3.4/24", 7, &ip), AU_OK);
	assert_int_equal(au_ip_parse_str("[192.0.2.1]", &ip), AU_OK);
	assert_int_equal(au_ip_parse_str("[IPv6:2001:db8::1]", &ip), AU_OK);
	assert_int_equal(ip.family, AU_IP_V6);
	/* IPv4-mapped IPv6 becomes IPv4 only when asked. */
	assert_int_equal(au_ip_parse_str("::FFFF:1.2.3.4", &ip), AU_OK);
	assert_int_equal(ip.family, AU_IP_V6);
	au_ip_unmap(&ip);
	assert_int_equal(ip.family, AU_IP_V4);
	assert_memory_equal(ip.bytes, "\1\2\3\4", 4);
}

static void
test_ip_match_format(void **state)
{
	au_ip a, n;
	char buf[AU_IP_TEXTLEN];

	au_ip_parse_str("192.0.2.130", &a);
	au_ip_parse_str("192.0.2.128", &n);
	assert_true(au_ip_in_net(&a, &n, 25));
	assert_false(au_ip_in_net(&a, &n, 31));
	assert_true(au_ip_in_net(&a, &n, 0));
	au_ip_parse_str("10.0.0.0", &n);
	assert_true(au_ip_in_net(&a, &n, 0));
	assert_false(au_ip_in_net(&a, &n, 1));
	au_ip_parse_str("2001:db8::cb01", &a);
	au_ip_parse_str("2001:db8::", &n);
	assert_true(au_ip_in_net(&a, &n, 64));
	assert_false(au_ip_in_net(&a, &n, 128));
	/* Families never match each other. */
	au_ip_parse_str("0.0.0.0", &n);
	assert_false(au_ip_in_net(&a, &n, 0));

	assert_string_equal(au_ip_format(&a, buf, sizeof buf), "2001:db8::cb01");
	assert_string_equal(au_ip_format_dotted(&a, buf, sizeof buf),
	    "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
	assert_string_equal(au_ip_reverse_name(&a, buf, sizeof buf),
	    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	au_ip_parse_str("192.0.2.3", &a);
	assert_string_equal(au_ip_format_dotted(&a, buf, sizeof buf), "192.0.2.3");
	assert_string_equal(au_ip_reverse_name(&a, buf, sizeof buf),
	    "3.2.0.192.in-addr.arpa");
}

/* ---------------------------------------------------------------- parser */

static au_status
parse(const char *txt, au_spf_record **r)
{
	char err[256];

	return au_spf_record_parse(txt, strlen(txt), r, err, sizeof err);
}

static void
test_parse_valid(void **state)
{
	static const char *ok[] = {
		"v=spf1",
		"v=spf1 ",
		"V=SpF1 -ALL",
		"v=spf1  a  mx   -all  ",
		"v=spf1 +all ?all ~all -all",
		"v=spf1 a a:example.com a/24 a//64 a/24//64 a:example.com/0//0",
		"v=spf1 mx mx:foo:bar/baz.example.com mx:example.com/32//128",
		"v=spf1 ptr ptr:example.com include:_spf.example.com exists:%{ir}.x.example.com",
		"v=spf1 ip4:192.0.2.0/24 ip4:0.0.0.0/0 ip4:1.2.3.4/32 ip6:::/0 ip6:2001:db8::/32 ip6:::1.2.3.4/128",
		"v=spf1 redirect=_spf.example.com exp=explain.%{d}",
		"v=spf1 moo.cow-far_out=man:dog/cat foo= bar=%{c}%{r}%{t}",
		"v=spf1 a:%{d} a:%{d}. include:example.com. a:foo.example.xn--zckzah",
		"v=spf1 exists:%{l1r+-}.%{o}._spf.%{d2} a:%%%_%-.example.com",
		"v=spf1 a:foo.123-456",
		NULL
	};
	au_spf_record *r;
	int i;

	for (i = 0; ok[i]; i++) {
		if (parse(ok[i], &r) != AU_OK)
			fail_msg("should parse: %s", ok[i]);
		au_spf_record_free(r);
	}
}

static void
test_parse_terms(void **state)
{
	au_spf_record *r;
	const au_spf_term *t;

	assert_int_equal(parse("v=spf1 -a:example.com/24//64 ip6:2001:db8::/32 ~all x-y=1 redirect=r.example.com", &r), AU_OK);
	assert_int_equal(au_spf_record_count(r), 5);
	t = au_spf_record_term(r, 0);
	assert_int_equal(t->kind, AU_SPF_A);
	assert_int_equal(t->qualifier, '-');
	assert_string_equal(t->domain_spec, "example.com");
	assert_int_equal(t->cidr4, 24);
	assert_int_equal(t->cidr6, 64);
	assert_string_equal(t->text, "-a:example.com/24//64");
	t = au_spf_record_term(r, 1);
	assert_int_equal(t->kind, AU_SPF_IP6);
	assert_int_equal(t->cidr6, 32);
	assert_memory_equal(t->ip, "\x20\x01\x0d\xb8", 4);
	t = au_spf_record_term(r, 2);
	assert_int_equal(t->kind, AU_SPF_ALL);
	assert_int_equal(t->qualifier, '~');
	t = au_spf_record_term(r, 3);
	assert_int_equal(t->kind, AU_SPF_UNKNOWN_MOD);
	assert_string_equal(t->name, "x-y");
	t = au_spf_record_term(r, 4);
	assert_int_equal(t->kind, AU_SPF_REDIRECT);
	assert_string_equal(t->domain_spec, "r.example.com");
	assert_null(au_spf_record_term(r, 5));
	au_spf_record_free(r);
}

static void
test_parse_invalid(void **state)
{
	static const char *bad[] = {
		"v=spf1 moo", "v=spf1 -all.", "v=spf1 all:x", "v=spf1 all/8",
		"v=spf1 a/33", "v=spf1 a//129", "v=spf1 a/24/64", "v=spf1 a/032",
		"v=spf1 a:", "v=spf1 a:museum", "v=spf1 a:museum.", "v=spf1 a:abc.123",
		"v=spf1 a:example.-com", "v=spf1 a:1.2.3.4", "v=spf1 a:example.com:8080",
		"v=spf1 ptr/0", "v=spf1 ptr:", "v=spf1 include", "v=spf1 include:",
		"v=spf1 include:x.example.com/24", "v=spf1 exists", "v=spf1 exists:",
		"v=spf1 ip4", "v=spf1 ip4:1.2.3", "v=spf1 ip4:1.2.3.4/33",
		"v=spf1 ip4:1.2.3.4//32", "v=spf1 ip4:01.2.3.4", "v=spf1 ip4:1.2.3.4:25",
		"v=spf1 ip6", "v=spf1 ip6:::1/129", "v=spf1 ip6::CAFE::BABE",
		"v=spf1 ip6:1.2.3.4", "v=spf1 redirect=a.example.com redirect=b.example.com",
		"v=spf1 exp=a.example.com exp=b.example.com", "v=spf1 redirect=",
		"v=spf1 redirect:x.example.com", "v=spf1 =all", "v=spf1 1up=foo",
		"v=spf1 foo=%abc", "v=spf1 exists:%(ir).example.com", "v=spf1 a:foo%.example.com",
		"v=spf1 a:%{a}.example.com", "v=spf1 exp=%{r}.example.com",
		"v=spf1 a:%{d0}.example.com", "v=spf1 a:%{d", "v=spf1 a:\xc3\xaf.example.com",
		"v=spf1 \xc2\x80" "a", "v=spf1 a:x.example.com\rptr", "v=spf1 a\t-all",
		"v=spf1 +-all", "v=spf1 -", "v=spf1 a:.", "v=spf1 a:x.example.com..",
		NULL
	};
	au_spf_record *r;
	char err[256];
	int i;

	for (i = 0; bad[i]; i++) {
		au_status st = au_spf_record_parse(bad[i], strlen(bad[i]), &r, err,
		    sizeof err);

		if (st != AU_ESYNTAX)
			fail_msg("should not parse (%d): %s", st, bad[i]);
		assert_null(r);
		assert_non_null(strstr(err, "syntax error at '"));
	}
	/* A NUL inside the record. */
	assert_int_equal(au_spf_record_parse("v=spf1 a:x.example.com\0 -all", 28,
	    &r, err, sizeof err), AU_ESYNTAX);
	assert_string_equal(err, "syntax error at 'a:x.example.com\\x00': invalid character in 'x.example.com\\x00'");
	/* The reason names the term. */
	assert_int_equal(parse("v=spf1 ip4:1.2.3 -all", &r), AU_ESYNTAX);
}

static void
test_parse_not_spf_and_bounds(void **state)
{
	static const char *notspf[] = { "", "v=spf", "v=spf10", "v=spf1a", "spf1",
	    " v=spf1", "v=spf1\t-all", "v=spf2.0/pra", NULL };
	au_spf_record *r;
	char *big;
	size_t i, n;

	for (i = 0; notspf[i]; i++)
		assert_int_equal(parse(notspf[i], &r), AU_ENOTFOUND);
	/* 1000 terms, and 100 KB of record: refused, quickly. */
	big = malloc(100 * 1024 + 1);
	assert_non_null(big);
	n = (size_t)sprintf(big, "v=spf1");
	for (i = 0; i < 1000; i++)
		n += (size_t)sprintf(big + n, " a");
	assert_int_equal(parse(big, &r), AU_ETOOBIG);
	memset(big + n, 'a', 100 * 1024 - n);
	big[100 * 1024] = '\0';
	assert_int_equal(parse(big, &r), AU_ETOOBIG);
	free(big);
	/* AU_SPF_MAX_TERMS terms exactly is fine. */
	big = malloc(8 + 2 * AU_SPF_MAX_TERMS + 1);
	n = (size_t)sprintf(big, "v=spf1");
	for (i = 0; i < AU_SPF_MAX_TERMS; i++)
		n += (size_t)sprintf(big + n, " a");
	assert_int_equal(parse(big, &r), AU_OK);
	assert_int_equal(au_spf_record_count(r), AU_SPF_MAX_TERMS);
	au_spf_record_free(r);
	free(big);
}

/* ---------------------------------------------------------------- macros */

static char *
expand(const char *spec, const char *ip, int explain, au_status want)
{
	char *out = NULL, err[256];
	au_status st;

	st = au_spf_macro_expand(spec, ip, "strong-bad@email.example.com",
	    "email.example.com", "mx.example.org", NULL, explain, &out, err,
	    sizeof err);
	if (st != want)
		fail_msg("%s: status %d, want %d (%s)", spec, st, want, err);
	return out;
}

static void
check_expand(const char *spec, const char *ip, const char *want)
{
	char *out = expand(spec, ip, 0, AU_OK);

	if (strcasecmp(out, want) != 0)
		fail_msg("%s: got '%s', want '%s'", spec, out, want);
	free(out);
}

static void
test_macro_rfc_vectors(void **state)
{
	/* RFC 7208 section 7.4. */
	static const char *v[][2] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		  "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		  "example.com.trusted-domains.example.net" },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		check_expand(v[i][0], "192.0.2.3", v[i][1]);
	/*
	 * The IPv6 example.  The RFC prints lower-case nibbles; we write
	 * upper case as the openspf suite expects (DNS ignores case).
	 */
	check_expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01",
	    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

static void
test_macro_rules(void **state)
{
	char *s;

	check_expand("%%%_%-.example.com", "192.0.2.3", "% %20.example.com");
	check_expand("%{h}", "192.0.2.3", "mx.example.org");
	check_expand("%{p}", "192.0.2.3", "unknown");
	check_expand("%{v}", "::ffff:192.0.2.3", "in-addr");
	check_expand("%{i}", "::ffff:192.0.2.3", "192.0.2.3");
	check_expand("%{d200}", "192.0.2.3", "email.example.com");
	check_expand("%{d99999999999999999999}", "192.0.2.3", "email.example.com");
	check_expand("%{D}", "192.0.2.3", "email.example.com");
	check_expand("%{S}", "192.0.2.3", "strong-bad%40email.example.com");
	check_expand("%{l1R-}", "192.0.2.3", "strong");
	check_expand("%{d2.-+,/_=}", "192.0.2.3", "example.com");
	/* c, r, t only in explanations. */
	free(expand("%{c}", "2001:db8::cb01", 0, AU_ESYNTAX));
	s = expand("%{c} %{r} %{t}", "2001:db8::cb01", 1, AU_OK);
	assert_int_equal(strncmp(s, "2001:db8::cb01 unknown ", 23), 0);
	assert_true(strlen(s) > 24);
	free(s);
	/* Spaces only in explanations. */
	free(expand("a b", "192.0.2.3", 0, AU_ESYNTAX));
	/* Syntax errors. */
	free(expand("%{d0}", "192.0.2.3", 0, AU_ESYNTAX));
	free(expand("%{x}", "192.0.2.3", 0, AU_ESYNTAX));
	free(expand("%{d", "192.0.2.3", 0, AU_ESYNTAX));
	free(expand("%(d)", "192.0.2.3", 0, AU_ESYNTAX));
	free(expand("abc%", "192.0.2.3", 0, AU_ESYNTAX));
	free(expand("%{dr2}", "192.0.2.3", 0, AU_ESYNTAX));
	free(expand("%{d2:}", "192.0.2.3", 0, AU_ESYNTAX));
	free(expand("\x01", "192.0.2.3", 0, AU_ESYNTAX));
	free(expand("\xc3\xaf", "192.0.2.3", 1, AU_ESYNTAX));
}

static void
test_macro_upper_escape(void **state)
{
	char *out, err[128];

	assert_int_equal(au_spf_macro_expand("l=%{L}", "192.0.2.3",
	    "~jack&jill=up-a_b3.c@e8.example.com", "e8.example.com", NULL, NULL,
	    1, &out, err, sizeof err), AU_OK);
	assert_string_equal(out, "l=~jack%26jill%3Dup-a_b3.c");
	free(out);
}

static void
test_macro_truncation_and_bound(void **state)
{
	char spec[2048], sender[1100], *out, err[256];
	size_t n = 0;
	int i;

	/* 8 x 30 + 18 > 253: labels dropped on the left until it fits. */
	n = (size_t)sprintf(spec, "foobar");
	for (i = 0; i < 8; i++)
		n += (size_t)sprintf(spec + n, ".%%{o}");
	sprintf(spec + n, ".example.com.");
	assert_int_equal(au_spf_macro_expand(spec, "192.0.2.3",
	    "x@somewhat.long.exp.example.com", "d.example.com", NULL, NULL, 0,
	    &out, err, sizeof err), AU_OK);
	assert_true(strlen(out) <= 253);
	assert_int_equal(strncmp(out, "somewhat.long.exp.example.com.", 30), 0);
	assert_int_equal(strcmp(out + strlen(out) - 12, ".example.com"), 0);
	free(out);
	/* A long local-part without dots: one label, cannot be truncated to fit. */
	memset(sender, 'l', 300);
	strcpy(sender + 300, "@example.com");
	assert_int_equal(au_spf_macro_expand("%{l}", "192.0.2.3", sender,
	    "example.com", NULL, NULL, 0, &out, err, sizeof err), AU_OK);
	assert_int_equal(strlen(out), 300);	/* check_host then refuses to query it */
	free(out);
	/* %{s} many times with a 1 KB sender: over the expansion bound. */
	memset(sender, 'x', 1000);
	strcpy(sender + 1000, "@example.com");
	n = 0;
	for (i = 0; i < 100; i++)
		n += (size_t)sprintf(spec + n, "%%{s}.");
	sprintf(spec + n, "example.com");
	assert_int_equal(au_spf_macro_expand(spec, "192.0.2.3", sender,
	    "example.com", NULL, NULL, 0, &out, err, sizeof err), AU_ETOOBIG);
	assert_null(out);
	assert_non_null(strstr(err, "longer than"));
}

/* ---------------------------------------------------------------- hostile DNS */

/* A zone served from memory; the test fails if it does not load. */
static au_dns *
zone(const char *text)
{
	au_dns *dns = NULL;
	char err[512];

	if (au_dns_new_zone_text(&dns, text, strlen(text), err, sizeof err) != AU_OK)
		fail_msg("zone did not load: %s", err);
	return dns;
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Check mfrom from ip; asserts the result and that it came quickly. */
static void
expect(au_dns *dns, const char *ip, const char *mfrom, au_spf_result want,
    const char *reason_part, au_spf_verdict *keep)
{
	au_spf_verdict v;
	double t0 = seconds();

	assert_int_equal(au_spf_check_mailfrom(dns, NULL, ip, mfrom,
	    "helo.example.org", &v), AU_OK);
	if (v.result != want)
		fail_msg("%s from %s: %s (%s), want %s", mfrom, ip,
		    au_spf_result_str(v.result), v.reason, au_spf_result_str(want));
	if (reason_part && strstr(v.reason, reason_part) == NULL)
		fail_msg("%s: reason '%s' lacks '%s'", mfrom, v.reason, reason_part);
	assert_true(v.dns_lookups <= AU_SPF_MAX_DNS_MECHS + 1);
	assert_true(seconds() - t0 < 2.0);
	if (keep)
		*keep = v;
	else
		au_spf_verdict_clear(&v);
}

static void
test_hostile_records(void **state)
{
	au_buf z = AU_BUF_INIT(0);
	au_dns *dns;
	int i, j;

	au_buf_puts(&z, "$ORIGIN .\n$TTL 300\n");
	au_buf_puts(&z, "garbage.example. IN TXT \"v=spf1 \\255\\254 %{ a:: -all\"\n");
	au_buf_puts(&z, "nul.example. IN TXT \"v=spf1 a:x.example\\000.com -all\"\n");
	au_buf_puts(&z, "ctl.example. IN TXT \"v=spf1 \\010-all\"\n");
	au_buf_puts(&z, "empty.example. IN TXT \\# 0\n");
	au_buf_puts(&z, "two.example. IN TXT \"v=spf1 -all\"\n");
	au_buf_puts(&z, "two.example. IN TXT \"v=spf1 +all\"\n");
	/* 60 KB record (a TXT RDATA holds at most 64 KB). */
	au_buf_puts(&z, "big.example. IN TXT \"v=spf1 \"");
	for (i = 0; i < 240; i++) {
		au_buf_puts(&z, " \"");
		for (j = 0; j < 25; j++)
			au_buf_puts(&z, "ip4:1.2.3");
		au_buf_puts(&z, " \"");
	}
	au_buf_puts(&z, "\n");
	/* 1000 terms. */
	au_buf_puts(&z, "many.example. IN TXT \"v=spf1\"");
	for (i = 0; i < 25; i++) {
		au_buf_puts(&z, " \"");
		for (j = 0; j < 40; j++)
			au_buf_puts(&z, " a");
		au_buf_puts(&z, "\"");
	}
	au_buf_puts(&z, "\n");
	dns = zone(au_buf_cstr(&z));
	expect(dns, "192.0.2.1", "a@garbage.example", AU_SPF_PERMERROR, "syntax error", NULL);
	expect(dns, "192.0.2.1", "a@nul.example", AU_SPF_PERMERROR, "\\x00", NULL);
	expect(dns, "192.0.2.1", "a@ctl.example", AU_SPF_PERMERROR, "\\x0A", NULL);
	expect(dns, "192.0.2.1", "a@empty.example", AU_SPF_NONE, "no SPF record", NULL);
	expect(dns, "192.0.2.1", "a@two.example", AU_SPF_PERMERROR, "2 SPF records", NULL);
	expect(dns, "192.0.2.1", "a@big.example", AU_SPF_PERMERROR, "bytes", NULL);
	expect(dns, "192.0.2.1", "a@many.example", AU_SPF_PERMERROR, "1000 terms", NULL);
	expect(dns, "192.0.2.1", "a@nonexistent.example", AU_SPF_NONE, "does not exist", NULL);
	au_dns_free(dns);
	au_buf_free(&z);
}

static void
test_hostile_loops_and_depth(void **state)
{
	au_buf z = AU_BUF_INIT(0);
	au_spf_opts opts;
	au_spf_verdict v;
	au_dns *dns;
	int i;

	au_buf_puts(&z, "$ORIGIN .\n$TTL 300\n");
	au_buf_puts(&z, "a.example. IN TXT \"v=spf1 include:b.example -all\"\n");
	au_buf_puts(&z, "b.example. IN TXT \"v=spf1 include:a.example -all\"\n");
	au_buf_puts(&z, "self.example. IN TXT \"v=spf1 redirect=self.example\"\n");
	for (i = 0; i < 50; i++)
		au_buf_printf(&z, "d%d.example. IN TXT \"v=spf1 include:d%d.example -all\"\n",
		    i, i + 1);
	au_buf_puts(&z, "d50.example. IN TXT \"v=spf1 +all\"\n");
	dns = zone(au_buf_cstr(&z));
	expect(dns, "192.0.2.1", "x@a.example", AU_SPF_PERMERROR,
	    "loop: a.example -> b.example -> a.example", NULL);
	expect(dns, "192.0.2.1", "x@self.example", AU_SPF_PERMERROR, "limit 10", NULL);
	expect(dns, "192.0.2.1", "x@d0.example", AU_SPF_PERMERROR, "limit 10", NULL);
	/* Even with the lookup limit lifted, nesting stays bounded. */
	memset(&opts, 0, sizeof opts);
	opts.max_dns_mechs = 100000;
	assert_int_equal(au_spf_check_mailfrom(dns, &opts, "192.0.2.1", "x@d0.example",
	    "h.example", &v), AU_OK);
	assert_int_equal(v.result, AU_SPF_PERMERROR);
	assert_non_null(strstr(v.reason, "nesting deeper than"));
	au_spf_verdict_clear(&v);
	assert_int_equal(au_spf_check_mailfrom(dns, &opts, "192.0.2.1", "x@a.example",
	    "h.example", &v), AU_OK);
	assert_int_equal(v.result, AU_SPF_PERMERROR);
	au_spf_verdict_clear(&v);
	au_dns_free(dns);
	au_buf_free(&z);
}

static void
test_hostile_macros(void **state)
{
	au_buf z = AU_BUF_INIT(0), s = AU_BUF_INIT(0);
	au_dns *dns;
	unsigned long q0;
	int i;

	au_buf_puts(&z, "$ORIGIN .\n$TTL 300\n");
	au_buf_puts(&z, "m.example. IN TXT \"v=spf1 exists:%{l}%{l}.x.example -all\"\n");
	au_buf_puts(&z, "m5.example. IN TXT \"v=spf1 exists:%{l}%{l}%{l}%{l}%{l}.x.example -all\"\n");
	au_buf_puts(&z, "n.example. IN TXT \"v=spf1 exists:%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.x.example -all\"\n");
	au_buf_puts(&z, "s.example. IN TXT \"v=spf1 exists:%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}%{s}.x.example -all\"\n");
	au_buf_puts(&z, "x.example. IN A 127.0.0.2\n");
	dns = zone(au_buf_cstr(&z));
	/* Labels over 63 octets: the target cannot be queried; no match. */
	for (i = 0; i < 60; i++)
		au_buf_putc(&s, 'L');
	au_buf_puts(&s, "@m.example");
	q0 = au_dns_backend_queries(dns);
	expect(dns, "192.0.2.1", au_buf_cstr(&s), AU_SPF_FAIL, "-all", NULL);
	/* Only the TXT record was fetched: no query for the impossible name. */
	assert_int_equal(au_dns_backend_queries(dns) - q0, 1);
	/* Over 253 octets: labels dropped from the left, x.example is asked. */
	au_buf_reset(&s);
	for (i = 0; i < 60; i++)
		au_buf_putc(&s, 'L');
	au_buf_puts(&s, "@m5.example");
	expect(dns, "192.0.2.1", au_buf_cstr(&s), AU_SPF_PASS, "(x.example)", NULL);
	/* Six 60-octet labels: truncated on the left to 253 and queried. */
	au_buf_reset(&s);
	for (i = 0; i < 60; i++)
		au_buf_putc(&s, 'L');
	au_buf_puts(&s, "@n.example");
	expect(dns, "192.0.2.1", au_buf_cstr(&s), AU_SPF_FAIL, NULL, NULL);
	/* 12 x 1 KB of sender: beyond the expansion bound, a permerror. */
	au_buf_reset(&s);
	for (i = 0; i < 1000; i++)
		au_buf_putc(&s, 'a');
	au_buf_puts(&s, "@s.example");
	expect(dns, "192.0.2.1", au_buf_cstr(&s), AU_SPF_PERMERROR, "longer than", NULL);
	/* A sender beyond 1 KB is not evaluated at all. */
	au_buf_reset(&s);
	for (i = 0; i < 5000; i++)
		au_buf_putc(&s, 'a');
	au_buf_puts(&s, "@s.example");
	expect(dns, "192.0.2.1", au_buf_cstr(&s), AU_SPF_NONE, "longer than", NULL);
	au_dns_free(dns);
	au_buf_free(&z);
	au_buf_free(&s);
}

static void
test_hostile_ptr_mx(void **state)
{
	au_buf z = AU_BUF_INIT(0);
	au_dns *dns;
	unsigned long q0;
	int i;

	au_buf_puts(&z, "$ORIGIN .\n$TTL 300\n");
	au_buf_puts(&z, "p.example. IN TXT \"v=spf1 ptr -all\"\n");
	au_buf_puts(&z, "pm.example. IN TXT \"v=spf1 exists:%{p}.x.example -all\"\n");
	for (i = 0; i < 1000; i++)
		au_buf_printf(&z, "1.2.0.192.in-addr.arpa. IN PTR h%d.p.example.\n", i);
	for (i = 0; i < 1000; i++)
		au_buf_printf(&z, "h%d.p.example. IN A 192.0.2.%d\n", i, i == 999 ? 1 : 2);
	au_buf_puts(&z, "mx.example. IN TXT \"v=spf1 mx -all\"\n");
	for (i = 0; i < 11; i++)
		au_buf_printf(&z, "mx.example. IN MX %d m%d.mx.example.\n", i, i);
	au_buf_puts(&z, "mx10.example. IN TXT \"v=spf1 mx -all\"\n");
	for (i = 0; i < 10; i++) {
		au_buf_printf(&z, "mx10.example. IN MX %d m%d.mx10.example.\n", i, i);
		au_buf_printf(&z, "m%d.mx10.example. IN A 192.0.2.%d\n", i, 100 + i);
	}
	dns = zone(au_buf_cstr(&z));
	/* Only 10 PTR names are validated (h999 would have matched). */
	q0 = au_dns_backend_queries(dns);
	expect(dns, "192.0.2.1", "x@p.example", AU_SPF_FAIL, "-all", NULL);
	assert_true(au_dns_backend_queries(dns) - q0 <= 12);
	expect(dns, "192.0.2.1", "x@pm.example", AU_SPF_FAIL, NULL, NULL);
	expect(dns, "192.0.2.1", "x@mx.example", AU_SPF_PERMERROR, "11 MX records (limit 10)", NULL);
	expect(dns, "192.0.2.109", "x@mx10.example", AU_SPF_PASS, "matched 'mx'", NULL);
	au_dns_free(dns);
	au_buf_free(&z);
}

static void
test_identities(void **state)
{
	au_spf_verdict v;
	au_dns *dns = zone("$ORIGIN .\n"
	    "example.net. 300 IN TXT \"v=spf1 -all exp=e.example.net\"\n"
	    "e.example.net. 300 IN TXT \"%{l} at %{o} via %{h}\"\n"
	    "helo.example.org. 300 IN TXT \"v=spf1 ip4:192.0.2.1 -all\"\n"
	    "v6.example.org. 300 IN TXT \"v=spf1 ip6:2001:db8::/32 ip4:192.0.2.0/24 -all\"\n");

	assert_int_equal(au_spf_check_mailfrom(dns, NULL, "192.0.2.9", "@example.net",
	    "h.example", &v), AU_OK);
	assert_int_equal(v.result, AU_SPF_FAIL);
	assert_string_equal(v.explanation, "postmaster at example.net via h.example");
	assert_string_equal(v.sender, "postmaster@example.net");
	assert_string_equal(v.mechanism, "-all");
	au_spf_verdict_clear(&v);
	assert_int_equal(au_spf_check_mailfrom(dns, NULL, "192.0.2.9", "example.net",
	    "h.example", &v), AU_OK);
	assert_string_equal(v.sender, "postmaster@example.net");
	assert_int_equal(v.result, AU_SPF_FAIL);
	au_spf_verdict_clear(&v);
	assert_int_equal(au_spf_check_mailfrom(dns, NULL, "192.0.2.9", "<joe@example.net>",
	    "h.example", &v), AU_OK);
	assert_string_equal(v.explanation, "joe at example.net via h.example");
	au_spf_verdict_clear(&v);
	/* Null reverse-path: postmaster@HELO. */
	assert_int_equal(au_spf_check_mailfrom(dns, NULL, "192.0.2.1", "<>",
	    "helo.example.org", &v), AU_OK);
	assert_int_equal(v.result, AU_SPF_PASS);
	assert_string_equal(v.sender, "postmaster@helo.example.org");
	assert_string_equal(v.identity, "mailfrom");
	au_spf_verdict_clear(&v);
	assert_int_equal(au_spf_check_mailfrom(dns, NULL, "192.0.2.1", "",
	    NULL, &v), AU_OK);
	assert_int_equal(v.result, AU_SPF_NONE);
	au_spf_verdict_clear(&v);
	assert_int_equal(au_spf_check_helo(dns, NULL, "192.0.2.1", "helo.example.org",
	    &v), AU_OK);
	assert_int_equal(v.result, AU_SPF_PASS);
	assert_string_equal(v.identity, "helo");
	au_spf_verdict_clear(&v);
	assert_int_equal(au_spf_check_helo(dns, NULL, "192.0.2.1", "[192.0.2.1]", &v), AU_OK);
	assert_int_equal(v.result, AU_SPF_NONE);
	au_spf_verdict_clear(&v);
	/* IPv4-mapped IPv6 is IPv4. */
	assert_int_equal(au_spf_check_mailfrom(dns, NULL, "::ffff:192.0.2.77",
	    "a@v6.example.org", "h.example", &v), AU_OK);
	assert_int_equal(v.result, AU_SPF_PASS);
	assert_string_equal(v.mechanism, "ip4:192.0.2.0/24");
	au_spf_verdict_clear(&v);
	assert_int_equal(au_spf_check_host(dns, NULL, "2001:db8::1", "v6.example.org",
	    "a@v6.example.org", "h.example", &v), AU_OK);
	assert_int_equal(v.result, AU_SPF_PASS);
	au_spf_verdict_clear(&v);
	/* Caller errors are statuses, not verdicts. */
	assert_int_equal(au_spf_check_mailfrom(dns, NULL, "not-an-ip", "a@b.example",
	    "h.example", &v), AU_EINVAL);
	au_dns_free(dns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_parse),
		cmocka_unit_test(test_ip_match_format),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_terms),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_not_spf_and_bounds),
		cmocka_unit_test(test_macro_rfc_vectors),
		cmocka_unit_test(test_macro_rules),
		cmocka_unit_test(test_macro_upper_escape),
		cmocka_unit_test(test_macro_truncation_and_bound),
		cmocka_unit_test(test_hostile_records),
		cmocka_unit_test(test_hostile_loops_and_depth),
		cmocka_unit_test(test_hostile_macros),
		cmocka_unit_test(test_hostile_ptr_mx),
		cmocka_unit_test(test_identities),
	};
	return cmocka_run_group_tests_name("spf", tests, NULL, NULL);
}
