/*
 * test_dns_zone.c - unit tests for the master-file back end: the parser
 * (RFC 1035 5.1 syntax, RFC 3597 generic RDATA, ;%TIMEOUT marks, errors
 * with line numbers, hostile input) and the query semantics (RFC 1034
 * 4.3.2, RFC 2308 negative TTLs, RFC 8020 empty non-terminals), and the
 * SPF conformance zones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <glob.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "au_buf.h"
#include "au_dns.h"

/* ---------------------------------------------------------------- helpers */

static au_dns *
zone(const char *text)
{
	au_dns *dns = NULL;
	char err[256];
	au_status st;

	st = au_dns_new_zone_text(&dns, text, strlen(text), err, sizeof(err));
	if (st != AU_OK)
		fail_msg("zone did not load: %s", err);
	return dns;
}

/* Loading text must fail with an error containing want. */
static void
zone_err_len(const char *text, size_t len, const char *want)
{
	au_dns *dns = NULL;
	char err[256] = "";
	au_status st;

	st = au_dns_new_zone_text(&dns, text, len, err, sizeof(err));
	if (st == AU_OK) {
		au_dns_free(dns);
		fail_msg("zone loaded, expected error \"%s\"", want);
	}
	assert_null(dns);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void
zone_err(const char *text, const char *want)
{
	zone_err_len(text, strlen(text), want);
}

static au_dns_answer *
q(au_dns *dns, const char *name, au_dns_type type)
{
	au_dns_answer *a = NULL;

	assert_int_equal(au_dns_query(dns, name, type, &a), AU_OK);
	assert_non_null(a);
	assert_int_equal(a->type, type);
	return a;
}

/* Expect the outcome, return nothing. */
static void
expect(au_dns *dns, const char *name, au_dns_type type, au_dns_outcome o)
{
	au_dns_answer *a = q(dns, name, type);

	if (a->outcome != o)
		fail_msg("%s %s: %s, expected %s (%s)", name,
		    au_dns_type_str(type), au_dns_outcome_str(a->outcome),
		    au_dns_outcome_str(o), a->reason);
	if (o != AU_DNS_RECORDS)
		assert_int_equal(a->count, 0);
	au_dns_answer_free(a);
}

/* The single TXT record at name must be exactly data (len bytes, n strings). */
static void
expect_txt(au_dns *dns, const char *name, const char *data, size_t len,
    size_t nstrings)
{
	au_dns_answer *a = q(dns, name, AU_DNS_T_TXT);

	assert_int_equal(a->outcome, AU_DNS_RECORDS);
	assert_int_equal(a->count, 1);
	assert_int_equal(a->rr[0].u.txt.len, len);
	assert_int_equal(a->rr[0].u.txt.nstrings, nstrings);
	assert_memory_equal(a->rr[0].u.txt.data, data, len);
	assert_int_equal(a->rr[0].u.txt.data[len], '\0');
	au_dns_answer_free(a);
}

static void
expect_a(au_dns *dns, const char *name, uint8_t a0, uint8_t a1, uint8_t a2,
    uint8_t a3)
{
	au_dns_answer *a = q(dns, name, AU_DNS_T_A);
	uint8_t want[4] = { a0, a1, a2, a3 };

	if (a->outcome != AU_DNS_RECORDS)
		fail_msg("%s A: %s (%s)", name, au_dns_outcome_str(a->outcome),
		    a->reason);
	assert_int_equal(a->count, 1);
	assert_memory_equal(a->rr[0].u.a, want, 4);
	au_dns_answer_free(a);
}

/* ---------------------------------------------------------------- syntax */

static void
test_basic_types(void **state)
{
	au_dns *dns = zone(
	    "$ORIGIN example.org.\n"
	    "$TTL 600\n"
	    "@\tIN SOA ns1 hostmaster 2024010101 3600 600 86400 120\n"
	    "\tIN NS ns1\n"
	    "ns1 A 192.0.2.1\n"
	    "www 300 IN A 192.0.2.2\n"
	    "www IN 301 AAAA 2001:db8::1\n"
	    "@ MX 10 Mail.Example.Org.\n"
	    "@ MX 20 backup\n"
	    "1.2.0.192.in-addr.arpa. PTR Www.Example.Org.\n"
	    "alias CNAME www\n"
	    "@ TXT \"v=spf1 -all\"\n"
	    "@ SPF \"v=spf1\" \" -all\"\n");
	au_dns_answer *a;
	const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0,0,0,0,0,0,0,0,0,0,0,1 };

	expect_a(dns, "ns1.example.org", 192, 0, 2, 1);
	a = q(dns, "www.example.org", AU_DNS_T_A);
	assert_int_equal(a->ttl, 300);
	au_dns_answer_free(a);
	a = q(dns, "www.example.org", AU_DNS_T_AAAA);
	assert_int_equal(a->outcome, AU_DNS_RECORDS);
	assert_int_equal(a->ttl, 301);
	assert_memory_equal(a->rr[0].u.aaaa, v6, 16);
	au_dns_answer_free(a);

	a = q(dns, "example.org", AU_DNS_T_MX);
	assert_int_equal(a->count, 2);
	assert_int_equal(a->rr[0].u.mx.pref, 10);
	assert_string_equal(a->rr[0].u.mx.host, "mail.example.org");
	assert_int_equal(a->rr[1].u.mx.pref, 20);
	assert_string_equal(a->rr[1].u.mx.host, "backup.example.org");
	assert_int_equal(a->ttl, 600);
	au_dns_answer_free(a);

	a = q(dns, "1.2.0.192.in-addr.arpa", AU_DNS_T_PTR);
	assert_int_equal(a->count, 1);
	assert_string_equal(a->rr[0].u.name, "Www.Example.Org");
	au_dns_answer_free(a);

	a = q(dns, "example.org", AU_DNS_T_NS);
	assert_int_equal(a->count, 1);
	assert_string_equal(a->rr[0].u.name, "ns1.example.org");
	au_dns_answer_free(a);

	a = q(dns, "example.org", AU_DNS_T_SOA);
	assert_int_equal(a->count, 1);
	assert_string_equal(a->rr[0].u.name, "ns1.example.org");
	au_dns_answer_free(a);

	a = q(dns, "alias.example.org", AU_DNS_T_CNAME);
	assert_int_equal(a->count, 1);
	assert_string_equal(a->rr[0].u.name, "www.example.org");
	au_dns_answer_free(a);
	expect_a(dns, "alias.example.org", 192, 0, 2, 2);

	expect_txt(dns, "example.org", "v=spf1 -all", 11, 1);
	a = q(dns, "example.org", AU_DNS_T_SPF);
	assert_int_equal(a->count, 1);
	assert_string_equal(a->rr[0].u.txt.data, "v=spf1 -all");
	assert_int_equal(a->rr[0].u.txt.nstrings, 2);
	au_dns_answer_free(a);
	au_dns_free(dns);
}

