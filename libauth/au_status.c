/*
 * au_status.c - text for au_status codes.
 */
#include "au_status.h"

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
