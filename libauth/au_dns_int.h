/*
 * au_dns_int.h - internal glue between the DNS front end (au_dns.c: cache,
 * name checks, reference counting) and its back ends (dns_ldns.c,
 * dns_zone.c).  Not installed.
 */
#ifndef AU_DNS_INT_H
#define AU_DNS_INT_H

#include "au_dns.h"

typedef struct au_dns_backend {
	/* Answer name/type into a freshly allocated answer (refs = 1). */
	au_status (*query)(void *ctx, const char *name, au_dns_type type,
	    au_dns_answer **out);
	void	(*free)(void *ctx);
	void	*ctx;
} au_dns_backend;

/* Wrap a back end into a resolver handle (takes ownership of be.ctx). */
au_status au_dns__new(au_dns **out, au_dns_backend be, size_t cache_entries);

/* Allocate an empty answer with room for n records (refs = 1). */
au_dns_answer *au_dns__answer_new(au_dns_type type, au_dns_outcome outcome, size_t n);

/* Back-end constructors. */
au_status au_dns__ldns_backend(au_dns_backend *be, const au_dns_opts *opts,
    char *err, size_t errlen);
au_status au_dns__zone_backend(au_dns_backend *be, const char *const *files,
    size_t nfiles, const char *text, size_t textlen, char *err, size_t errlen);

#endif
