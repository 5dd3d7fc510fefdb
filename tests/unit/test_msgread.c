/*
 * test_msgread.c - unit tests for tools/msgread.c: header splitting with
 * folding, CRLF and LF, headers-only messages, byte-exact reproduction of
 * the input, and the "not a message" cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "au_buf.h"
#include "msgread.h"

typedef struct rec {
	au_buf	 out;		/* reproduction of the input */
	au_buf	 fields;	/* fields as delivered, joined by '|' */
	int	 neoh;
	size_t	 nbody;
} rec;

static int
on_header(void *arg, const char *raw, size_t len, size_t rawlen)
{
	rec *r = arg;

	assert_int_equal(r->neoh, 0);
	au_buf_append(&r->out, raw, rawlen);
	au_buf_append(&r->fields, raw, len);
	au_buf_putc(&r->fields, '|');
	return 0;
}

static int
on_eoh(void *arg, const char *sep, size_t seplen)
{
	rec *r = arg;

	r->neoh++;
	au_buf_append(&r->out, sep, seplen);
	return 0;
}

static int
on_body(void *arg, const char *chunk, size_t len)
{
	rec *r = arg;

	assert_int_equal(r->neoh, 1);
	r->nbody++;
	au_buf_append(&r->out, chunk, len);
	return 0;
}

static const msgread_ops ops = { on_header, on_eoh, on_body };

static msgread_status
run(const char *msg, rec *r, msgread_info *info, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	au_buf_init(&r->out, 0);
	au_buf_init(&r->fields, 0);
	return msgread_mem(msg, strlen(msg), &ops, r, 0, info, err, errlen);
}

/* Read through a FILE in one go (exercises the stdio path). */
static msgread_status
run_file(const char *msg, rec *r, msgread_info *info, char *err, size_t errlen)
{
	FILE *fp = fmemopen((void *)msg, strlen(msg), "r");
	msgread_status st;

	assert_non_null(fp);
	memset(r, 0, sizeof *r);
	au_buf_init(&r->out, 0);
	au_buf_init(&r->fields, 0);
	st = msgread(fp, &ops, r, 0, info, err, errlen);
	fclose(fp);
	return st;
}

static void
done(rec *r)
{
	au_buf_free(&r->out);
	au_buf_free(&r->fields);
}

static void
test_crlf_folded(void **state)
{
	const char *m = "From: a@example.com\r\nSubject: one\r\n\ttwo\r\n  three\r\n"
	    "X-Empty:\r\n\r\nbody line\r\n\r\n";
	rec r;
	msgread_info info;
	char err[200];

	assert_int_equal(run(m, &r, &info, err, sizeof err), MSGREAD_OK);
	assert_string_equal(au_buf_cstr(&r.fields),
	    "From: a@example.com|Subject: one\r\n\ttwo\r\n  three|X-Empty:|");
	assert_string_equal(au_buf_cstr(&r.out), m);
	assert_int_equal(info.nfields, 3);
	assert_int_equal(info.crlf, 1);
	assert_int_equal(info.has_separator, 1);
	assert_int_equal(info.body_bytes, 13);
	done(&r);
	assert_int_equal(run_file(m, &r, &info, err, sizeof err), MSGREAD_OK);
	assert_string_equal(au_buf_cstr(&r.out), m);
	done(&r);
}

static void
test_lf_and_mixed(void **state)
{
	const char *m = "From: a\nTo: b\r\n c\nSubject : x\n\nbody\r\nmore";
	rec r;
	msgread_info info;
	char err[200];

	assert_int_equal(run(m, &r, &info, err, sizeof err), MSGREAD_OK);
	assert_string_equal(au_buf_cstr(&r.fields), "From: a|To: b\r\n c|Subject : x|");
	assert_string_equal(au_buf_cstr(&r.out), m);
	assert_int_equal(info.crlf, 0);
	done(&r);
}

static void
test_headers_only(void **state)
{
	rec r;
	msgread_info info;
	char err[200];

	/* No empty line, last line with its line end. */
	assert_int_equal(run("From: a\r\nTo: b\r\n", &r, &info, err, sizeof err), MSGREAD_OK);
	assert_string_equal(au_buf_cstr(&r.fields), "From: a|To: b|");
	assert_int_equal(info.has_separator, 0);
	assert_int_equal(r.neoh, 1);
	assert_int_equal(r.nbody, 0);
	done(&r);
	/* ... and without it. */
	assert_int_equal(run("From: a\r\nTo: b\r\n\tc", &r, &info, err, sizeof err), MSGREAD_OK);
	assert_string_equal(au_buf_cstr(&r.fields), "From: a|To: b\r\n\tc|");
	assert_string_equal(au_buf_cstr(&r.out), "From: a\r\nTo: b\r\n\tc");
	done(&r);
	/* Empty line is the last thing: empty body. */
	assert_int_equal(run("From: a\n\n", &r, &info, err, sizeof err), MSGREAD_OK);
	assert_int_equal(info.has_separator, 1);
	assert_int_equal(r.nbody, 0);
	done(&r);
}

static void
test_not_a_message(void **state)
{
	static const char *bad[] = {
		"",
		"\r\nbody",
		" folded: x\r\n\r\n",
		"From a@b Mon Jan  1 00:00:00 2024\nFrom: a\n\nx",
		"From: a\nthis is body without separator\n",
		": no name\n\n",
		"Na\x01me: x\n\n",
	};
	size_t i;
	rec r;
	char err[200];

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(run(bad[i], &r, NULL, err, sizeof err), MSGREAD_NOTMSG);
		assert_true(strstr(err, "not a message") != NULL);
		done(&r);
	}
}

static void
test_field_bound(void **state)
{
	static char m[3000];
	rec r;
	char err[200];

	memset(m, 'x', 2990);
	memcpy(m, "Subject: ", 9);
	strcpy(m + 2990, "\n\nbody");
	memset(&r, 0, sizeof r);
	assert_int_equal(msgread_mem(m, strlen(m), &ops, &r, 1000, NULL, err, sizeof err),
	    MSGREAD_TOOBIG);
	assert_true(strstr(err, "longer than 1000") != NULL);
	done(&r);
}

/* Body chunks pass through untouched, also very long ones. */
static void
test_big_body(void **state)
{
	size_t n = 300000, hl = 9;
	char *m = malloc(n + 1);
	FILE *fp;
	rec r;
	msgread_info info;
	char err[200];

	assert_non_null(m);
	memcpy(m, "From: a\n\n", hl);
	memset(m + hl, '\n', n - hl);
	m[n] = '\0';
	fp = fmemopen(m, n, "r");
	memset(&r, 0, sizeof r);
	assert_int_equal(msgread(fp, &ops, &r, 0, &info, err, sizeof err), MSGREAD_OK);
	fclose(fp);
	assert_int_equal(r.out.len, n);
	assert_memory_equal(r.out.data, m, n);
	assert_int_equal(info.body_bytes, n - hl);
	assert_true(r.nbody >= 4);
	done(&r);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crlf_folded),
		cmocka_unit_test(test_lf_and_mixed),
		cmocka_unit_test(test_headers_only),
		cmocka_unit_test(test_not_a_message),
		cmocka_unit_test(test_field_bound),
		cmocka_unit_test(test_big_body),
	};

	return cmocka_run_group_tests_name("msgread", tests, NULL, NULL);
}
