/*
 * au_dns.c - the DNS front end (see au_dns.h): name checks, the answer
 * cache, reference-counted answers, and the constructors that put a back
 * end (dns_ldns.c, dns_zone.c) behind one handle.
 *
 * Names are checked before any query (RFC 1035 2.3.4: labels of 63 octets,
 * names of 255 octets on the wire, i.e. 253 in text).
 *
 * The cache (RFC 1035 7.4, RFC 2308 5 for negative answers) holds at most
 * cache_entries answers, keyed by (lower-case name, type).  It is split
 * into shards, each with its own mutex, hash table and LRU list, so the
 * threads of the milter rarely wait for each other.  An entry lives for the
 * answer's TTL (at most one day) by the monotonic clock.  SERVFAIL and
 * TIMEOUT are never cached.  Two threads missing the same key at once both
 * ask the back end; the later answer replaces the earlier one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "au_dns_int.h"

#define DNS_SHARDS	16
#define DNS_MAX_TTL	86400u		/* cache nothing longer than a day */
#define DNS_MAX_BUCKETS	(1u << 16)	/* per shard */

typedef struct cache_ent {
	struct cache_ent	*hnext;		/* hash chain */
	struct cache_ent	*prev, *next;	/* LRU list, most recent first */
	uint32_t		 hash;
	au_dns_type		 type;
	int64_t			 expires;	/* monotonic ns */
	au_dns_answer		*ans;		/* holds one reference */
	size_t			 namelen;
	char			 name[];
} cache_ent;

typedef struct cache_shard {
	pthread_mutex_t		 mu;
	cache_ent		**buckets;
	size_t			 nbuckets;	/* power of two */
	cache_ent		*head, *tail;	/* LRU */
	size_t			 count, cap;
} cache_shard;

struct au_dns {
	au_dns_backend		 be;
	unsigned long		 nqueries;	/* atomic */
	int64_t			 skew;		/* atomic; tests move time */
	cache_shard		*shards;
	size_t			 nshards;
};

/* ---------------------------------------------------------------- answers */

au_dns_answer *
au_dns__answer_new(au_dns_type type, au_dns_outcome outcome, size_t n)
{
	au_dns_answer *a;

	if (n > SIZE_MAX / sizeof(au_dns_rr))
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if (n > 0 && (a->rr = calloc(n, sizeof(*a->rr))) == NULL) {
		free(a);
		return NULL;
	}
	a->type = type;
	a->outcome = outcome;
	a->count = n;
	a->refs = 1;
	return a;
}

void
au_dns__rr_clear(au_dns_type t, au_dns_rr *rr)
{
	switch (t) {
	case AU_DNS_T_A:
	case AU_DNS_T_AAAA:
		break;
	case AU_DNS_T_MX:
		free(rr->u.mx.host);
		rr->u.mx.host = NULL;
		break;
	case AU_DNS_T_NS:
	case AU_DNS_T_CNAME:
	case AU_DNS_T_PTR:
	case AU_DNS_T_SOA:
		free(rr->u.name);
		rr->u.name = NULL;
		break;
	default:
		free(rr->u.txt.data);
		rr->u.txt.data = NULL;
		break;
	}
}

au_status
au_dns__rr_copy(au_dns_type t, au_dns_rr *dst, const au_dns_rr *src)
{
	*dst = *src;
	switch (t) {
	case AU_DNS_T_A:
	case AU_DNS_T_AAAA:
		return AU_OK;
	case AU_DNS_T_MX:
		if (src->u.mx.host == NULL)
			return AU_OK;
		if ((dst->u.mx.host = strdup(src->u.mx.host)) == NULL)
			goto nomem;
		return AU_OK;
	case AU_DNS_T_NS:
	case AU_DNS_T_CNAME:
	case AU_DNS_T_PTR:
	case AU_DNS_T_SOA:
		if (src->u.name == NULL)
			return AU_OK;
		if ((dst->u.name = strdup(src->u.name)) == NULL)
			goto nomem;
		return AU_OK;
	default:
		if (src->u.txt.data == NULL)
			return AU_OK;
		if ((dst->u.txt.data = malloc(src->u.txt.len + 1)) == NULL)
			goto nomem;
		memcpy(dst->u.txt.data, src->u.txt.data, src->u.txt.len);
		dst->u.txt.data[src->u.txt.len] = '\0';
		return AU_OK;
	}
nomem:
	memset(dst, 0, sizeof(*dst));
	return AU_ENOMEM;
}

