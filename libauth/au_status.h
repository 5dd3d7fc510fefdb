/*
 * au_status.h - "did the call work" status codes for every libauth function.
 *
 * A status says whether a call could do its job (memory, arguments, I/O).
 * It never carries a verdict: SPF/DKIM/DMARC outcomes live in their own
 * result structures, each with a human-readable reason.
 */
#ifndef AU_STATUS_H
#define AU_STATUS_H

#include "au_api.h"

typedef enum au_status {
	AU_OK = 0,
	AU_ENOMEM,	/* out of memory */
	AU_EINVAL,	/* bad argument from the caller */
	AU_ESYNTAX,	/* input could not be parsed */
	AU_ETOOBIG,	/* input exceeds a configured bound */
	AU_EIO,		/* file or socket error (see errno) */
	AU_ENOTFOUND,	/* the thing asked for does not exist */
	AU_ECRYPTO,	/* OpenSSL failed */
	AU_EDNS,	/* DNS layer could not be set up */
	AU_ESTATE,	/* call made in the wrong order */
	AU_EPERM	/* unsafe permissions (e.g. a world-readable key) */
} au_status;

/* A short English description of a status; never NULL. */
AU_API const char *au_strerror(au_status st);

#endif
