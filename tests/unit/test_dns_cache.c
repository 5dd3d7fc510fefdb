/*
 * test_dns_cache.c - unit tests for the DNS front end's answer cache
 * (RFC 1035 7.4, RFC 2308 5): hits and misses counted through
 * au_dns_backend_queries(), TTL expiry (by the test clock and by a real
 * second), the bound on entries, negative caching, SERVFAIL and TIMEOUT
 * never cached, answers outliving the resolver, and several threads
 * hammering one handle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>
#include "au_buf.h"
#include "au_dns.h"
#include "au_dns_int.h"

static const char zone_text[] =
    "$ORIGIN example.\n"
    "@ 3600 SOA ns host 1 3600 600 86400 60\n"
    "a 100 A 192.0.2.1\n"
    "b 100 A 192.0.2.2\n"
    "c 100 A 192.0.2.3\n"
    "short 1 A 192.0.2.4\n"
    "zero 0 A 192.0.2.5\n"
    "long 2147483647 TXT \"forever\"\n"
    "loop CNAME loop\n"
    ";%TIMEOUT slow\n";

/* A zone resolver with a cache of n entries, from text. */
static au_dns *
cached_zone(const char *text, size_t n)
{
	char path[] = "/tmp/test_dns_cache.XXXXXX", err[256];
	const char *files[1] = { path };
	au_dns *dns = NULL;
	int fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	if (au_dns_new_zone(&dns, files, 1, n, err, sizeof(err)) != AU_OK)
		fail_msg("%s", err);
	unlink(path);
	return dns;
}

static au_dns_outcome
ask(au_dns *dns, const char *name, au_dns_type t)
{
	au_dns_answer *a = NULL;
	au_dns_outcome o;

	assert_int_equal(au_dns_query(dns, name, t, &a), AU_OK);
	assert_non_null(a);
	o = a->outcome;
	au_dns_answer_free(a);
	return o;
}

static void
test_hit_and_miss(void **state)
{
	au_dns *dns = cached_zone(zone_text, 100);

	assert_int_equal(au_dns_backend_queries(dns), 0);
	assert_int_equal(ask(dns, "a.example", AU_DNS_T_A), AU_DNS_RECORDS);
	assert_int_equal(au_dns_backend_queries(dns), 1);
	/* Same key: case and a trailing dot do not matter. */
	assert_int_equal(ask(dns, "a.example", AU_DNS_T_A), AU_DNS_RECORDS);
	assert_int_equal(ask(dns, "A.EXAMPLE.", AU_DNS_T_A), AU_DNS_RECORDS);
	assert_int_equal(au_dns_backend_queries(dns), 1);
	/* Another type or name is another key. */
	assert_int_equal(ask(dns, "a.example", AU_DNS_T_AAAA), AU_DNS_NODATA);
	assert_int_equal(ask(dns, "b.example", AU_DNS_T_A), AU_DNS_RECORDS);
	assert_int_equal(au_dns_backend_queries(dns), 3);
	assert_int_equal(ask(dns, "a.example", AU_DNS_T_AAAA), AU_DNS_NODATA);
	assert_int_equal(au_dns_backend_queries(dns), 3);
	au_dns_free(dns);

	/* Without a cache every query reaches the back end. */
	dns = cached_zone(zone_text, 0);
	assert_int_equal(ask(dns, "a.example", AU_DNS_T_A), AU_DNS_RECORDS);
	assert_int_equal(ask(dns, "a.example", AU_DNS_T_A), AU_DNS_RECORDS);
	assert_int_equal(au_dns_backend_queries(dns), 2);
	au_dns_free(dns);
}

static void
test_same_answer_shared(void **state)
{
	au_dns *dns = cached_zone(zone_text, 10);
	au_dns_answer *a1, *a2;

	assert_int_equal(au_dns_query(dns, "c.example", AU_DNS_T_A, &a1), AU_OK);
	assert_int_equal(au_dns_query(dns, "c.example", AU_DNS_T_A, &a2), AU_OK);
	assert_ptr_equal(a1, a2);
	/* Answers outlive the resolver and its cache. */
	au_dns_free(dns);
	assert_int_equal(a1->rr[0].u.a[3], 3);
	assert_null(au_dns_answer_free(a1));
	assert_int_equal(a2->rr[0].u.a[3], 3);
	assert_null(au_dns_answer_free(a2));
	assert_null(au_dns_answer_free(NULL));
}

