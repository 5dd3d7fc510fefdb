/*
 * dkim_keycache.c - a bounded, thread-safe cache of parsed DKIM public keys
 * (RFC 6376 3.6.2 records), keyed by the query name "s._domainkey.d".
 *
 * Why a cache of its own beside the DNS cache: turning p= into an EVP_PKEY
 * costs more than verifying an RSA signature, so a key is parsed once and
 * the parsed key is shared, refcounted, by every message and thread until
 * the TTL of the DNS answer it came from runs out.  The cache is an object
 * the application creates and hands to verifiers (au_dkim_verify_opts
 * keycache): no hidden global state, one cache per process or per
 * configuration as the application likes.
 *
 * Layout: a chained hash table plus a FIFO list for eviction (the oldest
 * insertion goes when the cache is full).  One mutex guards both; it is
 * held only for pointer work, never during DNS or parsing.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "dkim_int.h"

typedef struct kc_entry {
	struct kc_entry	*next;		/* hash chain */
	struct kc_entry	*older, *newer;	/* FIFO */
	dkim_pubkey	*key;
	time_t		 expires;
	uint32_t	 hash;
	char		 name[];
} kc_entry;

struct au_dkim_keycache {
	pthread_mutex_t	 lock;
	kc_entry	**table;
	size_t		 nbuckets;	/* power of two */
	size_t		 count, max;
	kc_entry	*oldest, *newest;
	unsigned long	 hits, misses;
};

static uint32_t
kc_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * 16777619u;
	}
	return h;
}

au_status
au_dkim_keycache_new(au_dkim_keycache **out, size_t max_entries)
{
	au_dkim_keycache *kc;
	size_t nb = 16;

	*out = NULL;
	if (max_entries == 0)
		max_entries = 1024;
	if (max_entries > 1000000)
		return AU_EINVAL;
	while (nb < max_entries)
		nb <<= 1;
	if ((kc = calloc(1, sizeof *kc)) == NULL)
		return AU_ENOMEM;
	if ((kc->table = calloc(nb, sizeof *kc->table)) == NULL) {
		free(kc);
		return AU_ENOMEM;
	}
	if (pthread_mutex_init(&kc->lock, NULL) != 0) {
		free(kc->table);
		free(kc);
		return AU_ENOMEM;
	}
	kc->nbuckets = nb;
	kc->max = max_entries;
	*out = kc;
	return AU_OK;
}

/* Unlink e from the table and the FIFO (lock held); the caller frees it. */
static void
kc_unlink(au_dkim_keycache *kc, kc_entry *e)
{
	kc_entry **pp = &kc->table[e->hash & (kc->nbuckets - 1)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	if (e->older)
		e->older->newer = e->newer;
	else
		kc->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		kc->newest = e->older;
	kc->count--;
}

static void
kc_entry_free(kc_entry *e)
{
	au_dkim__pubkey_unref(e->key);
	free(e);
}

au_dkim_keycache *
au_dkim_keycache_free(au_dkim_keycache *kc)
{
	kc_entry *e, *n;

	if (kc == NULL)
		return NULL;
	for (e = kc->oldest; e; e = n) {
		n = e->newer;
		kc_entry_free(e);
	}
	pthread_mutex_destroy(&kc->lock);
	free(kc->table);
	free(kc);
	return NULL;
}

static kc_entry *
kc_find(au_dkim_keycache *kc, const char *name, uint32_t h)
{
	kc_entry *e;

	for (e = kc->table[h & (kc->nbuckets - 1)]; e; e = e->next)
		if (e->hash == h && strcasecmp(e->name, name) == 0)
			return e;
	return NULL;
}

dkim_pubkey *
au_dkim__keycache_get(au_dkim_keycache *kc, const char *name, time_t now)
{
	uint32_t h = kc_hash(name);
	kc_entry *e, *dead = NULL;
	dkim_pubkey *k = NULL;

	pthread_mutex_lock(&kc->lock);
	if ((e = kc_find(kc, name, h)) != NULL) {
		if (e->expires > now)
			k = au_dkim__pubkey_ref(e->key);
		else {
			kc_unlink(kc, e);
			dead = e;
		}
	}
	if (k)
		kc->hits++;
	else
		kc->misses++;
	pthread_mutex_unlock(&kc->lock);
	if (dead)
		kc_entry_free(dead);
	return k;
}

void
au_dkim__keycache_put(au_dkim_keycache *kc, const char *name, dkim_pubkey *k,
    time_t expires)
{
	uint32_t h = kc_hash(name);
	size_t nl = strlen(name);
	kc_entry *e, *old, *evict = NULL;

	if ((e = malloc(sizeof *e + nl + 1)) == NULL)
		return;		/* the cache is an optimisation */
	memcpy(e->name, name, nl + 1);
	e->hash = h;
	e->expires = expires;
	e->key = au_dkim__pubkey_ref(k);
	pthread_mutex_lock(&kc->lock);
	if ((old = kc_find(kc, name, h)) != NULL)
		kc_unlink(kc, old);
	else if (kc->count >= kc->max && (evict = kc->oldest) != NULL)
		kc_unlink(kc, evict);
	e->next = kc->table[h & (kc->nbuckets - 1)];
	kc->table[h & (kc->nbuckets - 1)] = e;
	e->newer = NULL;
	e->older = kc->newest;
	if (kc->newest)
		kc->newest->newer = e;
	else
		kc->oldest = e;
	kc->newest = e;
	kc->count++;
	pthread_mutex_unlock(&kc->lock);
	if (old)
		kc_entry_free(old);
	if (evict)
		kc_entry_free(evict);
}

void
au_dkim_keycache_stats(au_dkim_keycache *kc, unsigned long *hits, unsigned long *misses,
    size_t *entries)
{
	pthread_mutex_lock(&kc->lock);
	if (hits)
		*hits = kc->hits;
	if (misses)
		*misses = kc->misses;
	if (entries)
		*entries = kc->count;
	pthread_mutex_unlock(&kc->lock);
}
