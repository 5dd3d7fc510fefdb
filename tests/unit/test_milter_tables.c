/*
 * test_milter_tables.c - authmilter's data sets (milter/tables.c,
 * milter/fromaddr.c): host lists with CIDR blocks and exclusions
 * (OpenDKIM PeerList/InternalHosts semantics: the most precise entry
 * decides), SigningTable lookups in OpenDKIM's order and "refile:"
 * wildcards, and the From address used for the lookup (RFC 5322 3.4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "tables.h"

static am_problems quiet = { 0, 0, 0, 1 };

static int
in(const am_hostlist *h, const char *ip, const char *host)
{
	au_ip a;

	assert_int_equal(au_ip_parse_str(ip, &a), AU_OK);
	return am_hostlist_match(h, &a, host);
}

static void
test_hosts_cidr(void **state)
{
	am_problems pr = quiet;
	am_hostlist *h = am_hostlist_parse(
	    "127.0.0.1, ::1, 192.0.2.0/24, !192.0.2.128/25, 192.0.2.200, "
	    "[2001:db8::]/32, !2001:db8:1::/48, .example.org, host.example.net, "
	    "!bad.example.org", "InternalHosts", &pr);

	assert_non_null(h);
	assert_int_equal(pr.nerr, 0);
	assert_true(in(h, "127.0.0.1", NULL));
	assert_true(in(h, "::1", NULL));
	assert_false(in(h, "127.0.0.2", NULL));
	assert_true(in(h, "192.0.2.1", NULL));
	assert_false(in(h, "192.0.2.129", NULL));	/* excluded /25 */
	assert_true(in(h, "192.0.2.200", NULL));	/* /32 beats !/25 */
	assert_true(in(h, "::ffff:192.0.2.5", NULL));	/* mapped IPv4 */
	assert_true(in(h, "2001:db8:2::1", NULL));
	assert_false(in(h, "2001:db8:1::1", NULL));
	assert_true(in(h, "198.51.100.1", "mx.example.org"));
	assert_false(in(h, "198.51.100.1", "bad.example.org"));
	assert_true(in(h, "198.51.100.1", "host.example.net"));
	assert_false(in(h, "198.51.100.1", "other.example.net"));
	assert_false(in(h, "198.51.100.1", "unknown"));
	am_hostlist_free(h);
}

static void
test_hosts_errors(void **state)
{
	am_problems pr = quiet;
	am_hostlist *h = am_hostlist_parse("10.0.0.0/33, 1.2.3.4/x, bad host!, "
	    "10.1.0.0/16", "InternalHosts", &pr);

	assert_non_null(h);
	assert_int_equal(pr.nerr, 3);
	assert_int_equal(am_hostlist_count(h), 1);
	am_hostlist_free(h);
}

static void
test_hosts_file(void **state)
{
	char path[] = "/tmp/test_milter_tables.XXXXXX";
	am_problems pr = quiet;
	am_hostlist *h;
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	fputs("# trusted hosts\n127.0.0.1\n\n10.0.0.0/8   # office\n*.example.com\n", fp);
	fclose(fp);
	h = am_hostlist_parse(path, "InternalHosts", &pr);
	unlink(path);
	assert_int_equal(pr.nerr, 0);
	assert_int_equal(am_hostlist_count(h), 3);
	assert_true(in(h, "10.9.8.7", NULL));
	assert_true(in(h, "192.0.2.1", "a.b.example.com"));
	am_hostlist_free(h);
}

static void
test_wildmatch(void **state)
{
	assert_true(am_wildmatch("*@example.com", "a@example.com"));
	assert_true(am_wildmatch("*@EXAMPLE.com", "a@example.COM"));
	assert_false(am_wildmatch("*@example.com", "a@sub.example.com"));
	assert_true(am_wildmatch("*@*.example.com", "a@sub.example.com"));
	assert_true(am_wildmatch("*", ""));
	assert_true(am_wildmatch("a*b*c", "axxbyyc"));
	assert_false(am_wildmatch("a*b*c", "axxbyy"));
	assert_true(am_wildmatch("**x", "abx"));
}

/* A KeyTable of four names (no key files) to resolve SigningTable names. */
static void
fake_keys(am_keytable *kt)
{
	static const char *names[] = { "k1", "k2", "k3", "k4" };
	size_t i;

	kt->keys = calloc(4, sizeof(am_key));
	for (i = 0; i < 4; i++) {
		kt->keys[i].name = strdup(names[i]);
		kt->keys[i].domain = strdup("%");
		kt->keys[i].selector = strdup("s");
		kt->keys[i].where = strdup("test");
	}
	kt->n = 4;
}