static void
test_ttl_expiry_clock(void **state)
{
	au_dns *dns = cached_zone(zone_text, 100);

	ask(dns, "a.example", AU_DNS_T_A);		/* TTL 100 */
	au_dns__clock_advance(dns, 99);
	ask(dns, "a.example", AU_DNS_T_A);
	assert_int_equal(au_dns_backend_queries(dns), 1);
	au_dns__clock_advance(dns, 1.5);
	ask(dns, "a.example", AU_DNS_T_A);
	assert_int_equal(au_dns_backend_queries(dns), 2);
	ask(dns, "a.example", AU_DNS_T_A);
	assert_int_equal(au_dns_backend_queries(dns), 2);

	/* TTL 0 is not cached at all. */
	ask(dns, "zero.example", AU_DNS_T_A);
	ask(dns, "zero.example", AU_DNS_T_A);
	assert_int_equal(au_dns_backend_queries(dns), 4);

	/* Nothing is kept longer than a day. */
	ask(dns, "long.example", AU_DNS_T_TXT);
	au_dns__clock_advance(dns, 86399);
	ask(dns, "long.example", AU_DNS_T_TXT);
	assert_int_equal(au_dns_backend_queries(dns), 5);
	au_dns__clock_advance(dns, 2);
	ask(dns, "long.example", AU_DNS_T_TXT);
	assert_int_equal(au_dns_backend_queries(dns), 6);
	au_dns_free(dns);
}

static void
test_ttl_expiry_real_time(void **state)
{
	au_dns *dns = cached_zone(zone_text, 100);

	ask(dns, "short.example", AU_DNS_T_A);		/* TTL 1 */
	ask(dns, "short.example", AU_DNS_T_A);
	assert_int_equal(au_dns_backend_queries(dns), 1);
	usleep(1100 * 1000);
	ask(dns, "short.example", AU_DNS_T_A);
	assert_int_equal(au_dns_backend_queries(dns), 2);
	au_dns_free(dns);
}

static void
test_negative_caching(void **state)
{
	au_dns *dns = cached_zone(zone_text, 100);
	au_dns_answer *a;

	/* NXDOMAIN and NODATA are kept for the SOA's negative TTL (60). */
	assert_int_equal(ask(dns, "nx.example", AU_DNS_T_A), AU_DNS_NXDOMAIN);
	assert_int_equal(ask(dns, "b.example", AU_DNS_T_MX), AU_DNS_NODATA);
	assert_int_equal(au_dns_backend_queries(dns), 2);
	assert_int_equal(au_dns_query(dns, "nx.example", AU_DNS_T_A, &a), AU_OK);
	assert_int_equal(a->outcome, AU_DNS_NXDOMAIN);
	assert_int_equal(a->ttl, 60);
	au_dns_answer_free(a);
	assert_int_equal(ask(dns, "b.example", AU_DNS_T_MX), AU_DNS_NODATA);
	assert_int_equal(au_dns_backend_queries(dns), 2);
	au_dns__clock_advance(dns, 61);
	assert_int_equal(ask(dns, "nx.example", AU_DNS_T_A), AU_DNS_NXDOMAIN);
	assert_int_equal(ask(dns, "b.example", AU_DNS_T_MX), AU_DNS_NODATA);
	assert_int_equal(au_dns_backend_queries(dns), 4);
	/* Names refused before the query are neither asked nor cached. */
	assert_int_equal(ask(dns, "x..example", AU_DNS_T_A), AU_DNS_NXDOMAIN);
	assert_int_equal(au_dns_backend_queries(dns), 4);
	au_dns_free(dns);
}

static void
test_errors_not_cached(void **state)
{
	au_dns *dns = cached_zone(zone_text, 100);

	assert_int_equal(ask(dns, "loop.example", AU_DNS_T_A), AU_DNS_SERVFAIL);
	assert_int_equal(ask(dns, "loop.example", AU_DNS_T_A), AU_DNS_SERVFAIL);
	assert_int_equal(au_dns_backend_queries(dns), 2);
	assert_int_equal(ask(dns, "slow.example", AU_DNS_T_TXT), AU_DNS_TIMEOUT);
	assert_int_equal(ask(dns, "slow.example", AU_DNS_T_TXT), AU_DNS_TIMEOUT);
	assert_int_equal(au_dns_backend_queries(dns), 4);
	au_dns_free(dns);
}

