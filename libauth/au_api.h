/*
 * au_api.h - symbol visibility for libauth.
 *
 * libauth is compiled with -fvisibility=hidden; only functions declared with
 * AU_API are exported from libauth.so.  Everything else is internal and may
 * change without notice.
 */
#ifndef AU_API_H
#define AU_API_H

#if defined(__GNUC__) && __GNUC__ >= 4
#define AU_API __attribute__((visibility("default")))
#else
#define AU_API
#endif

#endif
