/*
 * au_status.c - text for au_status codes, and the helper that writes an
 * error sentence into a caller's buffer (au_status_int.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include "au_status_int.h"

const char *
au_strerror(au_status st)
{
	switch (st) {
	case AU_OK:		return "success";
	case AU_ENOMEM:		return "out of memory";
	case AU_EINVAL:		return "invalid argument";
	case AU_ESYNTAX:	return "syntax error";
	case AU_ETOOBIG:	return "input too large";
	case AU_EIO:		return "I/O error";
	case AU_ENOTFOUND:	return "not found";
	case AU_ECRYPTO:	return "cryptographic library error";
	case AU_EDNS:		return "DNS resolver error";
	case AU_ESTATE:		return "call out of order";
	case AU_EPERM:		return "unsafe permissions";
	}
	return "unknown status";
}

void
au_status__msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