au_dns_answer *
au_dns_answer_free(au_dns_answer *a)
{
	size_t i;

	if (a == NULL)
		return NULL;
	if (__atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	for (i = 0; a->rr != NULL && i < a->count; i++)
		au_dns__rr_clear(a->type, &a->rr[i]);
	free(a->rr);
	free(a);
	return NULL;
}

static au_dns_answer *
answer_ref(au_dns_answer *a)
{
	__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
	return a;
}

const char *
au_dns_outcome_str(au_dns_outcome o)
{
	switch (o) {
	case AU_DNS_RECORDS:	return "records";
	case AU_DNS_NXDOMAIN:	return "nxdomain";
	case AU_DNS_NODATA:	return "nodata";
	case AU_DNS_SERVFAIL:	return "servfail";
	case AU_DNS_TIMEOUT:	return "timeout";
	}
	return "unknown";
}

const char *
au_dns_type_str(au_dns_type t)
{
	switch (t) {
	case AU_DNS_T_A:	return "A";
	case AU_DNS_T_NS:	return "NS";
	case AU_DNS_T_CNAME:	return "CNAME";
	case AU_DNS_T_SOA:	return "SOA";
	case AU_DNS_T_PTR:	return "PTR";
	case AU_DNS_T_MX:	return "MX";
	case AU_DNS_T_TXT:	return "TXT";
	case AU_DNS_T_AAAA:	return "AAAA";
	case AU_DNS_T_SPF:	return "SPF";
	}
	return "unknown";
}

/* ---------------------------------------------------------------- cache */

static int64_t
dns_now(const au_dns *dns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
	    __atomic_load_n(&dns->skew, __ATOMIC_RELAXED);
}

void
au_dns__clock_advance(au_dns *dns, double seconds)
{
	__atomic_add_fetch(&dns->skew, (int64_t)(seconds * 1e9),
	    __ATOMIC_RELAXED);
}

static uint32_t
key_hash(const char *name, size_t len, au_dns_type type)
{
	uint32_t h = 2166136261u ^ (uint32_t)type;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x45d9f3bu;
	return h ^ (h >> 16);
}

static au_status
cache_init(au_dns *dns, size_t entries)
{
	size_t i, n, nb;
	cache_shard *s;

	if (entries == 0)
		return AU_OK;
	n = entries < DNS_SHARDS ? entries : DNS_SHARDS;
	if ((dns->shards = calloc(n, sizeof(*dns->shards))) == NULL)
		return AU_ENOMEM;
	for (i = 0; i < n; i++) {
		s = &dns->shards[i];
		/* Spread the bound exactly: the shards add up to entries. */
		s->cap = entries / n + (i < entries % n ? 1 : 0);
		for (nb = 16; nb < s->cap && nb < DNS_MAX_BUCKETS; nb *= 2)
			;
		if ((s->buckets = calloc(nb, sizeof(*s->buckets))) == NULL ||
		    pthread_mutex_init(&s->mu, NULL) != 0) {
			free(s->buckets);
			s->buckets = NULL;
			dns->nshards = i;
			return AU_ENOMEM;
		}
		s->nbuckets = nb;
		dns->nshards = i + 1;
	}
	return AU_OK;
}

static void
lru_unlink(cache_shard *s, cache_ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(cache_shard *s, cache_ent *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	else
		s->tail = e;
	s->head = e;
}

/* Take e out of the shard (hash chain and LRU) and free it. */
static void
ent_remove(cache_shard *s, cache_ent *e)
{
	cache_ent **pp = &s->buckets[e->hash & (s->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(s, e);
	s->count--;
	au_dns_answer_free(e->ans);
	free(e);
}

static cache_ent *
ent_find(cache_shard *s, const char *name, size_t len, au_dns_type type,
    uint32_t h)
{
	cache_ent *e;

	for (e = s->buckets[h & (s->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->type == type && e->namelen == len &&
		    memcmp(e->name, name, len) == 0)
			return e;
	return NULL;
}

static cache_shard *
shard_of(const au_dns *dns, uint32_t h)
{
	return &dns->shards[(h >> 24) % dns->nshards];
}

static au_dns_answer *
cache_get(au_dns *dns, const char *name, size_t len, au_dns_type type,
    uint32_t h)
{
	cache_shard *s = shard_of(dns, h);
	au_dns_answer *a = NULL;
	cache_ent *e;
	int64_t now = dns_now(dns);

	pthread_mutex_lock(&s->mu);
	if ((e = ent_find(s, name, len, type, h)) != NULL) {
		if (now >= e->expires)
			ent_remove(s, e);
		else {
			lru_unlink(s, e);
			lru_push(s, e);
			a = answer_ref(e->ans);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return a;
}

static void
cache_put(au_dns *dns, const char *name, size_t len, au_dns_type type,
    uint32_t h, au_dns_answer *a)
{
	cache_shard *s = shard_of(dns, h);
	cache_ent *e, *old;
	uint32_t ttl;

	if (a->outcome != AU_DNS_RECORDS && a->outcome != AU_DNS_NXDOMAIN &&
	    a->outcome != AU_DNS_NODATA)
		return;
	if ((ttl = a->ttl > DNS_MAX_TTL ? DNS_MAX_TTL : a->ttl) == 0)
		return;
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
		return;		/* not caching is always correct */
	e->hash = h;
	e->type = type;
	e->namelen = len;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->expires = dns_now(dns) + (int64_t)ttl * 1000000000;
	e->ans = answer_ref(a);
	e->prev = e->next = NULL;

	pthread_mutex_lock(&s->mu);
	if ((old = ent_find(s, name, len, type, h)) != NULL)
		ent_remove(s, old);
	while (s->count >= s->cap && s->tail != NULL)
		ent_remove(s, s->tail);
	e->hnext = s->buckets[h & (s->nbuckets - 1)];
	s->buckets[h & (s->nbuckets - 1)] = e;
	lru_push(s, e);
	s->count++;
	pthread_mutex_unlock(&s->mu);
}

static void
cache_free(au_dns *dns)
{
	size_t i;
	cache_shard *s;

	for (i = 0; i < dns->nshards; i++) {
		s = &dns->shards[i];
		while (s->head != NULL)
			ent_remove(s, s->head);
		free(s->buckets);
		pthread_mutex_destroy(&s->mu);
	}
	free(dns->shards);
	dns->shards = NULL;
	dns->nshards = 0;
}

/* ---------------------------------------------------------------- handle */

au_status
au_dns__new(au_dns **out, au_dns_backend be, size_t cache_entries)
{
	au_dns *dns;

	*out = NULL;
	if ((dns = calloc(1, sizeof(*dns))) == NULL) {
		if (be.free)
			be.free(be.ctx);
		return AU_ENOMEM;
	}
	dns->be = be;
	if (cache_init(dns, cache_entries) != AU_OK) {
		au_dns_free(dns);
		return AU_ENOMEM;
	}
	*out = dns;
	return AU_OK;
}

au_dns *
au_dns_free(au_dns *dns)
{
	if (dns == NULL)
		return NULL;
	cache_free(dns);
	if (dns->be.free)
		dns->be.free(dns->be.ctx);
	free(dns);
	return NULL;
}

unsigned long
au_dns_backend_queries(const au_dns *dns)
{
	return dns ? __atomic_load_n(&dns->nqueries, __ATOMIC_RELAXED) : 0;
}

static au_status
wrap_backend(au_dns **out, au_status st, au_dns_backend *be,
    size_t cache_entries, char *err, size_t errlen)
{
	if (st != AU_OK)
		return st;
	if ((st = au_dns__new(out, *be, cache_entries)) != AU_OK && err && errlen)
		snprintf(err, errlen, "out of memory setting up DNS");
	return st;
}

au_status
au_dns_new_network(au_dns **out, const au_dns_opts *opts, char *err,
    size_t errlen)
{
	au_dns_opts none;
	au_dns_backend be;
	au_status st;

	*out = NULL;
	if (opts == NULL) {
		memset(&none, 0, sizeof(none));
		opts = &none;
	}
	memset(&be, 0, sizeof(be));
	st = au_dns__ldns_backend(&be, opts, err, errlen);
	return wrap_backend(out, st, &be, opts->cache_entries, err, errlen);
}

au_status
au_dns_new_zone(au_dns **out, const char *const *files, size_t nfiles,
    size_t cache_entries, char *err, size_t errlen)
{
	au_dns_backend be;
	au_status st;

	*out = NULL;
	st = au_dns__zone_backend(&be, files, nfiles, NULL, 0, err, errlen);
	return wrap_backend(out, st, &be, cache_entries, err, errlen);
}

au_status
au_dns_new_zone_text(au_dns **out, const char *text, size_t len, char *err,
    size_t errlen)
{
	au_dns_backend be;
	au_status st;

	*out = NULL;
	if (text == NULL && len > 0)
		return AU_EINVAL;
	st = au_dns__zone_backend(&be, NULL, 0, text ? text : "", len, err,
	    errlen);
	return wrap_backend(out, st, &be, 0, err, errlen);
}

/* ---------------------------------------------------------------- queries */

/*
 * Check name (RFC 1035 2.3.4) and copy it lower-cased, without one trailing
 * dot, into key.  Returns its length, or -1 with the reason in why.
 */
static int
name_key(const char *name, char key[256], char *why, size_t whylen)
{
	size_t len = strlen(name), i, label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0) {
		snprintf(why, whylen, "empty domain name");
		return -1;
	}
	if (len > 253) {
		snprintf(why, whylen, "domain name longer than 253 octets "
		    "(%zu)", len);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				goto empty;
			label = 0;
		} else if (++label > 63) {
			snprintf(why, whylen, "label longer than 63 octets in "
			    "%.80s", name);
			return -1;
		}
		key[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (label == 0)
		goto empty;
	key[len] = '\0';
	return (int)len;
empty:
	snprintf(why, whylen, "empty label in domain name %.100s", name);
	return -1;
}

au_status
au_dns_query(au_dns *dns, const char *name, au_dns_type type,
    au_dns_answer **out)
{
	char key[256];
	au_dns_answer *a;
	au_status st;
	uint32_t h = 0;
	int len;

	if (out == NULL)
		return AU_EINVAL;
	*out = NULL;
	if (dns == NULL || name == NULL || (int)type <= 0 || (int)type > 65535)
		return AU_EINVAL;
	if ((a = au_dns__answer_new(type, AU_DNS_NXDOMAIN, 0)) == NULL)
		return AU_ENOMEM;
	if ((len = name_key(name, key, a->reason, sizeof(a->reason))) < 0) {
		*out = a;
		return AU_OK;
	}
	au_dns_answer_free(a);
	if (dns->nshards > 0) {
		h = key_hash(key, (size_t)len, type);
		if ((*out = cache_get(dns, key, (size_t)len, type, h)) != NULL)
			return AU_OK;
	}
	__atomic_add_fetch(&dns->nqueries, 1, __ATOMIC_RELAXED);
	a = NULL;
	if ((st = dns->be.query(dns->be.ctx, key, type, &a)) != AU_OK) {
		au_dns_answer_free(a);
		return st;
	}
	if (a == NULL)
		return AU_ENOMEM;
	if (dns->nshards > 0)
		cache_put(dns, key, (size_t)len, type, h, a);
	*out = a;
	return AU_OK;
}