static void
test_owner_forms(void **state)
{
	au_dns *dns = zone(
	    "$ORIGIN a.example.\n"
	    "rel 60 A 10.0.0.1\n"
	    "abs.example. 60 A 10.0.0.2\n"
	    "@ 60 A 10.0.0.3\n"
	    "\t60 TXT \"blank owner = @\"\n"
	    "$ORIGIN sub\n"			/* relative: sub.a.example */
	    "x 60 A 10.0.0.4\n"
	    "  A 10.0.0.5\n"			/* previous owner x.sub.a.example */
	    "$ORIGIN .\n"
	    "top A 10.0.0.6\n");
	au_dns_answer *a;

	(void)a;
	expect_a(dns, "rel.a.example", 10, 0, 0, 1);
	expect_a(dns, "abs.example", 10, 0, 0, 2);
	expect_a(dns, "a.example", 10, 0, 0, 3);
	expect_txt(dns, "a.example", "blank owner = @", 15, 1);
	expect(dns, "x.sub.a.example", AU_DNS_T_A, AU_DNS_RECORDS);
	a = q(dns, "x.sub.a.example", AU_DNS_T_A);
	assert_int_equal(a->count, 2);
	assert_int_equal(a->rr[1].u.a[3], 5);
	/* No TTL after the first: the last stated one is kept (RFC 1035 5.1). */
	assert_int_equal(a->rr[1].ttl, 60);
	au_dns_answer_free(a);
	expect_a(dns, "top", 10, 0, 0, 6);
	au_dns_free(dns);

	/* An escaped dot cannot be represented in our plain names. */
	zone_err("a\\.b.example. A 1.2.3.4\n", "<zone text>:1:");
	dns = zone("sp\\032ace.example. A 10.0.0.7\n"
	    "back\\\\slash.example. A 10.0.0.8\n"
	    "\\065\\066c.example. A 10.0.0.9\n");
	expect_a(dns, "sp ace.example", 10, 0, 0, 7);
	expect_a(dns, "back\\slash.example", 10, 0, 0, 8);
	expect_a(dns, "abc.example", 10, 0, 0, 9);
	au_dns_free(dns);
}

static void
test_ttl_and_class(void **state)
{
	au_dns *dns = zone(
	    "a.example. A 1.1.1.1\n"			/* no TTL at all: 3600 */
	    "b.example. 1h30m IN A 1.1.1.2\n"
	    "c.example. IN 2d A 1.1.1.3\n"
	    "d.example. in 1W a 1.1.1.4\n"
	    "e.example. CLASS1 7 A 1.1.1.5\n"
	    "$TTL 42\n"
	    "f.example. A 1.1.1.6\n"
	    "g.example. 0 A 1.1.1.7\n"
	    "h.example. 2147483647 A 1.1.1.8\n");
	struct { const char *n; uint32_t ttl; } t[] = {
		{ "a.example", 3600 }, { "b.example", 5400 },
		{ "c.example", 172800 }, { "d.example", 604800 },
		{ "e.example", 7 }, { "f.example", 42 }, { "g.example", 0 },
		{ "h.example", 2147483647u },
	};
	au_dns_answer *a;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		a = q(dns, t[i].n, AU_DNS_T_A);
		assert_int_equal(a->outcome, AU_DNS_RECORDS);
		if (a->ttl != t[i].ttl)
			fail_msg("%s: ttl %u, want %u", t[i].n, a->ttl, t[i].ttl);
		au_dns_answer_free(a);
	}
	au_dns_free(dns);

	zone_err("a. 2147483648 A 1.2.3.4\n", "<zone text>:1: bad TTL");
	zone_err("a. 1h30 A 1.2.3.4\n", ":1: bad TTL");
	zone_err("a. 12x A 1.2.3.4\n", ":1: bad TTL");
	zone_err("\n\na. CH A 1.2.3.4\n", "<zone text>:3: class CH is not supported");
	zone_err("a. CLASS3 A 1.2.3.4\n", "not supported");
	zone_err("$TTL\n", ":1: $TTL needs");
	zone_err("$TTL 1 2\n", ":1: $TTL needs");
	zone_err("$TTL abc\n", ":1: $TTL needs");
	zone_err("a. 30 IN 40 A 1.2.3.4\n", "unknown record type 40");
	zone_err("a. IN IN A 1.2.3.4\n", "unknown record type IN");
}

static void
test_parens_and_comments(void **state)
{
	au_dns *dns = zone(
	    "; a comment line\n"
	    "   ; an indented comment line\n"
	    "\n"
	    "example. 300 IN SOA ns.example. host.example. (\n"
	    "\t1 ; serial\n"
	    "\t3600 600 ; refresh retry\n"
	    "\t86400\n"
	    "\t77 )  ; minimum\n"
	    "t.example. TXT ( \"one\" ; first\n"
	    "   \"two;not a comment\"\n"
	    ")\n"
	    "u.example. TXT \"(not a paren)\" ; x\r\n"
	    "v.example. A 1.2.3.4 ; trailing\r\n");

	expect_txt(dns, "t.example", "onetwo;not a comment", 20, 2);
	expect_txt(dns, "u.example", "(not a paren)", 13, 1);
	expect_a(dns, "v.example", 1, 2, 3, 4);
	/* The SOA MINIMUM (77) is the negative TTL (RFC 2308 5). */
	{
		au_dns_answer *a = q(dns, "nx.example", AU_DNS_T_A);
		assert_int_equal(a->outcome, AU_DNS_NXDOMAIN);
		assert_int_equal(a->ttl, 77);
		au_dns_answer_free(a);
	}
	au_dns_free(dns);

	zone_err("a. TXT ( \"x\"\n\n", "<zone text>:1: '(' is never closed");
	zone_err("a. A 1.2.3.4 )\n", ":1: ')' without '('");
	zone_err("a. TXT ( ( \"x\" ) )\n", ":1: '(' inside '('");
	zone_err("a. TXT \"x\"\nb. A 1.2.3.4\nc. TXT ( \"y\" \n \"z\" ) )\n",
	    "<zone text>:4: ')' without '('");
}

static void
test_strings_and_escapes(void **state)
{
	au_dns *dns = zone(
	    "a.example. TXT \"tab\\009nl\\010q\\\"bs\\\\end\"\n"
	    "b.example. TXT \"\\195\\175\" \"\\000x\"\n"
	    "c.example. TXT unquoted words\n"
	    "d.example. TXT \"\"\n"
	    "e.example. TXT \"a\" \"\" \"b\"\n"
	    "f.example. TXT \"semi;colon\" \\\"\n");

	expect_txt(dns, "a.example", "tab\tnl\nq\"bs\\end", 15, 1);
	/* A NUL byte inside a string is kept (len counts it). */
	expect_txt(dns, "b.example", "\xc3\xaf\0x", 4, 2);
	expect_txt(dns, "c.example", "unquotedwords", 13, 2);
	expect_txt(dns, "d.example", "", 0, 1);
	expect_txt(dns, "e.example", "ab", 2, 3);
	expect_txt(dns, "f.example", "semi;colon\"", 11, 2);
	au_dns_free(dns);

	zone_err("a. TXT \"\\25\"\n", ":1: bad escape");
	zone_err("a. TXT \"\\256\"\n", ":1: bad escape");
	zone_err("a. TXT \"\\2a5\"\n", ":1: bad escape");
	zone_err("a. TXT \"abc\n", ":1: quoted string not closed");
	zone_err("\na. TXT \"abc", "<zone text>:2: quoted string is never closed");
	zone_err("a. TXT \"abc\\", ":1: backslash at the end");
	zone_err("a. TXT abc\\\n", ":1: backslash at the end");
	zone_err("a. TXT \"a\"b\n", ":1: text right after a closing quote");
	zone_err("a. TXT a\"b\"\n", "inside a word");
	zone_err("a. TXT\n", ":1: TXT record without a string");
}

