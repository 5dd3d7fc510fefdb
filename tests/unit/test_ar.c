/*
 * test_ar.c - unit tests for Authentication-Results (RFC 8601): the
 * writer's escaping of hostile reasons and values, its folding, the
 * parser on the examples of RFC 8601 Appendix B (including the
 * comment-heavy example 7), round trips, and authserv-id extraction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "au_ar.h"

#define PREFIX "Authentication-Results: "

/*
 * Every line of PREFIX+value within 78 columns (TAB = 8), unless it is a
 * single piece that cannot be folded; folds are CRLF TAB.
 */
static void
check_folding(const char *value, size_t maxcol)
{
	size_t col = strlen(PREFIX);
	const char *p;
	int spaces = 1;

	for (p = value; *p; p++) {
		if (*p == '\r') {
			assert_true(p[1] == '\n' && p[2] == '\t');
			if (col > maxcol && spaces)
				fail_msg("line of %zu columns in:\n%s", col, value);
			col = 0;
			spaces = 0;
			p++;
			continue;
		}
		if (*p == ' ')
			spaces = 1;
		assert_true(*p != '\n');
		assert_true((unsigned char)*p >= 0x20 || *p == '\t');
		assert_true((unsigned char)*p < 0x7f);
		col += *p == '\t' ? 8 : 1;
	}
	if (col > maxcol && spaces)
		fail_msg("last line of %zu columns in:\n%s", col, value);
}

static const au_ar_prop *
prop(const au_ar_resinfo *r, const char *ptype, const char *property)
{
	size_t i;

	for (i = 0; i < r->nprops; i++)
		if (strcmp(r->props[i].ptype, ptype) == 0 &&
		    strcmp(r->props[i].property, property) == 0)
			return &r->props[i];
	return NULL;
}

static void
test_write_roundtrip(void **state)
{
	const char *reason = "bad (nested) \\ reason\r\nX-Injected: yes\x01 end";
	const char *odd = "value with \"quotes\" and \\ and ; and spaces";
	au_ar_writer *w = NULL;
	char *v = NULL, err[256];
	au_ar *ar = NULL;
	const au_ar_prop *p;

	(void)state;
	assert_int_equal(au_ar_writer_new(&w, "mx.example.org"), AU_OK);
	assert_int_equal(au_ar_add(w, "spf", "pass", reason), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "smtp", "mailfrom", "user+x=y@example.com"), AU_OK);
	assert_int_equal(au_ar_add(w, "dkim", "pass", NULL), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "header", "d", "example.com"), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "header", "b", "ab/c+d=="), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "header", "i", odd), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "header", "s", ""), AU_OK);	/* skipped */
	assert_int_equal(au_ar_add(w, "dmarc", "fail", "p=reject"), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "header", "from", "example.com"), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "policy", "dmarc", "reject"), AU_OK);
	assert_int_equal(au_ar_writer_finish(w, 0, &v), AU_OK);
	au_ar_writer_free(w);

	check_folding(v, 78);
	/* Injection impossible: no "\r\nX-" line, every CRLF is a fold. */
	assert_null(strstr(v, "\r\nX-Injected"));
	assert_non_null(strstr(v, "\\(nested\\)"));

	assert_int_equal(au_ar_parse(v, strlen(v), &ar, err, sizeof err), AU_OK);
	assert_string_equal(ar->authserv_id, "mx.example.org");
	assert_int_equal(ar->nresults, 3);
	assert_string_equal(ar->results[0].method, "spf");
	assert_string_equal(ar->results[0].result, "pass");
	/* The comment comes back as sent, control characters as '?'. */
	assert_string_equal(ar->results[0].comment,
	    "bad (nested) \\ reason X-Injected: yes? end");
	p = prop(&ar->results[0], "smtp", "mailfrom");
	assert_non_null(p);
	assert_string_equal(p->value, "user+x=y@example.com");
	p = prop(&ar->results[1], "header", "b");
	assert_string_equal(p->value, "ab/c+d==");
	p = prop(&ar->results[1], "header", "i");
	assert_string_equal(p->value, odd);
	assert_null(prop(&ar->results[1], "header", "s"));
	assert_string_equal(ar->results[2].comment, "p=reject");
	p = prop(&ar->results[2], "policy", "dmarc");
	assert_string_equal(p->value, "reject");
	au_ar_free(ar);
	free(v);
}

