/*
 * dns_zone.c - the master-file DNS back end: an in-memory zone store that
 * answers queries the way an authoritative server would (RFC 1034 4.3.2,
 * RFC 2308 for negative answers), plus au_dns__zone_backend().
 *
 * Names live in one open-addressing hash table keyed by the lower-case
 * name.  Each name holds its records sorted by type, so a query is one hash
 * look-up and a binary search.  A name "exists" when it owns a record or
 * has a name below it (an empty non-terminal, RFC 8020): such a name
 * answers NODATA, every other name NXDOMAIN.
 *
 * After au_zone__finish() nothing changes any more, so any number of
 * threads may query one store without locking.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "au_dns_int.h"
#include "dns_zone_int.h"

#define ZONE_MAX_CNAME	16	/* CNAME steps followed per query */
#define ZONE_NEG_TTL	300	/* negative TTL when no SOA is known */

typedef struct znode {
	char		*name;		/* lower case, no trailing dot */
	uint32_t	 hash;
	uint8_t		 exists;	/* owns records or has names below */
	uint8_t		 has_soa;
	uint8_t		 timeout_all;	/* ;%TIMEOUT NAME without types */
	uint32_t	 neg_ttl;	/* from the SOA: min(TTL, MINIMUM) */
	uint16_t	*tmo;		/* ;%TIMEOUT NAME TYPE...: the types */
	size_t		 ntmo;
	au_zone_rr	*rr;		/* sorted by type after finish */
	size_t		 nrr, caprr;
} znode;

struct au_zone {
	znode		**tab;		/* open addressing, power of two */
	size_t		 tabsize;
	size_t		 nnodes;
	size_t		 namebytes;
	int		 full;		/* a bound on names was hit */
	size_t		 nrecords;
	size_t		 ntimeouts;
	int		 finished;
};

static uint32_t
name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

static size_t
lower_copy(char *dst, const char *src, size_t max)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	dst[i] = '\0';
	return i;
}

au_zone *
au_zone__new(void)
{
	au_zone *z;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return NULL;
	z->tabsize = 64;
	if ((z->tab = calloc(z->tabsize, sizeof(*z->tab))) == NULL) {
		free(z);
		return NULL;
	}
	return z;
}

void
au_zone__free(au_zone *z)
{
	size_t i, j;
	znode *n;

	if (z == NULL)
		return;
	for (i = 0; i < z->tabsize; i++) {
		if ((n = z->tab[i]) == NULL)
			continue;
		for (j = 0; j < n->nrr; j++) {
			au_dns__rr_clear(n->rr[j].type, &n->rr[j].rr);
			free(n->rr[j].key);
		}
		free(n->rr);
		free(n->tmo);
		free(n->name);
		free(n);
	}
	free(z->tab);
	free(z);
}

/* The node for a lower-case name of length len, or NULL. */
static znode *
zone_find(const au_zone *z, const char *name, size_t len)
{
	uint32_t h = name_hash(name, len);
	size_t i, mask = z->tabsize - 1;
	znode *n;

	for (i = h & mask; (n = z->tab[i]) != NULL; i = (i + 1) & mask) {
		if (n->hash == h && strncmp(n->name, name, len) == 0 &&
		    n->name[len] == '\0')
			return n;
	}
	return NULL;
}

static int
zone_grow(au_zone *z)
{
	znode **nt;
	size_t i, j, nsize = z->tabsize * 2, mask = nsize - 1;

	if ((nt = calloc(nsize, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < z->tabsize; i++) {
		if (z->tab[i] == NULL)
			continue;
		for (j = z->tab[i]->hash & mask; nt[j] != NULL; j = (j + 1) & mask)
			;
		nt[j] = z->tab[i];
	}
	free(z->tab);
	z->tab = nt;
	z->tabsize = nsize;
	return 0;
}

/* Find or create the node for a lower-case name. */
static znode *
zone_get(au_zone *z, const char *name, size_t len)
{
	znode *n;
	size_t i, mask;

	if ((n = zone_find(z, name, len)) != NULL)
		return n;
	if (z->nnodes >= AU_ZONE_MAX_NAMES ||
	    len + 1 > AU_ZONE_MAX_NAME_BYTES - z->namebytes) {
		z->full = 1;
		return NULL;
	}
	if ((z->nnodes + 1) * 2 > z->tabsize && zone_grow(z) == -1)
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->name = malloc(len + 1)) == NULL) {
		free(n);
		return NULL;
	}
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->hash = name_hash(name, len);
	mask = z->tabsize - 1;
	for (i = n->hash & mask; z->tab[i] != NULL; i = (i + 1) & mask)
		;
	z->tab[i] = n;
	z->nnodes++;
	z->namebytes += len + 1;
	return n;
}