static void
test_string_bounds(void **state)
{
	au_buf b = AU_BUF_INIT(0);
	au_dns *dns;
	au_dns_answer *a;
	size_t i;

	/* 255 bytes in one character-string is the most (RFC 1035 3.3). */
	au_buf_puts(&b, "a. TXT \"");
	for (i = 0; i < 255; i++)
		au_buf_putc(&b, 'x');
	au_buf_puts(&b, "\"\n");
	dns = zone(b.data);
	a = q(dns, "a", AU_DNS_T_TXT);
	assert_int_equal(a->rr[0].u.txt.len, 255);
	au_dns_answer_free(a);
	au_dns_free(dns);
	au_buf_truncate(&b, b.len - 2);
	au_buf_puts(&b, "x\"\n");
	zone_err(b.data, ":1: character-string longer than 255 bytes");
	/* Also when the 256 bytes come from escapes. */
	au_buf_reset(&b);
	au_buf_puts(&b, "a. TXT \"");
	for (i = 0; i < 256; i++)
		au_buf_puts(&b, "\\032");
	au_buf_puts(&b, "\"\n");
	zone_err(b.data, "longer than 255 bytes");

	/* One 100 KB string: an error, not a truncation. */
	au_buf_reset(&b);
	au_buf_puts(&b, "a. TXT \"");
	for (i = 0; i < 100000; i++)
		au_buf_putc(&b, 'y');
	au_buf_puts(&b, "\"\n");
	zone_err(b.data, "longer than 255 bytes");

	/* 100 KB split into 255-byte strings exceeds 65535 bytes of RDATA. */
	au_buf_reset(&b);
	au_buf_puts(&b, "big. TXT (\n");
	for (i = 0; i < 400; i++) {
		au_buf_putc(&b, '"');
		for (size_t j = 0; j < 255; j++)
			au_buf_putc(&b, (char)('a' + i % 26));
		au_buf_puts(&b, "\"\n");
	}
	au_buf_puts(&b, ")\n");
	zone_err(b.data, "longer than 65535 bytes");

	/* 60 KB split into strings is fine and joined exactly. */
	au_buf_reset(&b);
	au_buf_puts(&b, "big. TXT (\n");
	for (i = 0; i < 240; i++) {
		au_buf_putc(&b, '"');
		for (size_t j = 0; j < 250; j++)
			au_buf_putc(&b, (char)('a' + i % 26));
		au_buf_puts(&b, "\"\n");
	}
	au_buf_puts(&b, ")\n");
	dns = zone(b.data);
	a = q(dns, "big", AU_DNS_T_TXT);
	assert_int_equal(a->outcome, AU_DNS_RECORDS);
	assert_int_equal(a->rr[0].u.txt.len, 60000);
	assert_int_equal(a->rr[0].u.txt.nstrings, 240);
	assert_int_equal(a->rr[0].u.txt.data[59999], 'a' + 239 % 26);
	au_dns_answer_free(a);
	au_dns_free(dns);

	/* A single word too long for any use. */
	au_buf_reset(&b);
	au_buf_puts(&b, "a. TXT ");
	for (i = 0; i < 200000; i++)
		au_buf_putc(&b, 'z');
	zone_err(b.data, ":1: word longer than");
	au_buf_free(&b);
}

static void
test_generic_rdata(void **state)
{
	au_dns *dns = zone(
	    "null.example. TXT \\# 0\n"
	    "two.example. TXT \\# 7 03616263 ( 02 6465 )\n"
	    "a.example. A \\# 4 C0000201\n"
	    "a.example. TYPE1 \\# 4 c0000202\n"
	    "mx.example. MX \\# 16 000a 044d61696c 076578616d706c65 00\n"
	    "cn.example. TYPE5 \\# 14 0474617267076578616d706c6500\n"
	    "targ.example. A 192.0.2.9\n"
	    "x.example. TYPE65280 \\# 3 000102\n"
	    "y.example. HINFO \"PC\" \"Linux\"\n"
	    "z.example. SRV 0 5 25 mail.example.\n");
	au_dns_answer *a;

	expect_txt(dns, "null.example", "", 0, 0);
	expect_txt(dns, "two.example", "abcde", 5, 2);
	a = q(dns, "a.example", AU_DNS_T_A);
	assert_int_equal(a->count, 2);
	assert_int_equal(a->rr[0].u.a[3], 1);
	assert_int_equal(a->rr[1].u.a[3], 2);
	au_dns_answer_free(a);
	a = q(dns, "mx.example", AU_DNS_T_MX);
	assert_int_equal(a->count, 1);
	assert_int_equal(a->rr[0].u.mx.pref, 10);
	assert_string_equal(a->rr[0].u.mx.host, "mail.example");
	au_dns_answer_free(a);
	expect_a(dns, "cn.example", 192, 0, 2, 9);
	/* An unknown type in generic form is served as raw RDATA. */
	a = q(dns, "x.example", (au_dns_type)65280);
	assert_int_equal(a->outcome, AU_DNS_RECORDS);
	assert_int_equal(a->rr[0].u.txt.len, 3);
	assert_memory_equal(a->rr[0].u.txt.data, "\0\1\2", 3);
	au_dns_answer_free(a);
	/* Other types in their own syntax are skipped; the name exists. */
	expect(dns, "y.example", AU_DNS_T_TXT, AU_DNS_NODATA);
	expect(dns, "z.example", AU_DNS_T_A, AU_DNS_NODATA);
	au_dns_free(dns);

	zone_err("a. TXT \\# 2 00\n", ":1: \\# data is 1 bytes, its length says 2");
	zone_err("a. TXT \\# 1 0001\n", ":1: \\# data longer than its length");
	zone_err("a. TXT \\# 1 0\n", "its length says 1");
	zone_err("a. TXT \\# 1 zz\n", ":1: bad hex");
	zone_err("a. TXT \\#\n", ":1: \\# needs a length");
	zone_err("a. TXT \\# 65536\n", "\\# needs a length");
	zone_err("a. TXT \\# 2 0561\n", ":1: \\# data is not valid for this type");
	zone_err("a. A \\# 3 010203\n", ":1: \\# data for A must be 4 bytes");
	zone_err("a. MX \\# 4 000a0161\n", "not valid");
	zone_err("a. CNAME \\# 3 012e00\n", "not valid");
	zone_err("a. CNAME \\# 2 c000\n", "not valid");	/* compression */
}

static void
test_name_bounds(void **state)
{
	au_buf b = AU_BUF_INIT(0);
	char name[300];
	au_dns *dns;
	size_t i;

	/* 63-octet labels are fine, 64 are not. */
	memset(name, 'l', 63);
	name[63] = '\0';
	au_buf_printf(&b, "%s.example. A 1.2.3.4\n", name);
	dns = zone(b.data);
	strcat(name, ".example");
	expect_a(dns, name, 1, 2, 3, 4);
	au_dns_free(dns);
	au_buf_reset(&b);
	memset(name, 'l', 64);
	name[64] = '\0';
	au_buf_printf(&b, "\n%s.example. A 1.2.3.4\n", name);
	zone_err(b.data, "<zone text>:2: label longer than 63 octets");

	/* A 253-octet name is the longest; as relative name plus origin too. */
	for (i = 0; i < 253; i++)
		name[i] = (i % 10 == 9) ? '.' : 'n';
	name[253] = '\0';
	au_buf_reset(&b);
	au_buf_printf(&b, "%s. A 1.2.3.4\n", name);
	dns = zone(b.data);
	expect_a(dns, name, 1, 2, 3, 4);
	au_dns_free(dns);
	au_buf_reset(&b);
	au_buf_printf(&b, "%sn. A 1.2.3.4\n", name);
	zone_err(b.data, "longer than 253 octets");
	au_buf_reset(&b);
	au_buf_printf(&b, "$ORIGIN %s.\nabc A 1.2.3.4\n", name + 2);
	zone_err(b.data, "<zone text>:2: name abc is longer than 253 octets");

	zone_err("a..example. A 1.2.3.4\n", ":1: empty label");
	zone_err(".a.example. A 1.2.3.4\n", ":1: empty label");
	zone_err("a\\000b. A 1.2.3.4\n", ":1: name a\\000b. has a NUL byte");
	zone_err("\"a.\" A 1.2.3.4\n", ":1: a name cannot be quoted");
	zone_err("a. CNAME b..c.\n", ":1: empty label");
	au_buf_free(&b);
}

