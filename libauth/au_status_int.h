/*
 * au_status_int.h - internal helper of the status module (au_status.c)
 * for every libauth file that reports errors in a caller's buffer.
 * Not installed.
 */
#ifndef AU_STATUS_INT_H
#define AU_STATUS_INT_H

#include <stddef.h>
#include "au_status.h"

/*
 * Format one sentence into the caller's error buffer err[0..errlen)
 * (cut to fit; nothing happens when err is NULL or errlen is 0).
 */
void	 au_status__msg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
