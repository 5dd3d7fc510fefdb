/*
 * callbacks.h - the libmilter filter description of authmilter.
 */
#ifndef AM_CALLBACKS_H
#define AM_CALLBACKS_H

#include <libmilter/mfapi.h>

/* The filter, ready for smfi_register(). */
extern struct smfiDesc am_filter;

#endif