static void
test_errors_line_numbers(void **state)
{
	static const char nul[] = "a. A 1.2.3.4\nb. TXT \"x\0y\"\n";
	static const char nul2[] = "a. A 1.2.3.4\n\0";

	zone_err("a. A 1.2.3.4\n\n$INCLUDE other.zone\n",
	    "<zone text>:3: $INCLUDE is not supported");
	zone_err("$GENERATE 1-2 a$ A 1.2.3.$\n", ":1: unknown directive $GENERATE");
	zone_err("$ORIGIN\n", ":1: $ORIGIN needs exactly one name");
	zone_err("  A 1.2.3.4\n", ":1: line starts with a blank but no owner");
	zone_err("a. 300 IN\n", ":1: record type missing");
	zone_err("a. FOO 1\n", ":1: unknown record type FOO");
	zone_err("a.\n", ":1: record type missing");
	zone_err("a. A 1.2.3\n", ":1: bad A address 1.2.3");
	zone_err("a. A 1.2.3.4 5.6.7.8\n", ":1: A record needs 1 value, not 2");
	zone_err("a. AAAA 1.2.3.4\n", "bad AAAA address");
	zone_err("a. A \"1.2.3.4\"\n", "bad A address");
	zone_err("a. MX mail.example.\n", ":1: MX record needs 2 values, not 1");
	zone_err("a. MX 65536 mail.\n", ":1: MX preference");
	zone_err("a. MX -1 mail.\n", ":1: MX preference");
	zone_err("a. SOA ns. host. 1 2 3 4\n", "SOA record needs 7 values");
	zone_err("a. SOA ns. host. x 2 3 4 5\n", "bad SOA serial");
	zone_err("a. SOA ns. host. 1 2 3 4 y\n", "bad SOA time");
	zone_err("a. CNAME\n", "CNAME record needs 1 value");
	zone_err_len(nul, sizeof(nul) - 1, "<zone text>:2: NUL byte");
	zone_err_len(nul2, sizeof(nul2) - 1, "<zone text>:2: NUL byte");
	zone_err(";%TIMEOUT\n", ":1: ;%TIMEOUT needs a name");
	zone_err(";%TIMEOUT a. BOGUS\n", ":1: unknown type BOGUS in ;%TIMEOUT");
}