static const char *
first_key(const am_signtab *st, const char *addr)
{
	const am_signent *e[4];

	if (am_signtab_lookup(st, addr, 0, e, 4) != 1)
		return NULL;
	return e[0]->refs[0].key->name;
}

static void
write_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	fputs(text, fp);
	fclose(fp);
}

static void
test_signtab_plain(void **state)
{
	char path[] = "/tmp/test_milter_st.XXXXXX";
	am_problems pr = quiet;
	am_keytable kt = { NULL, 0 };
	am_signtab st;
	const am_signent *e[8];

	memset(&st, 0, sizeof(st));
	fake_keys(&kt);
	write_file(path, "*            k4\n"
	    ".example.com k3\n"
	    "example.com  k2,k3:%\n"
	    "boss@example.com k1\n"
	    "x@.example.com k1\n"
	    "other.test   missing\n");
	assert_int_equal(am_signtab_load(&st, path, &kt, &pr), 0);
	unlink(path);
	assert_int_equal(pr.nerr, 1);		/* "missing" */
	assert_string_equal(first_key(&st, "boss@example.com"), "k1");
	assert_string_equal(first_key(&st, "ann@example.com"), "k2");
	assert_string_equal(first_key(&st, "ann@sub.example.com"), "k3");
	assert_string_equal(first_key(&st, "x@sub.example.com"), "k1");
	assert_string_equal(first_key(&st, "ann@elsewhere.test"), "k4");
	/* several keys in one entry, the signer template kept */
	assert_int_equal(am_signtab_lookup(&st, "ann@example.com", 0, e, 8), 1);
	assert_int_equal(e[0]->nrefs, 2);
	assert_string_equal(e[0]->refs[1].signer, "%");
	/* MultipleSignatures: every match, most precise first */
	assert_int_equal(am_signtab_lookup(&st, "boss@example.com", 1, e, 8), 3);
	assert_string_equal(e[0]->refs[0].key->name, "k1");
	assert_string_equal(e[1]->refs[0].key->name, "k2");
	assert_string_equal(e[2]->refs[0].key->name, "k4");
	assert_true(kt.keys[0].used && kt.keys[3].used);
	am_signtab_clear(&st);
	am_keytable_clear(&kt);
}

static void
test_signtab_refile(void **state)
{
	char path[] = "/tmp/test_milter_re.XXXXXX", spec[64];
	am_problems pr = quiet;
	am_keytable kt = { NULL, 0 };
	am_signtab st;

	memset(&st, 0, sizeof(st));
	fake_keys(&kt);
	write_file(path, "boss@example.com k1\n*@example.com k2\n*@*.example.com k3\n");
	snprintf(spec, sizeof(spec), "refile:%s", path);
	assert_int_equal(am_signtab_load(&st, spec, &kt, &pr), 0);
	unlink(path);
	assert_true(st.refile);
	assert_string_equal(first_key(&st, "boss@example.com"), "k1");
	assert_string_equal(first_key(&st, "ann@example.com"), "k2");
	assert_string_equal(first_key(&st, "ann@a.example.com"), "k3");
	assert_null(first_key(&st, "ann@example.org"));
	assert_false(kt.keys[3].used);
	am_signtab_clear(&st);
	am_keytable_clear(&kt);
}

static void
test_from_address(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ " alice@example.com", "alice@example.com" },
		{ " Alice <Alice@Example.COM>", "alice@example.com" },
		{ " \"Doe, John\" <john@example.com>", "john@example.com" },
		{ " \"<x@evil.test>\" <real@example.com>", "real@example.com" },
		{ " (comment <c@evil.test>) a@example.com (x)", "a@example.com" },
		{ " a@example.com, b@example.org", "a@example.com" },
		{ " Group: a@example.com, b@example.org;", "a@example.com" },
		{ " <@route.test,@r2.test:user@example.com>", "user@example.com" },
		{ " \"quoted local\"@example.com", "quoted local@example.com" },
		{ " Bob\r\n <bob@example.com>", "bob@example.com" },
	};
	static const char *bad[] = { "", " undisclosed-recipients:;",
	    " <>", " @example.com", " user@", " (unterminated <a@b.c>" };
	char out[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(am_from_address(t[i].in, strlen(t[i].in), out,
		    sizeof(out)), 0);
		assert_string_equal(out, t[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(am_from_address(bad[i], strlen(bad[i]), out,
		    sizeof(out)), -1);
	/* bounded output */
	assert_int_equal(am_from_address(" a@example.com", 14, out, 5), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hosts_cidr),
		cmocka_unit_test(test_hosts_errors),
		cmocka_unit_test(test_hosts_file),
		cmocka_unit_test(test_wildmatch),
		cmocka_unit_test(test_signtab_plain),
		cmocka_unit_test(test_signtab_refile),
		cmocka_unit_test(test_from_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
