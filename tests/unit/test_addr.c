/*
 * test_addr.c - unit tests for the RFC 5322 address-list parser used for
 * From: display names, quoted strings with quoted-pairs, nested comments,
 * encoded words, group syntax and the obsolete forms of RFC 5322 4.4 must
 * never change the domain found; malformed and oversized fields must be
 * refused, never guessed at.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "au_addr.h"

/* value -> "local@domain,local@domain" (literal domains as written) */
static const struct good {
	const char *value;
	const char *want;
} good[] = {
	{ "user@example.com", "user@example.com" },
	{ "  user@example.com  ", "user@example.com" },
	{ "John Doe <john@example.com>", "john@example.com" },
	{ "<john@example.com>", "john@example.com" },
	{ "\"evil@attacker.example\" <user@victim.example>", "user@victim.example" },
	{ "\"<evil@attacker.example>\" <user@victim.example>", "user@victim.example" },
	{ "\"Joe \\\"Q\\\" Public\" <joe@example.com>", "joe@example.com" },
	{ "\"a\\\\\" <b@example.com>", "b@example.com" },
	{ "(evil@attacker.example) user@victim.example", "user@victim.example" },
	{ "user@victim.example (comment (nested (deeper) <x@y.z>) done)",
	  "user@victim.example" },
	{ "Foo (<evil@attacker.example>) <good@victim.example>", "good@victim.example" },
	{ "(\\(escaped\\) paren) u@example.com", "u@example.com" },
	{ "=?utf-8?q?evil=40attacker.example?= <u@victim.example>", "u@victim.example" },
	{ "=?utf-8?b?ZXZpbEBhdHRhY2tlci5leGFtcGxl?= <u@victim.example>",
	  "u@victim.example" },
	{ "Mr. Smith <s@example.com>", "s@example.com" },
	{ "john . doe @ example . com", "john.doe@example.com" },
	{ "john(c).doe@(c)example(c).(c)com", "john.doe@example.com" },
	{ "\"quoted local\"@example.com", "quoted local@example.com" },
	{ "<@route1.example,@route2.example:user@example.com>", "user@example.com" },
	{ "<,@route1.example:user@example.com>", "user@example.com" },
	{ "a@one.example, b@two.example", "a@one.example,b@two.example" },
	{ "a@one.example,,, b@two.example,", "a@one.example,b@two.example" },
	{ "Friends: a@one.example, B <b@two.example>;", "a@one.example,b@two.example" },
	{ "Undisclosed recipients:;", "" },
	{ "", "" },
	{ "   (only a comment)  ", "" },
	{ "user@[192.0.2.1]", "user@[192.0.2.1]" },
	{ "John\r\n <john@example.com>", "john@example.com" },
	{ "\"folded\r\n name\" <f@example.com>", "f@example.com" },
	{ "J\xc3\xb6hn <j@ex\xc3\xa4mple.com>", "j@ex\xc3\xa4mple.com" },
	{ NULL, NULL }
};

static const char *bad[] = {
	"attacker.example",			/* no address */
	"user@",				/* no domain */
	"@example.com",				/* no local-part */
	"<>",
	"Name <user@example.com",		/* unbalanced */
	"Name user@example.com>",
	"<<user@example.com>>",
	"user@example.com (unterminated",
	"user@example.com )",
	"\"unterminated <u@example.com>",
	"us\\er@example.com",			/* backslash outside quotes */
	"a@b@c.example",
	"user@example.com.",			/* trailing dot */
	"user@.example.com",
	"user@example..com",
	"evil@attacker.example <good@victim.example>",
	"John Smith@example.com",
	"Group: a@b.example",			/* group without ';' */
	"Outer: Inner: a@b.example;;",		/* nested group */
	"user@[1.2.3.4",
	"u@example.com\x01",
	"u@exa\0mple.com",
	"a@b.example c@d.example",		/* missing comma */
	NULL
};

static void
render(const au_addr_list *l, char *out, size_t size)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < l->naddrs; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s@%s", i ? "," : "",
		    l->addrs[i].local, l->addrs[i].domain ? l->addrs[i].domain :
		    l->addrs[i].literal);
}