static void
test_write_folding(void **state)
{
	char reason[600], *v = NULL;
	au_ar_writer *w = NULL;
	au_ar *ar = NULL;
	char err[128];
	int i;

	(void)state;
	reason[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(reason, "word ");
	assert_int_equal(au_ar_writer_new(&w, "a-rather-long-authserv-id.mail.example.org"), AU_OK);
	assert_int_equal(au_ar_add(w, "spf", "fail", reason), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "smtp", "mailfrom",
	    "a-very-long-local-part-for-testing@a-long-domain-name.example.com"), AU_OK);
	for (i = 0; i < 5; i++) {
		assert_int_equal(au_ar_add(w, "dkim", "neutral", "body hash did not verify"), AU_OK);
		assert_int_equal(au_ar_add_prop(w, "header", "d", "example.com"), AU_OK);
		assert_int_equal(au_ar_add_prop(w, "header", "s", "selector2024"), AU_OK);
		assert_int_equal(au_ar_add_prop(w, "header", "b", "AbCdEfGh"), AU_OK);
	}
	assert_int_equal(au_ar_writer_finish(w, 0, &v), AU_OK);
	au_ar_writer_free(w);
	check_folding(v, 78);
	assert_int_equal(au_ar_parse(v, strlen(v), &ar, err, sizeof err), AU_OK);
	assert_int_equal(ar->nresults, 6);
	au_ar_free(ar);
	free(v);

	/* Nothing added: "id; none". */
	assert_int_equal(au_ar_writer_new(&w, "example.org"), AU_OK);
	assert_int_equal(au_ar_writer_finish(w, 0, &v), AU_OK);
	assert_string_equal(v, "example.org; none");
	au_ar_writer_free(w);
	free(v);

	/* Bad method/result names and property names are refused. */
	assert_int_equal(au_ar_writer_new(&w, "x"), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "smtp", "mailfrom", "x"), AU_ESTATE);
	assert_int_equal(au_ar_add(w, "sp f", "pass", NULL), AU_EINVAL);
	assert_int_equal(au_ar_add(w, "spf", "pa;ss", NULL), AU_EINVAL);
	assert_int_equal(au_ar_add(w, "spf", "pass", NULL), AU_OK);
	assert_int_equal(au_ar_add_prop(w, "smtp", "mail=from", "x"), AU_EINVAL);
	au_ar_writer_free(w);
	/* An authserv-id that is not a token is quoted. */
	assert_int_equal(au_ar_writer_new(&w, "my host;x"), AU_OK);
	assert_int_equal(au_ar_writer_finish(w, 0, &v), AU_OK);
	assert_string_equal(v, "\"my host;x\"; none");
	au_ar_writer_free(w);
	free(v);
}

/* RFC 8601 Appendix B. */
static void
test_parse_appendix_b(void **state)
{
	au_ar *ar = NULL;
	char err[256];
	const char *v;
	const au_ar_prop *p;

	(void)state;
	v = " example.org 1; none";				/* B.2 */
	assert_int_equal(au_ar_parse(v, strlen(v), &ar, err, sizeof err), AU_OK);
	assert_string_equal(ar->authserv_id, "example.org");
	assert_int_equal(ar->version, 1);
	assert_true(ar->none);
	assert_int_equal(ar->nresults, 0);
	au_ar_free(ar);

	v = " example.com;\r\n          spf=pass smtp.mailfrom=example.net";	/* B.3 */
	assert_int_equal(au_ar_parse(v, strlen(v), &ar, err, sizeof err), AU_OK);
	assert_int_equal(ar->nresults, 1);
	assert_string_equal(ar->results[0].method, "spf");
	assert_string_equal(prop(&ar->results[0], "smtp", "mailfrom")->value, "example.net");
	au_ar_free(ar);

	v = " example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
	    "          spf=pass smtp.mailfrom=example.net";	/* B.4 */
	assert_int_equal(au_ar_parse(v, strlen(v), &ar, err, sizeof err), AU_OK);
	assert_int_equal(ar->nresults, 2);
	assert_string_equal(ar->results[0].comment, "cram-md5");
	assert_string_equal(prop(&ar->results[0], "smtp", "auth")->value, "sender@example.net");
	au_ar_free(ar);

	v = " example.com; iprev=pass\r\n          policy.iprev=192.0.2.200";
	assert_int_equal(au_ar_parse(v, strlen(v), &ar, err, sizeof err), AU_OK);
	assert_string_equal(prop(&ar->results[0], "policy", "iprev")->value, "192.0.2.200");
	au_ar_free(ar);

	v = " example.com;\r\n      dkim=pass reason=\"good signature\"\r\n"
	    "        header.i=@mail-router.example.net;\r\n"
	    "      dkim=fail reason=\"bad signature\"\r\n"
	    "        header.i=@newyork.example.com";		/* B.6 */
	assert_int_equal(au_ar_parse(v, strlen(v), &ar, err, sizeof err), AU_OK);
	assert_int_equal(ar->nresults, 2);
	assert_string_equal(ar->results[0].reason, "good signature");
	assert_string_equal(ar->results[1].result, "fail");
	assert_string_equal(prop(&ar->results[1], "header", "i")->value,
	    "@newyork.example.com");
	au_ar_free(ar);

	v = " foo.example.net (foobar) 1 (baz);\r\n"		/* B.7 */
	    "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
	    "      policy (A dot can go here) . (like that) expired\r\n"
	    "      (this surprised me) = (as I wasn't expecting it) 1362471462";
	assert_int_equal(au_ar_parse(v, strlen(v), &ar, err, sizeof err), AU_OK);
	assert_string_equal(ar->authserv_id, "foo.example.net");
	assert_int_equal(ar->version, 1);
	assert_int_equal(ar->nresults, 1);
	assert_string_equal(ar->results[0].method, "dkim");
	assert_int_equal(ar->results[0].method_version, 1);
	assert_string_equal(ar->results[0].result, "fail");
	p = prop(&ar->results[0], "policy", "expired");
	assert_non_null(p);
	assert_string_equal(p->value, "1362471462");
	au_ar_free(ar);
}