/* Mark a name and every name above it (below the root) as existing. */
static au_status
zone_mark(au_zone *z, znode *n)
{
	const char *p = n->name, *dot;
	znode *up;

	n->exists = 1;
	while ((dot = strchr(p, '.')) != NULL) {
		p = dot + 1;
		if ((up = zone_get(z, p, strlen(p))) == NULL)
			return z->full ? AU_ETOOBIG : AU_ENOMEM;
		if (up->exists)
			break;
		up->exists = 1;
	}
	return AU_OK;
}

static znode *
zone_get_owner(au_zone *z, const char *owner)
{
	char key[256];
	size_t len;

	if (strlen(owner) > 253)
		return NULL;
	len = lower_copy(key, owner, 253);
	return zone_get(z, key, len);
}

au_status
au_zone__add(au_zone *z, const char *owner, au_zone_rr *rr)
{
	znode *n;
	au_zone_rr *nr;
	size_t ncap;

	if (z->finished || z->nrecords >= AU_ZONE_MAX_RECORDS) {
		au_dns__rr_clear(rr->type, &rr->rr);
		free(rr->key);
		return z->finished ? AU_ESTATE : AU_ETOOBIG;
	}
	if ((n = zone_get_owner(z, owner)) == NULL) {
		au_dns__rr_clear(rr->type, &rr->rr);
		free(rr->key);
		return z->full ? AU_ETOOBIG : AU_ENOMEM;
	}
	if (n->nrr == n->caprr) {
		ncap = n->caprr ? n->caprr * 2 : 2;
		if ((nr = realloc(n->rr, ncap * sizeof(*nr))) == NULL)
			goto nomem;
		n->rr = nr;
		n->caprr = ncap;
	}
	rr->seq = (uint32_t)n->nrr;
	n->rr[n->nrr++] = *rr;
	z->nrecords++;
	if (rr->type == AU_DNS_T_SOA) {
		uint32_t neg = rr->soa_min < rr->ttl ? rr->soa_min : rr->ttl;
		if (!n->has_soa || neg < n->neg_ttl)
			n->neg_ttl = neg;
		n->has_soa = 1;
	}
	return zone_mark(z, n);
nomem:
	au_dns__rr_clear(rr->type, &rr->rr);
	free(rr->key);
	return AU_ENOMEM;
}

au_status
au_zone__touch(au_zone *z, const char *owner)
{
	znode *n;

	if (z->finished)
		return AU_ESTATE;
	if ((n = zone_get_owner(z, owner)) == NULL)
		return z->full ? AU_ETOOBIG : AU_ENOMEM;
	return zone_mark(z, n);
}

au_status
au_zone__timeout(au_zone *z, const char *name, const uint16_t *types,
    size_t ntypes)
{
	znode *n;
	uint16_t *nt;

	if (z->finished)
		return AU_ESTATE;
	if (z->ntimeouts >= AU_ZONE_MAX_TIMEOUTS ||
	    ntypes > AU_ZONE_MAX_TIMEOUTS - z->ntimeouts)
		return AU_ETOOBIG;
	if ((n = zone_get_owner(z, name)) == NULL)
		return z->full ? AU_ETOOBIG : AU_ENOMEM;
	z->ntimeouts += ntypes ? ntypes : 1;
	if (ntypes == 0) {
		n->timeout_all = 1;
		return AU_OK;
	}
	if ((nt = realloc(n->tmo, (n->ntmo + ntypes) * sizeof(*nt))) == NULL)
		return AU_ENOMEM;
	memcpy(nt + n->ntmo, types, ntypes * sizeof(*nt));
	n->tmo = nt;
	n->ntmo += ntypes;
	return AU_OK;
}