static void
test_good(void **state)
{
	char got[1024], err[256];
	au_addr_list *l;
	int i;

	(void)state;
	for (i = 0; good[i].value; i++) {
		l = NULL;
		if (au_addr_parse(good[i].value, strlen(good[i].value), &l, err,
		    sizeof err) != AU_OK)
			fail_msg("'%s' refused: %s", good[i].value, err);
		render(l, got, sizeof got);
		if (strcmp(got, good[i].want) != 0)
			fail_msg("'%s': got '%s', want '%s'", good[i].value, got,
			    good[i].want);
		au_addr_list_free(l);
	}
}

static void
test_bad(void **state)
{
	char err[256];
	au_addr_list *l;
	size_t len;
	int i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		l = (au_addr_list *)1;
		len = strlen(bad[i]);
		if (strcmp(bad[i], "u@exa") == 0)
			len = sizeof "u@exa\0mple.com" - 1;
		err[0] = '\0';
		if (au_addr_parse(bad[i], len, &l, err, sizeof err) != AU_ESYNTAX)
			fail_msg("'%s' was accepted", bad[i]);
		assert_null(l);
		assert_true(err[0] != '\0');
	}
	/* A NUL inside (given by length). */
	assert_int_equal(au_addr_parse("u@exa\0mple.com", 14, &l, err, sizeof err),
	    AU_ESYNTAX);
}

static void
test_groups_and_flags(void **state)
{
	au_addr_list *l = NULL;
	const char *v = "Team: a@one.example;, b@two.example, x@[IPv6:2001:db8::1]";
	char err[128];

	(void)state;
	assert_int_equal(au_addr_parse(v, strlen(v), &l, err, sizeof err), AU_OK);
	assert_int_equal(l->naddrs, 3);
	assert_int_equal(l->ngroups, 1);
	assert_true(l->addrs[0].in_group);
	assert_false(l->addrs[1].in_group);
	assert_null(l->addrs[2].domain);
	assert_string_equal(l->addrs[2].literal, "[IPv6:2001:db8::1]");
	au_addr_list_free(l);
}

static void
test_bounds(void **state)
{
	char *big, err[128];
	au_addr_list *l = NULL;
	size_t i, n;

	(void)state;
	/* Nesting beyond the bound. */
	big = calloc(1, 4096);
	assert_non_null(big);
	for (i = 0; i < 40; i++)
		strcat(big, "(");
	strcat(big, "x");
	for (i = 0; i < 40; i++)
		strcat(big, ")");
	strcat(big, " u@example.com");
	assert_int_equal(au_addr_parse(big, strlen(big), &l, err, sizeof err), AU_ESYNTAX);
	assert_non_null(strstr(err, "nested"));
	/* 16 levels are fine. */
	big[0] = '\0';
	for (i = 0; i < 16; i++)
		strcat(big, "(");
	for (i = 0; i < 16; i++)
		strcat(big, ")");
	strcat(big, "u@example.com");
	assert_int_equal(au_addr_parse(big, strlen(big), &l, err, sizeof err), AU_OK);
	au_addr_list_free(l);
	free(big);

	/* Too many addresses. */
	big = calloc(1, 8192);
	assert_non_null(big);
	for (i = 0; i < 100; i++)
		strcat(big, "a@b.example,");
	assert_int_equal(au_addr_parse(big, strlen(big), &l, err, sizeof err), AU_ETOOBIG);
	free(big);

	/* Too long a field; too many tokens. */
	n = AU_ADDR_MAX_FIELD + 1;
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	assert_int_equal(au_addr_parse(big, n, &l, err, sizeof err), AU_ETOOBIG);
	memset(big, '.', AU_ADDR_MAX_FIELD);
	assert_int_equal(au_addr_parse(big, AU_ADDR_MAX_FIELD, &l, err, sizeof err),
	    AU_ETOOBIG);
	/* An unterminated comment as long as allowed: refused quickly. */
	big[0] = '(';
	memset(big + 1, 'x', AU_ADDR_MAX_FIELD - 1);
	assert_int_equal(au_addr_parse(big, AU_ADDR_MAX_FIELD, &l, err, sizeof err),
	    AU_ESYNTAX);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_groups_and_flags),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
