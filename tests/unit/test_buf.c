/*
 * test_buf.c - unit tests for au_buf: bounds, growth, printf, detach.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "au_buf.h"

static void
test_append_and_bound(void **state)
{
	au_buf b = AU_BUF_INIT(8);

	assert_string_equal(au_buf_cstr(&b), "");
	assert_int_equal(au_buf_puts(&b, "abcd"), AU_OK);
	assert_int_equal(au_buf_append(&b, "efgh", 4), AU_OK);
	assert_int_equal(b.len, 8);
	/* One byte past the bound fails and leaves the content alone. */
	assert_int_equal(au_buf_putc(&b, 'x'), AU_ETOOBIG);
	assert_string_equal(au_buf_cstr(&b), "abcdefgh");
	au_buf_free(&b);
}

static void
test_printf_grows(void **state)
{
	au_buf b = AU_BUF_INIT(0);
	int i;

	for (i = 0; i < 1000; i++)
		assert_int_equal(au_buf_printf(&b, "%04d,", i), AU_OK);
	assert_int_equal(b.len, 5000);
	assert_memory_equal(b.data + 4995, "0999,", 5);
	assert_int_equal(b.data[b.len], '\0');
	au_buf_free(&b);
}

static void
test_printf_bound(void **state)
{
	au_buf b = AU_BUF_INIT(10);

	assert_int_equal(au_buf_printf(&b, "%s", "0123456789"), AU_OK);
	au_buf_reset(&b);
	assert_int_equal(au_buf_printf(&b, "%s", "0123456789A"), AU_ETOOBIG);
	assert_int_equal(b.len, 0);
	au_buf_free(&b);
}

static void
test_embedded_nul_and_detach(void **state)
{
	au_buf b = AU_BUF_INIT(0);
	char *s;

	assert_int_equal(au_buf_append(&b, "a\0b", 3), AU_OK);
	assert_int_equal(b.len, 3);
	au_buf_truncate(&b, 1);
	assert_string_equal(au_buf_cstr(&b), "a");
	assert_int_equal(au_buf_detach(&b, &s), AU_OK);
	assert_string_equal(s, "a");
	assert_null(b.data);
	free(s);
	/* Detaching an empty buffer gives an empty string, not NULL. */
	assert_int_equal(au_buf_detach(&b, &s), AU_OK);
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_bound),
		cmocka_unit_test(test_printf_grows),
		cmocka_unit_test(test_printf_bound),
		cmocka_unit_test(test_embedded_nul_and_detach),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