static void
test_parse_bad(void **state)
{
	static const char *bad[] = {
		"", ";", "example.com", "example.com; spf", "example.com; spf=",
		"example.com; =pass", "example.com; spf=pass (unterminated",
		"example.com; spf=pass smtp", "example.com; spf=pass smtp.=x",
		"example.com; spf=pass smtp.mailfrom", "example.com; spf/x=pass",
		"example.com; spf=pass \"quoted", NULL
	};
	au_ar *ar;
	char err[256], *deep;
	int i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		ar = NULL;
		if (au_ar_parse(bad[i], strlen(bad[i]), &ar, err, sizeof err) == AU_OK)
			fail_msg("'%s' was accepted", bad[i]);
		assert_null(ar);
	}
	/* Comment nesting is bounded. */
	deep = calloc(1, 400);
	assert_non_null(deep);
	strcpy(deep, "x; spf=pass ");
	for (i = 0; i < 100; i++)
		strcat(deep, "(");
	for (i = 0; i < 100; i++)
		strcat(deep, ")");
	assert_int_equal(au_ar_parse(deep, strlen(deep), &ar, err, sizeof err), AU_ESYNTAX);
	free(deep);
	/* Too many results. */
	deep = calloc(1, 8192);
	assert_non_null(deep);
	strcpy(deep, "x");
	for (i = 0; i < 100; i++)
		strcat(deep, "; spf=pass");
	assert_int_not_equal(au_ar_parse(deep, strlen(deep), &ar, err, sizeof err), AU_OK);
	free(deep);
}

static void
test_authserv_id(void **state)
{
	char *id = NULL;

	(void)state;
	assert_int_equal(au_ar_authserv_id(" (c) mx.example.org; spf=pass", 29, &id), AU_OK);
	assert_string_equal(id, "mx.example.org");
	free(id);
	assert_int_equal(au_ar_authserv_id("\"quoted id\" 1; none", 19, &id), AU_OK);
	assert_string_equal(id, "quoted id");
	free(id);
	/* The result part may be broken: the id is still found. */
	assert_int_equal(au_ar_authserv_id("mx.example.org; s@@@ (", 22, &id), AU_OK);
	assert_string_equal(id, "mx.example.org");
	free(id);
	assert_int_equal(au_ar_authserv_id(" (unterminated", 14, &id), AU_ESYNTAX);
	assert_int_equal(au_ar_authserv_id("   ", 3, &id), AU_ESYNTAX);

	assert_int_equal(au_ar_is_ours("MX.Example.ORG; spf=pass", 24, "mx.example.org"), 1);
	assert_int_equal(au_ar_is_ours("mx.example.org.evil; spf=pass", 29, "mx.example.org"), 0);
	assert_int_equal(au_ar_is_ours("other.example; spf=pass", 23, "mx.example.org"), 0);
	assert_int_equal(au_ar_is_ours("(mx.example.org) x; spf=pass", 28, "mx.example.org"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_write_folding),
		cmocka_unit_test(test_parse_appendix_b),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_authserv_id),
	};

	return cmocka_run_group_tests_name("ar", tests, NULL, NULL);
}