static void
test_empty_and_odd_input(void **state)
{
	au_dns *dns;

	dns = zone("");
	expect(dns, "example", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	au_dns_free(dns);
	dns = zone("\n\n; nothing\n   \n\t\n");
	au_dns_free(dns);
	/* No final newline. */
	dns = zone("a. A 1.2.3.4");
	expect_a(dns, "a", 1, 2, 3, 4);
	au_dns_free(dns);
	/* Text that is not NUL-terminated is read only up to len. */
	assert_int_equal(au_dns_new_zone_text(&dns, "a. A 1.2.3.45", 12, NULL, 0),
	    AU_OK);
	expect_a(dns, "a", 1, 2, 3, 4);
	au_dns_free(dns);
	/* ";%TIMEOUT" not at the start of a record is an ordinary comment. */
	dns = zone("a. A 1.2.3.4 ;%TIMEOUT a.\n;%TIMEOUTX b.\n");
	expect(dns, "b", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	expect(dns, "a", AU_DNS_T_TXT, AU_DNS_NODATA);
	au_dns_free(dns);
}

/* ---------------------------------------------------------------- queries */

static void
test_query_outcomes(void **state)
{
	au_dns *dns = zone(
	    "$ORIGIN example.\n"
	    "@ 3600 SOA ns host 1 2 3 4 50\n"
	    "host A 192.0.2.1\n"
	    "deep.below.ent TXT \"x\"\n");
	au_dns_answer *a;

	expect(dns, "host.example", AU_DNS_T_A, AU_DNS_RECORDS);
	expect(dns, "host.example", AU_DNS_T_AAAA, AU_DNS_NODATA);
	expect(dns, "nohost.example", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	expect(dns, "x.host.example", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	/* Empty non-terminals exist (RFC 8020): NODATA, not NXDOMAIN. */
	expect(dns, "below.ent.example", AU_DNS_T_TXT, AU_DNS_NODATA);
	expect(dns, "ent.example", AU_DNS_T_A, AU_DNS_NODATA);
	expect(dns, "deep.below.ent.example", AU_DNS_T_TXT, AU_DNS_RECORDS);
	/* Case-insensitive, trailing dot optional. */
	expect(dns, "HOST.Example.", AU_DNS_T_A, AU_DNS_RECORDS);
	expect(dns, "Deep.BELOW.ent.EXAMPLE", AU_DNS_T_TXT, AU_DNS_RECORDS);
	/* Negative TTL: min(SOA TTL, MINIMUM). */
	a = q(dns, "nohost.example", AU_DNS_T_A);
	assert_int_equal(a->ttl, 50);
	au_dns_answer_free(a);
	a = q(dns, "host.example", AU_DNS_T_MX);
	assert_int_equal(a->outcome, AU_DNS_NODATA);
	assert_int_equal(a->ttl, 50);
	au_dns_answer_free(a);
	au_dns_free(dns);

	/* Without an SOA the negative TTL is 300. */
	dns = zone("a. A 1.2.3.4\n");
	a = q(dns, "b", AU_DNS_T_A);
	assert_int_equal(a->outcome, AU_DNS_NXDOMAIN);
	assert_int_equal(a->ttl, 300);
	au_dns_answer_free(a);
	au_dns_free(dns);
}

static void
test_rrset_dedup_and_ttl(void **state)
{
	au_dns *dns = zone(
	    "a. 100 A 1.2.3.4\n"
	    "a. 50 A 1.2.3.4\n"
	    "a. 200 A 1.2.3.5\n"
	    "A. 300 A 1.2.3.4\n"
	    "t. TXT \"ab\"\n"
	    "t. TXT \"a\" \"b\"\n"			/* different record */
	    "t. TXT \"a\" \"b\"\n"			/* same again */
	    "t. TXT ab\n"				/* same as "ab" */
	    "m. MX 10 X.example.\n"
	    "m. MX 10 x.EXAMPLE.\n"
	    "m. MX 20 x.example.\n"
	    "n. TXT \\# 0\n"
	    "n. TXT \\# 0\n");
	au_dns_answer *a;

	a = q(dns, "a", AU_DNS_T_A);
	assert_int_equal(a->count, 2);
	assert_int_equal(a->ttl, 50);
	/* File order is kept. */
	assert_int_equal(a->rr[0].u.a[3], 4);
	assert_int_equal(a->rr[1].u.a[3], 5);
	au_dns_answer_free(a);
	a = q(dns, "t", AU_DNS_T_TXT);
	assert_int_equal(a->count, 2);
	assert_int_equal(a->rr[0].u.txt.nstrings, 1);
	assert_int_equal(a->rr[1].u.txt.nstrings, 2);
	au_dns_answer_free(a);
	a = q(dns, "m", AU_DNS_T_MX);
	assert_int_equal(a->count, 2);
	au_dns_answer_free(a);
	a = q(dns, "n", AU_DNS_T_TXT);
	assert_int_equal(a->count, 1);
	au_dns_answer_free(a);
	au_dns_free(dns);
}

static void
test_cname(void **state)
{
	au_buf b = AU_BUF_INIT(0);
	au_dns *dns;
	au_dns_answer *a;
	int i;

	dns = zone(
	    "a. 100 CNAME b.\n"
	    "b. 50 CNAME c.\n"
	    "c. 200 A 10.0.0.1\n"
	    "c. 200 TXT \"at c\"\n"
	    "d. CNAME nowhere.\n"
	    "e. CNAME c.\n"
	    "e. TXT \"e has a TXT too\"\n"
	    "self. CNAME self.\n"
	    "l1. CNAME l2.\n"
	    "l2. CNAME L1.\n"
	    "into. CNAME l1.\n"
	    "ent. CNAME y.\n"
	    "z.y. A 1.1.1.1\n");

	a = q(dns, "a", AU_DNS_T_A);
	assert_int_equal(a->outcome, AU_DNS_RECORDS);
	assert_int_equal(a->count, 1);
	assert_int_equal(a->rr[0].u.a[3], 1);
	assert_int_equal(a->ttl, 50);		/* smallest along the chain */
	au_dns_answer_free(a);
	expect_txt(dns, "a", "at c", 4, 1);
	expect(dns, "a", AU_DNS_T_AAAA, AU_DNS_NODATA);
	expect(dns, "d", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	expect(dns, "ent", AU_DNS_T_A, AU_DNS_NODATA);
	/* Asking for the CNAME itself does not follow it. */
	a = q(dns, "a", AU_DNS_T_CNAME);
	assert_int_equal(a->count, 1);
	assert_string_equal(a->rr[0].u.name, "b");
	au_dns_answer_free(a);
	expect(dns, "c", AU_DNS_T_CNAME, AU_DNS_NODATA);
	/* Records of the asked type at the name win over its CNAME. */
	expect_txt(dns, "e", "e has a TXT too", 15, 1);
	expect_a(dns, "e", 10, 0, 0, 1);

	a = q(dns, "self", AU_DNS_T_A);
	assert_int_equal(a->outcome, AU_DNS_SERVFAIL);
	assert_string_equal(a->reason, "CNAME loop at self");
	au_dns_answer_free(a);
	a = q(dns, "into", AU_DNS_T_TXT);
	assert_int_equal(a->outcome, AU_DNS_SERVFAIL);
	assert_string_equal(a->reason, "CNAME loop at l1");
	au_dns_answer_free(a);
	au_dns_free(dns);

	/* 16 CNAME steps are followed, 17 are too many. */
	for (i = 0; i < 17; i++)
		au_buf_printf(&b, "c%d. CNAME c%d.\n", i, i + 1);
	au_buf_puts(&b, "c17. A 1.2.3.4\n");
	dns = zone(b.data);
	expect_a(dns, "c1", 1, 2, 3, 4);
	a = q(dns, "c0", AU_DNS_T_A);
	assert_int_equal(a->outcome, AU_DNS_SERVFAIL);
	assert_non_null(strstr(a->reason, "CNAME chain longer than 16"));
	au_dns_answer_free(a);
	au_dns_free(dns);

	/* A long loop. */
	au_buf_reset(&b);
	for (i = 0; i < 10; i++)
		au_buf_printf(&b, "r%d. CNAME r%d.\n", i, (i + 1) % 10);
	dns = zone(b.data);
	a = q(dns, "r3", AU_DNS_T_MX);
	assert_int_equal(a->outcome, AU_DNS_SERVFAIL);
	assert_string_equal(a->reason, "CNAME loop at r3");
	au_dns_answer_free(a);
	au_dns_free(dns);
	au_buf_free(&b);
}

static void
test_timeout_marks(void **state)
{
	au_dns *dns = zone(
	    "$ORIGIN example.\n"
	    ";%TIMEOUT all\n"
	    "all TXT \"v=spf1 -all\"\n"
	    ";%TIMEOUT typed A mx\n"
	    "typed A 1.2.3.4\n"
	    "typed TXT \"t\"\n"
	    ";%TIMEOUT nothing.example.\n"
	    ";%TIMEOUT above.example. TXT\n"
	    "x.above TXT \"x\"\n"
	    "  ;%TIMEOUT indented\n");
	au_dns_answer *a;

	/* Without types: only types without records time out. */
	expect(dns, "all.example", AU_DNS_T_TXT, AU_DNS_RECORDS);
	a = q(dns, "all.example", AU_DNS_T_SPF);
	assert_int_equal(a->outcome, AU_DNS_TIMEOUT);
	assert_non_null(strstr(a->reason, "all.example"));
	au_dns_answer_free(a);
	expect(dns, "ALL.example.", AU_DNS_T_A, AU_DNS_TIMEOUT);
	/* With types: those types time out, records or not. */
	expect(dns, "typed.example", AU_DNS_T_A, AU_DNS_TIMEOUT);
	expect(dns, "typed.example", AU_DNS_T_MX, AU_DNS_TIMEOUT);
	expect(dns, "typed.example", AU_DNS_T_TXT, AU_DNS_RECORDS);
	expect(dns, "typed.example", AU_DNS_T_AAAA, AU_DNS_NODATA);
	/* A marked name with no records at all. */
	expect(dns, "nothing.example", AU_DNS_T_TXT, AU_DNS_TIMEOUT);
	expect(dns, "indented.example", AU_DNS_T_A, AU_DNS_TIMEOUT);
	/* The mark does not make names exist; typed marks stay typed. */
	expect(dns, "sub.nothing.example", AU_DNS_T_TXT, AU_DNS_NXDOMAIN);
	expect(dns, "above.example", AU_DNS_T_TXT, AU_DNS_TIMEOUT);
	expect(dns, "above.example", AU_DNS_T_A, AU_DNS_NODATA);
	au_dns_free(dns);
}

static void
test_front_end_name_checks(void **state)
{
	au_dns *dns = zone("a. A 1.2.3.4\n");
	char name[300];
	au_dns_answer *a;

	memset(name, 'x', 64);
	name[64] = '\0';
	a = q(dns, name, AU_DNS_T_A);
	assert_int_equal(a->outcome, AU_DNS_NXDOMAIN);
	assert_non_null(strstr(a->reason, "label longer than 63"));
	au_dns_answer_free(a);
	memset(name, 'x', 254);
	name[254] = '\0';
	for (size_t i = 50; i < 254; i += 50)
		name[i] = '.';
	a = q(dns, name, AU_DNS_T_A);
	assert_int_equal(a->outcome, AU_DNS_NXDOMAIN);
	assert_non_null(strstr(a->reason, "longer than 253"));
	au_dns_answer_free(a);
	/* 253 plus one trailing dot is fine. */
	name[253] = '.';
	expect(dns, name, AU_DNS_T_A, AU_DNS_NXDOMAIN);
	assert_int_equal(au_dns_backend_queries(dns), 1);
	a = q(dns, "a..b", AU_DNS_T_A);
	assert_non_null(strstr(a->reason, "empty label"));
	au_dns_answer_free(a);
	expect(dns, ".a", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	expect(dns, "a..", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	expect(dns, "", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	expect(dns, ".", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	/* None of the rejected names reached the back end. */
	assert_int_equal(au_dns_backend_queries(dns), 1);
	expect(dns, "a.", AU_DNS_T_A, AU_DNS_RECORDS);
	assert_int_equal(au_dns_backend_queries(dns), 2);
	assert_int_equal(au_dns_query(dns, NULL, AU_DNS_T_A, &a), AU_EINVAL);
	assert_null(a);
	assert_int_equal(au_dns_query(dns, "a", (au_dns_type)0, &a), AU_EINVAL);
	assert_int_equal(au_dns_query(dns, "a", (au_dns_type)65536, &a), AU_EINVAL);
	au_dns_free(dns);
}

static void
test_strings(void **state)
{
	assert_string_equal(au_dns_outcome_str(AU_DNS_RECORDS), "records");
	assert_string_equal(au_dns_outcome_str(AU_DNS_NXDOMAIN), "nxdomain");
	assert_string_equal(au_dns_outcome_str(AU_DNS_NODATA), "nodata");
	assert_string_equal(au_dns_outcome_str(AU_DNS_SERVFAIL), "servfail");
	assert_string_equal(au_dns_outcome_str(AU_DNS_TIMEOUT), "timeout");
	assert_string_equal(au_dns_type_str(AU_DNS_T_TXT), "TXT");
	assert_string_equal(au_dns_type_str(AU_DNS_T_SPF), "SPF");
	assert_string_equal(au_dns_type_str(AU_DNS_T_AAAA), "AAAA");
	assert_string_equal(au_dns_type_str((au_dns_type)4242), "unknown");
}

/* ---------------------------------------------------------------- files */

static char *
write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_dns_zone.XXXXXX");
	int fd;

	assert_non_null(path);
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_files_merge(void **state)
{
	char *f1 = write_tmp("$ORIGIN example.\nwww A 1.1.1.1\n");
	char *f2 = write_tmp("www.example. TXT \"second file\"\n"
	    "www A 2.2.2.2\n");		/* origin "." again in a new file */
	char *f3 = write_tmp("ok. A 1.1.1.1\n\nbad. A 999.1.1.1\n");
	const char *files[3] = { f1, f2, NULL };
	char err[512];
	au_dns *dns;
	au_dns_answer *a;

	assert_int_equal(au_dns_new_zone(&dns, files, 2, 0, err, sizeof(err)),
	    AU_OK);
	expect_a(dns, "www.example", 1, 1, 1, 1);
	expect_a(dns, "www", 2, 2, 2, 2);
	expect_txt(dns, "www.example", "second file", 11, 1);
	a = q(dns, "www.example", AU_DNS_T_MX);
	assert_int_equal(a->outcome, AU_DNS_NODATA);
	au_dns_answer_free(a);
	au_dns_free(dns);

	files[2] = f3;
	assert_int_equal(au_dns_new_zone(&dns, files, 3, 0, err, sizeof(err)),
	    AU_ESYNTAX);
	assert_null(dns);
	assert_true(strncmp(err, f3, strlen(f3)) == 0);
	assert_string_equal(err + strlen(f3), ":3: bad A address 999.1.1.1");

	/* A file over 64 MiB is refused before it is parsed. */
	{
		char big[] = "/tmp/test_dns_zone_big.XXXXXX";
		int fd = mkstemp(big);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, (off_t)65 << 20), 0);
		close(fd);
		files[0] = big;
		assert_int_equal(au_dns_new_zone(&dns, files, 1, 0, err,
		    sizeof(err)), AU_ETOOBIG);
		assert_non_null(strstr(err, "larger than 64 MiB"));
		unlink(big);
	}

	files[0] = "/nonexistent/zone/file";
	assert_int_equal(au_dns_new_zone(&dns, files, 1, 0, err, sizeof(err)),
	    AU_EIO);
	assert_non_null(strstr(err, "/nonexistent/zone/file: cannot open"));

	unlink(f1);
	unlink(f2);
	unlink(f3);
	free(f1);
	free(f2);
	free(f3);
}

static const char *
conformance_dir(void)
{
	static char dir[1024];
	const char *top = getenv("top_srcdir");

	snprintf(dir, sizeof(dir), "%s/../shared/conformance/spf/zones/rfc7208",
	    top ? top : ".");
	return dir;
}

/*
 * The conformance data lives outside the repository (../shared); a
 * distribution tarball checked alone has none.  cmocka 1.1.5 reports
 * skip() as "not ok", so say so in a TAP comment and pass instead.
 */
static int
no_conformance(void)
{
	struct stat st;

	if (stat(conformance_dir(), &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	printf("# SKIP: no conformance data at %s\n", conformance_dir());
	return 1;
}

static au_dns *
conformance_zone(const char *file)
{
	char path[1200], err[512];
	const char *files[1] = { path };
	au_dns *dns = NULL;

	snprintf(path, sizeof(path), "%s/%s", conformance_dir(), file);
	if (au_dns_new_zone(&dns, files, 1, 0, err, sizeof(err)) != AU_OK)
		fail_msg("%s", err);
	return dns;
}

static void
test_conformance_zones_load(void **state)
{
	char pat[1100], err[512];
	glob_t g;
	au_dns *dns;
	size_t i;

	if (no_conformance())
		return;
	snprintf(pat, sizeof(pat), "%s/*.zone", conformance_dir());
	if (glob(pat, 0, NULL, &g) != 0)
		fail_msg("no zone files at %s", pat);
	assert_int_equal(g.gl_pathc, 16);
	for (i = 0; i < g.gl_pathc; i++) {
		const char *files[1] = { g.gl_pathv[i] };

		if (au_dns_new_zone(&dns, files, 1, 0, err, sizeof(err)) != AU_OK)
			fail_msg("%s", err);
		/* Every file has the made-up SOA at the root. */
		expect(dns, "nonexistent.invalid", AU_DNS_T_TXT, AU_DNS_NXDOMAIN);
		au_dns_free(dns);
	}
	globfree(&g);
}

static void
test_conformance_records(void **state)
{
	au_dns *dns;
	au_dns_answer *a;
	char name[300];
	size_t i, n0 = 0, n2 = 0;

	if (no_conformance())
		return;
	dns = conformance_zone("01-initial-processing.zone");
	/* null.example.com: a TXT with no string and one with two. */
	a = q(dns, "null.example.com", AU_DNS_T_TXT);
	assert_int_equal(a->count, 2);
	for (i = 0; i < 2; i++) {
		if (a->rr[i].u.txt.nstrings == 0) {
			assert_int_equal(a->rr[i].u.txt.len, 0);
			n0++;
		} else {
			assert_int_equal(a->rr[i].u.txt.nstrings, 2);
			assert_string_equal(a->rr[i].u.txt.data,
			    "v=spf1 ip4:192.0.2.5 -all");
			n2++;
		}
	}
	assert_int_equal(n0, 1);
	assert_int_equal(n2, 1);
	au_dns_answer_free(a);
	expect_txt(dns, "ctrl.example.com", "v=spf1 a:ctrl.example.com\rptr -all",
	    34, 1);
	expect(dns, "example.com", AU_DNS_T_TXT, AU_DNS_TIMEOUT);
	expect(dns, "example.net", AU_DNS_T_TXT, AU_DNS_RECORDS);
	expect(dns, "example.net", AU_DNS_T_A, AU_DNS_NODATA);
	au_dns_free(dns);

	dns = conformance_zone("14-macro-expansion-rules.zone");
	expect_a(dns, "macro%percent  space%20url-space.example.com", 1, 2, 3, 4);
	name[0] = '\0';
	for (i = 0; i < 8; i++)
		strcat(name, "somewhat.long.exp.example.com.");
	strcat(name, "example.com");
	assert_int_equal(strlen(name), 251);
	expect_txt(dns, name, "Congratulations!  That was tricky.", 34, 1);
	au_dns_free(dns);

	dns = conformance_zone("06-ptr-mechanism-syntax.zone");
	a = q(dns, "loop4.example.com", AU_DNS_T_PTR);
	assert_int_equal(a->outcome, AU_DNS_SERVFAIL);
	assert_non_null(strstr(a->reason, "CNAME loop"));
	au_dns_answer_free(a);
	au_dns_free(dns);

	dns = conformance_zone("02-record-lookup.zone");
	expect(dns, "txttimeout.example.net", AU_DNS_T_TXT, AU_DNS_TIMEOUT);
	expect(dns, "txttimeout.example.net", AU_DNS_T_SPF, AU_DNS_RECORDS);
	expect(dns, "spftimeout.example.net", AU_DNS_T_TXT, AU_DNS_RECORDS);
	expect(dns, "spftimeout.example.net", AU_DNS_T_SPF, AU_DNS_TIMEOUT);
	au_dns_free(dns);
}

/* ---------------------------------------------------------------- peer */

/*
 * Differential check against dnspython, an independent master-file reader
 * (tests/unit/zone_peer.py prints what it finds): every RRset it sees must
 * come back from our loader with the same data, every name it knows must
 * exist (NODATA for types it has no records of, TIMEOUT under a mark),
 * and a name below any of them must not.
 */
static const au_dns_type peer_types[] = {
	AU_DNS_T_A, AU_DNS_T_NS, AU_DNS_T_CNAME, AU_DNS_T_SOA, AU_DNS_T_PTR,
	AU_DNS_T_MX, AU_DNS_T_TXT, AU_DNS_T_AAAA, AU_DNS_T_SPF,
};

static void
hex_put(au_buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		au_buf_printf(b, "%02x", s[i]);
}

static void
unhex(const char *h, char *out, size_t outlen)
{
	size_t i, n = strlen(h) / 2;
	unsigned v;

	assert_true(n < outlen);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (char)v;
	}
	out[n] = '\0';
}

/* Our record in zone_peer.py's notation. */
static char *
peer_canon(au_dns_type t, const au_dns_rr *rr)
{
	au_buf b = AU_BUF_INIT(0);
	char *s;

	switch (t) {
	case AU_DNS_T_A:
		au_buf_printf(&b, "%u.%u.%u.%u", rr->u.a[0], rr->u.a[1],
		    rr->u.a[2], rr->u.a[3]);
		break;
	case AU_DNS_T_AAAA:
		hex_put(&b, rr->u.aaaa, 16);
		break;
	case AU_DNS_T_MX:
		au_buf_printf(&b, "%u ", rr->u.mx.pref);
		hex_put(&b, rr->u.mx.host, strlen(rr->u.mx.host));
		if (rr->u.mx.host[0] == '\0')
			au_buf_puts(&b, "2e");
		break;
	case AU_DNS_T_TXT:
	case AU_DNS_T_SPF:
		au_buf_printf(&b, "%zu ", rr->u.txt.nstrings);
		hex_put(&b, rr->u.txt.data, rr->u.txt.len);
		break;
	default:
		hex_put(&b, rr->u.name, strlen(rr->u.name));
		if (rr->u.name[0] == '\0')
			au_buf_puts(&b, "2e");
		break;
	}
	assert_int_equal(au_buf_detach(&b, &s), AU_OK);
	return s;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is there a line starting with prefix in the sorted lines? */
static int
has_prefix(char **lines, size_t n, const char *prefix)
{
	size_t lo = 0, hi = n, m, plen = strlen(prefix);

	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (strcmp(lines[m], prefix) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < n && strncmp(lines[lo], prefix, plen) == 0;
}

/* Run zone_peer.py on files; its output lines, sorted. 0 = skip. */
static size_t
peer_lines(const char *const *files, size_t nfiles, char ***out, au_buf *text)
{
	const char *py = getenv("PYTHON"), *top = getenv("top_srcdir");
	au_buf cmd = AU_BUF_INIT(0);
	char chunk[65536], **lines = NULL, *p, *nl;
	size_t i, n = 0, cap = 0, got;
	FILE *fp;
	int st;

	au_buf_printf(&cmd, "'%s' '%s/tests/unit/zone_peer.py'",
	    py ? py : "/usr/bin/python3", top ? top : ".");
	for (i = 0; i < nfiles; i++) {
		assert_null(strchr(files[i], '\''));
		au_buf_printf(&cmd, " '%s'", files[i]);
	}
	assert_non_null(fp = popen(cmd.data, "r"));
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		assert_int_equal(au_buf_append(text, chunk, got), AU_OK);
	st = pclose(fp);
	au_buf_free(&cmd);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("zone_peer.py failed (status %d)", st);
	for (p = text->data; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			assert_non_null(lines = realloc(lines, cap * sizeof(*lines)));
		}
		lines[n++] = p;
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	*out = lines;
	return n;
}

static void
peer_compare(au_dns *dns, const char *const *files, size_t nfiles)
{
	au_buf text = AU_BUF_INIT(0), pre = AU_BUF_INIT(0);
	char **lines = NULL, name[300], hname[700], htype[16], *ours[256];
	size_t n, i, j, k, checked = 0;
	au_dns_answer *a;
	au_dns_type t;
	int ti;

	if ((n = peer_lines(files, nfiles, &lines, &text)) == 0) {
		au_buf_free(&text);
		skip();
	}
	for (i = 0; i < n; i = j) {
		if (lines[i][0] != 'R') {
			j = i + 1;
			continue;
		}
		assert_int_equal(sscanf(lines[i], "R %699s %15s", hname, htype), 2);
		au_buf_reset(&pre);
		au_buf_printf(&pre, "R %s %s ", hname, htype);
		for (j = i; j < n && strncmp(lines[j], pre.data, pre.len) == 0; j++)
			;
		if (strcmp(hname, "2e") == 0)
			continue;	/* the root: we do not ask for it */
		unhex(hname, name, sizeof(name));
		t = (au_dns_type)atoi(htype);
		a = q(dns, name, t);
		if (a->outcome != AU_DNS_RECORDS)
			fail_msg("%s %s: %s (%s), dnspython has %zu records", name,
			    au_dns_type_str(t), au_dns_outcome_str(a->outcome),
			    a->reason, j - i);
		assert_true(a->count < 256);
		for (k = 0; k < a->count; k++)
			ours[k] = peer_canon(t, &a->rr[k]);
		qsort(ours, a->count, sizeof(*ours), cmp_str);
		if (a->count != j - i)
			fail_msg("%s %s: %zu records, dnspython has %zu", name,
			    au_dns_type_str(t), a->count, j - i);
		for (k = 0; k < a->count; k++) {
			if (strcmp(ours[k], lines[i + k] + pre.len) != 0)
				fail_msg("%s %s: ours %s, dnspython %s", name,
				    au_dns_type_str(t), ours[k],
				    lines[i + k] + pre.len);
			free(ours[k]);
		}
		au_dns_answer_free(a);
		checked++;
	}
	for (i = 0; i < n; i++) {
		if (lines[i][0] != 'N' && lines[i][0] != 'T')
			continue;
		assert_int_equal(sscanf(lines[i] + 2, "%699s", hname), 1);
		unhex(hname, name, sizeof(name));
		au_buf_reset(&pre);
		au_buf_printf(&pre, "T %s", hname);
		int marked = has_prefix(lines, n, pre.data);
		au_buf_reset(&pre);
		au_buf_printf(&pre, "R %s 5 ", hname);
		int cname = has_prefix(lines, n, pre.data);
		for (ti = 0; ti < (int)(sizeof(peer_types) / sizeof(peer_types[0])); ti++) {
			t = peer_types[ti];
			au_buf_reset(&pre);
			au_buf_printf(&pre, "R %s %d ", hname, (int)t);
			if (has_prefix(lines, n, pre.data))
				continue;
			if (cname && t != AU_DNS_T_CNAME && !marked)
				continue;
			expect(dns, name, t, marked ? AU_DNS_TIMEOUT :
			    lines[i][0] == 'N' ? AU_DNS_NODATA : AU_DNS_NXDOMAIN);
			checked++;
		}
		if (lines[i][0] == 'N' && strlen(name) < 240) {
			char below[320];

			snprintf(below, sizeof(below), "zz-none.%s", name);
			expect(dns, below, AU_DNS_T_A, AU_DNS_NXDOMAIN);
		}
	}
	print_message("# %zu answers agree with dnspython\n", checked);
	assert_true(checked > 0);
	free(lines);
	au_buf_free(&text);
	au_buf_free(&pre);
}

static void
test_peer_conformance_zones(void **state)
{
	const char *dirs[] = { "../rfc7208", "../rfc4408",
	    "../../../arc/zones/validation", "../../../arc/zones/sign" };
	char pat[1200], err[512];
	glob_t g;
	au_dns *dns;
	size_t d, i;

	if (no_conformance())
		return;
	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		snprintf(pat, sizeof(pat), "%s/%s/*.zone", conformance_dir(),
		    dirs[d]);
		if (glob(pat, 0, NULL, &g) != 0)
			fail_msg("no zone files at %s", pat);
		for (i = 0; i < g.gl_pathc; i++) {
			const char *files[1] = { g.gl_pathv[i] };

			if (au_dns_new_zone(&dns, files, 1, 0, err,
			    sizeof(err)) != AU_OK)
				fail_msg("%s", err);
			peer_compare(dns, files, 1);
			au_dns_free(dns);
		}
		globfree(&g);
	}
}

/* Every syntax feature at once, read by both loaders. */
static const char torture_zone[] =
    "; syntax torture for the differential test\n"
    "$TTL 1h\n"
    "@\tIN\tSOA\tns1.Example.ORG. hostmaster.example.org. (\n"
    "\t\t2024010101 ; serial\n"
    "\t\t3h 15m 2w 1d30m )\n"
    "\t\tNS\tns1.example.org.\n"
    "\t\tNS\tns2.example.net.\n"
    "$ORIGIN Example.ORG.\n"
    "ns1\t300\tIN\tA\t192.0.2.1\n"
    "\t300\tIN\tAAAA\t2001:db8::1\n"
    "\tAAAA\t\\# 16 20010db8000000000000000000000002\n"
    "mail\tMX\t10 ns1\n"
    "mail\tMX\t( 20\n   Backup.Example.NET. )\n"
    "mail\tMX\t\\# 7 001e 01 78 01 79 00\n"
    "txt\tTXT\t\"a\" \"b\" c \"d e\" \"\\\"q\\\"\" \"\\\\\" \"\\195\\169\\000\"\n"
    "txt\tTXT\t(\n \"line1\"\n \"line2\" ) ; two lines\n"
    "txt\tTXT\t\\# 0\n"
    "txt\tTXT\t\\# 6 02 6869 02 6869\n"
    "txt\tSPF\t\"v=spf1 \" \"-all\"\n"
    "sp\\032ace.sub\tA\t192.0.2.2\n"
    "back\\\\sl\\\"ash\tA\t192.0.2.3\n"
    "\\065\\066\\067\tPTR\tTarget.Example.com.\n"
    "deep.ent.below\tTXT\tdeep\n"
    "alias\tCNAME\tns1\n"
    "alias2\tCNAME\tfar.away.example.\n"
    "$ORIGIN sub.example.org.\n"
    "rel\tA\t192.0.2.4\n"
    "@\tA\t192.0.2.5\n"
    "$ORIGIN .\n"
    "abs.example.\tA\t192.0.2.6\n"
    "dup.example.\tA\t192.0.2.7\n"
    "dup.example.\tA\t192.0.2.7\n"
    "Dup.Example.\t60\tA\t192.0.2.7\n"
    "big.example.\tTXT\t\"";

static void
test_peer_torture(void **state)
{
	au_buf b = AU_BUF_INIT(0);
	char path[] = "/tmp/test_dns_zone_peer.XXXXXX", err[256];
	const char *files[1] = { path };
	au_dns *dns;
	size_t i;
	int fd;

	au_buf_puts(&b, torture_zone);
	for (i = 0; i < 255; i++)
		au_buf_putc(&b, (char)('!' + i % 90 == '"' || '!' + i % 90 == '\\' ?
		    'x' : '!' + i % 90));
	au_buf_puts(&b, "\" (\n\"");
	for (i = 0; i < 200; i++)
		au_buf_puts(&b, "\\255");
	au_buf_puts(&b, "\" )\n");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	close(fd);
	if (au_dns_new_zone(&dns, files, 1, 0, err, sizeof(err)) != AU_OK)
		fail_msg("%s", err);
	peer_compare(dns, files, 1);
	au_dns_free(dns);
	unlink(path);
	au_buf_free(&b);
}

/* ---------------------------------------------------------------- scale */

static void
test_large_zone(void **state)
{
	au_buf b = AU_BUF_INIT(0);
	struct timespec t0, t1;
	au_dns *dns;
	char name[64];
	double secs;
	int i;

	au_buf_puts(&b, "$ORIGIN big.example.\n$TTL 60\n");
	for (i = 0; i < 100000; i++)
		au_buf_printf(&b, "h%d A 10.%d.%d.%d\nh%d TXT \"v=spf1 "
		    "ip4:10.0.0.%d -all\"\n", i, i >> 16, (i >> 8) & 255,
		    i & 255, i, i & 255);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dns = zone(b.data);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("# loaded 200000 records in %.3f s\n", secs);
	/* Generous even under sanitizers; a quadratic loader takes minutes. */
	assert_true(secs < 20.0);
	for (i = 0; i < 100000; i += 997) {
		snprintf(name, sizeof(name), "H%d.Big.Example", i);
		expect_a(dns, name, 10, (uint8_t)(i >> 16),
		    (uint8_t)((i >> 8) & 255), (uint8_t)(i & 255));
	}
	expect(dns, "h100000.big.example", AU_DNS_T_A, AU_DNS_NXDOMAIN);
	au_dns_free(dns);

	/* Bounds on the zone's size give an error, not a crash. */
	au_buf_reset(&b);
	for (i = 0; i <= 100000; i++)
		au_buf_printf(&b, ";%%TIMEOUT t%d.\n", i);
	zone_err(b.data, "<zone text>:100001: zone too large");
	au_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_types),
		cmocka_unit_test(test_owner_forms),
		cmocka_unit_test(test_ttl_and_class),
		cmocka_unit_test(test_parens_and_comments),
		cmocka_unit_test(test_strings_and_escapes),
		cmocka_unit_test(test_string_bounds),
		cmocka_unit_test(test_generic_rdata),
		cmocka_unit_test(test_name_bounds),
		cmocka_unit_test(test_errors_line_numbers),
		cmocka_unit_test(test_empty_and_odd_input),
		cmocka_unit_test(test_query_outcomes),
		cmocka_unit_test(test_rrset_dedup_and_ttl),
		cmocka_unit_test(test_cname),
		cmocka_unit_test(test_timeout_marks),
		cmocka_unit_test(test_front_end_name_checks),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_files_merge),
		cmocka_unit_test(test_conformance_zones_load),
		cmocka_unit_test(test_conformance_records),
		cmocka_unit_test(test_peer_conformance_zones),
		cmocka_unit_test(test_peer_torture),
		cmocka_unit_test(test_large_zone),
	};
	return cmocka_run_group_tests_name("dns_zone", tests, NULL, NULL);
}