/* Order by type, then record data, then arrival (to find duplicates). */
static int
rr_cmp_data(const void *a, const void *b)
{
	const au_zone_rr *x = a, *y = b;
	int c;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	if (x->keylen && (c = memcmp(x->key, y->key, x->keylen)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Order by type, then arrival: the order answers are given in. */
static int
rr_cmp_seq(const void *a, const void *b)
{
	const au_zone_rr *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
rr_same(const au_zone_rr *x, const au_zone_rr *y)
{
	return x->type == y->type && x->keylen == y->keylen &&
	    (x->keylen == 0 || memcmp(x->key, y->key, x->keylen) == 0);
}

/* Serve identical records of a name once (an RRset is a set). */
static void
node_finish(znode *n)
{
	size_t i, o;

	if (n->nrr > 1) {
		qsort(n->rr, n->nrr, sizeof(*n->rr), rr_cmp_data);
		for (i = 1, o = 1; i < n->nrr; i++) {
			if (rr_same(&n->rr[o - 1], &n->rr[i])) {
				if (n->rr[i].ttl < n->rr[o - 1].ttl)
					n->rr[o - 1].ttl = n->rr[i].ttl;
				au_dns__rr_clear(n->rr[i].type, &n->rr[i].rr);
				free(n->rr[i].key);
				continue;
			}
			n->rr[o++] = n->rr[i];
		}
		n->nrr = o;
		qsort(n->rr, n->nrr, sizeof(*n->rr), rr_cmp_seq);
	}
	for (i = 0; i < n->nrr; i++) {
		free(n->rr[i].key);
		n->rr[i].key = NULL;
		n->rr[i].keylen = 0;
	}
}

au_status
au_zone__finish(au_zone *z)
{
	size_t i;

	if (z->finished)
		return AU_ESTATE;
	for (i = 0; i < z->tabsize; i++)
		if (z->tab[i] != NULL)
			node_finish(z->tab[i]);
	z->finished = 1;
	return AU_OK;
}

/* The records of type t at n: [*lo, *hi). */
static void
node_range(const znode *n, uint16_t t, size_t *lo, size_t *hi)
{
	size_t a = 0, b = n->nrr, m;

	while (a < b) {
		m = a + (b - a) / 2;
		if (n->rr[m].type < t)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	for (b = a; b < n->nrr && n->rr[b].type == t; b++)
		;
	*hi = b;
}

static int
node_typed_timeout(const znode *n, uint16_t t)
{
	size_t i;

	for (i = 0; i < n->ntmo; i++)
		if (n->tmo[i] == t)
			return 1;
	return 0;
}

/* The negative TTL for name: from the closest SOA at or above it. */
static uint32_t
zone_neg_ttl(const au_zone *z, const char *name)
{
	const char *p = name, *dot;
	const znode *n;

	for (;;) {
		n = zone_find(z, p, strlen(p));
		if (n != NULL && n->has_soa)
			return n->neg_ttl;
		if (*p == '\0')
			return ZONE_NEG_TTL;
		dot = strchr(p, '.');
		p = dot ? dot + 1 : "";
	}
}

static au_status
answer_simple(au_dns_type type, au_dns_outcome o, uint32_t ttl,
    au_dns_answer **out)
{
	au_dns_answer *a;

	if ((a = au_dns__answer_new(type, o, 0)) == NULL)
		return AU_ENOMEM;
	a->ttl = ttl;
	*out = a;
	return AU_OK;
}

static au_status
answer_records(const znode *n, size_t lo, size_t hi, au_dns_type type,
    uint32_t ttl, au_dns_answer **out)
{
	au_dns_answer *a;
	size_t i;

	if ((a = au_dns__answer_new(type, AU_DNS_RECORDS, hi - lo)) == NULL)
		return AU_ENOMEM;
	for (i = lo; i < hi; i++) {
		if (au_dns__rr_copy(type, &a->rr[i - lo], &n->rr[i].rr) != AU_OK) {
			au_dns_answer_free(a);
			return AU_ENOMEM;
		}
		a->rr[i - lo].ttl = n->rr[i].ttl;
		if (n->rr[i].ttl < ttl)
			ttl = n->rr[i].ttl;
	}
	a->ttl = ttl;
	*out = a;
	return AU_OK;
}

/*
 * Answer name/type:
 *   records of the type at the name            RECORDS (ttl: the smallest)
 *   ";%TIMEOUT NAME TYPE" lists the type       TIMEOUT
 *   ";%TIMEOUT NAME" and no record of the type TIMEOUT
 *   a CNAME (type asked is not CNAME)          follow it, at most 16 steps;
 *                                              a loop or longer chain: SERVFAIL
 *   the name exists                            NODATA
 *   else                                       NXDOMAIN
 * Negative answers carry the SOA's negative TTL (RFC 2308 5), else 300.
 */
au_status
au_zone__query(const au_zone *z, const char *name, au_dns_type type,
    au_dns_answer **out)
{
	const znode *seen[ZONE_MAX_CNAME + 1];
	const znode *n, *tn;
	char cur[256];
	size_t len, lo, hi, nseen = 0, i;
	uint32_t ttl = UINT32_MAX, neg;
	uint16_t t = (uint16_t)type;
	au_dns_answer *a;
	au_status st;

	*out = NULL;
	if (strlen(name) > 253)
		return answer_simple(type, AU_DNS_NXDOMAIN, ZONE_NEG_TTL, out);
	len = lower_copy(cur, name, 253);
	for (;;) {
		if ((n = zone_find(z, cur, len)) == NULL)
			break;
		if (node_typed_timeout(n, t))
			goto timeout;
		node_range(n, t, &lo, &hi);
		if (hi > lo)
			return answer_records(n, lo, hi, type, ttl, out);
		if (n->timeout_all)
			goto timeout;
		if (t != AU_DNS_T_CNAME) {
			node_range(n, AU_DNS_T_CNAME, &lo, &hi);
			if (hi > lo) {
				const au_zone_rr *c = &n->rr[lo];

				if (nseen == ZONE_MAX_CNAME) {
					st = answer_simple(type, AU_DNS_SERVFAIL, 0, out);
					if (st == AU_OK)
						snprintf((*out)->reason,
						    sizeof((*out)->reason),
						    "CNAME chain longer than %d at %.100s",
						    ZONE_MAX_CNAME, cur);
					return st;
				}
				seen[nseen++] = n;
				if (c->ttl < ttl)
					ttl = c->ttl;
				len = lower_copy(cur, c->rr.u.name, 253);
				tn = zone_find(z, cur, len);
				for (i = 0; tn != NULL && i < nseen; i++) {
					if (seen[i] != tn)
						continue;
					st = answer_simple(type, AU_DNS_SERVFAIL, 0, out);
					if (st == AU_OK)
						snprintf((*out)->reason,
						    sizeof((*out)->reason),
						    "CNAME loop at %.120s", cur);
					return st;
				}
				continue;
			}
		}
		if (n->exists) {
			neg = zone_neg_ttl(z, cur);
			return answer_simple(type, AU_DNS_NODATA,
			    neg < ttl ? neg : ttl, out);
		}
		break;
	}
	neg = zone_neg_ttl(z, cur);
	return answer_simple(type, AU_DNS_NXDOMAIN, neg < ttl ? neg : ttl, out);
timeout:
	if ((a = au_dns__answer_new(type, AU_DNS_TIMEOUT, 0)) == NULL)
		return AU_ENOMEM;
	snprintf(a->reason, sizeof(a->reason),
	    "no answer for %.100s (;%%TIMEOUT mark in the zone)", cur);
	*out = a;
	return AU_OK;
}

/* ---------------------------------------------------------------- back end */

static au_status
zone_be_query(void *ctx, const char *name, au_dns_type type,
    au_dns_answer **out)
{
	return au_zone__query(ctx, name, type, out);
}

static void
zone_be_free(void *ctx)
{
	au_zone__free(ctx);
}

au_status
au_dns__zone_backend(au_dns_backend *be, const char *const *files,
    size_t nfiles, const char *text, size_t textlen, char *err, size_t errlen)
{
	au_zone *z;
	au_status st = AU_OK;
	size_t i;

	if (err && errlen)
		err[0] = '\0';
	memset(be, 0, sizeof(*be));
	if (nfiles > 0 && files == NULL)
		return AU_EINVAL;
	if ((z = au_zone__new()) == NULL) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory loading the zone");
		return AU_ENOMEM;
	}
	for (i = 0; i < nfiles && st == AU_OK; i++)
		st = au_zone__parse_file(z, files[i], err, errlen);
	if (st == AU_OK && text != NULL)
		st = au_zone__parse(z, "<zone text>", text, textlen, err, errlen);
	if (st == AU_OK)
		st = au_zone__finish(z);
	if (st != AU_OK) {
		if (err && errlen && err[0] == '\0')
			snprintf(err, errlen, "cannot load the zone: %s",
			    au_strerror(st));
		au_zone__free(z);
		return st;
	}
	be->query = zone_be_query;
	be->free = zone_be_free;
	be->ctx = z;
	return AU_OK;
}