static void
test_bound(void **state)
{
	au_buf b = AU_BUF_INIT(0);
	au_dns *dns;
	char name[32];
	unsigned long before;
	int i, hits;

	/* One entry: the second name pushes out the first. */
	dns = cached_zone(zone_text, 1);
	ask(dns, "a.example", AU_DNS_T_A);
	ask(dns, "b.example", AU_DNS_T_A);
	ask(dns, "b.example", AU_DNS_T_A);
	assert_int_equal(au_dns_backend_queries(dns), 2);
	ask(dns, "a.example", AU_DNS_T_A);
	assert_int_equal(au_dns_backend_queries(dns), 3);
	au_dns_free(dns);

	/* 1000 names through a cache of 50: at most 50 can still be hits. */
	for (i = 0; i < 1000; i++)
		au_buf_printf(&b, "n%d.example. 3600 A 10.0.%d.%d\n", i, i >> 8,
		    i & 255);
	dns = cached_zone(b.data, 50);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		ask(dns, name, AU_DNS_T_A);
	}
	assert_int_equal(au_dns_backend_queries(dns), 1000);
	before = au_dns_backend_queries(dns);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		ask(dns, name, AU_DNS_T_A);
	}
	hits = (int)(1000 - (au_dns_backend_queries(dns) - before));
	assert_true(hits <= 50);
	/* The most recent name is always still there. */
	before = au_dns_backend_queries(dns);
	ask(dns, "n999.example", AU_DNS_T_A);
	assert_int_equal(au_dns_backend_queries(dns), before);
	au_dns_free(dns);
	au_buf_free(&b);
}

/* ---------------------------------------------------------------- threads */

#define HAMMER_THREADS	4
#define HAMMER_NAMES	300
#define HAMMER_QUERIES	20000

struct hammer {
	au_dns		*dns;
	unsigned	 seed;
	int		 errors;
};

static void *
hammer_run(void *arg)
{
	struct hammer *h = arg;
	au_dns_answer *a;
	char name[32];
	int i, n;

	for (i = 0; i < HAMMER_QUERIES; i++) {
		n = (int)(rand_r(&h->seed) % (HAMMER_NAMES + 20));
		snprintf(name, sizeof(name), "%s%d.example",
		    i % 2 ? "h" : "H", n);
		if (au_dns_query(h->dns, name, AU_DNS_T_A, &a) != AU_OK) {
			h->errors++;
			continue;
		}
		if (n < HAMMER_NAMES) {
			if (a->outcome != AU_DNS_RECORDS || a->count != 1 ||
			    a->rr[0].u.a[2] != (n >> 8) ||
			    a->rr[0].u.a[3] != (n & 255))
				h->errors++;
		} else if (a->outcome != AU_DNS_NXDOMAIN)
			h->errors++;
		au_dns_answer_free(a);
	}
	return NULL;
}

static void
hammer(size_t cache_entries)
{
	struct hammer h[HAMMER_THREADS];
	pthread_t tid[HAMMER_THREADS];
	au_buf b = AU_BUF_INIT(0);
	au_dns *dns;
	int i;

	au_buf_puts(&b, "example. SOA ns.example. h.example. 1 2 3 4 3600\n");
	for (i = 0; i < HAMMER_NAMES; i++)
		au_buf_printf(&b, "h%d.example. 3600 A 10.0.%d.%d\n", i, i >> 8,
		    i & 255);
	dns = cached_zone(b.data, cache_entries);
	for (i = 0; i < HAMMER_THREADS; i++) {
		h[i].dns = dns;
		h[i].seed = (unsigned)i * 7919u + 1;
		h[i].errors = 0;
		assert_int_equal(pthread_create(&tid[i], NULL, hammer_run, &h[i]), 0);
	}
	for (i = 0; i < HAMMER_THREADS; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(h[i].errors, 0);
	}
	if (cache_entries >= HAMMER_NAMES + 20)
		assert_true(au_dns_backend_queries(dns) <
		    HAMMER_THREADS * HAMMER_QUERIES / 10);
	au_dns_free(dns);
	au_buf_free(&b);
}

static void
test_threads_big_cache(void **state)
{
	hammer(1000);
}

static void
test_threads_evicting_cache(void **state)
{
	hammer(37);	/* constant eviction, fewer entries than shards x 3 */
}

static void
test_threads_no_cache(void **state)
{
	hammer(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_and_miss),
		cmocka_unit_test(test_same_answer_shared),
		cmocka_unit_test(test_ttl_expiry_clock),
		cmocka_unit_test(test_ttl_expiry_real_time),
		cmocka_unit_test(test_negative_caching),
		cmocka_unit_test(test_errors_not_cached),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_threads_big_cache),
		cmocka_unit_test(test_threads_evicting_cache),
		cmocka_unit_test(test_threads_no_cache),
	};
	return cmocka_run_group_tests_name("dns_cache", tests, NULL, NULL);
}
