/*
 * msgread.h - split an RFC 5322 message read from a stream into header
 * fields and body chunks, for authtool commands that feed libauth's
 * streaming APIs (au_dkim_*, au_msg_*).
 *
 * The message is read in 64 KB blocks and never held whole: only the header
 * field being assembled is buffered (bounded by max_field).  Line ends may
 * be CRLF or bare LF, also mixed.  Callbacks, in order:
 *
 *   header(arg, raw, len, rawlen)   once per field.  raw[0..len) is the
 *       whole field "Name: value" as it stood, folded lines joined by their
 *       original line ends, WITHOUT the final line end (the convention of
 *       au_dkim.h); raw[len..rawlen) is that final line end as it stood
 *       ("\r\n", "\n", or "" when the input ended without one).
 *   eoh(arg, sep, seplen)           the end of the header section; sep is the
 *       empty line as it stood ("\r\n" or "\n"), seplen 0 when the input
 *       ended without an empty line (a headers-only message).
 *   body(arg, chunk, len)           body bytes exactly as read, in chunks of
 *       any size (may split a line end); not called for an empty body.
 *
 * Writing raw[0..rawlen) for each field, then sep, then the body chunks
 * reproduces the input byte for byte.
 *
 * A callback returning nonzero stops reading: msgread() returns
 * MSGREAD_ABORT and leaves reporting to the caller.
 *
 * Malformed input (MSGREAD_NOTMSG, err says where and why):
 *   - empty input, or an empty line before any header field;
 *   - a first line starting with white space (continuation of nothing);
 *   - a header line that is neither a continuation nor "name:" with a
 *     name of printable ASCII (RFC 5322 2.2 ftext; white space before the
 *     colon is accepted, RFC 5322 4.5.5 obs-optional);
 *   - a field longer than max_field (MSGREAD_TOOBIG).
 */
#ifndef MSGREAD_H
#define MSGREAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum msgread_status {
	MSGREAD_OK = 0,
	MSGREAD_NOTMSG,		/* not a message: authtool exits 65 */
	MSGREAD_TOOBIG,		/* a field beyond max_field: exit 65 */
	MSGREAD_IO,		/* read error (err has strerror) */
	MSGREAD_NOMEM,
	MSGREAD_ABORT		/* a callback returned nonzero */
} msgread_status;

typedef struct msgread_ops {
	int	(*header)(void *arg, const char *raw, size_t len, size_t rawlen);
	int	(*eoh)(void *arg, const char *sep, size_t seplen);
	int	(*body)(void *arg, const char *chunk, size_t len);	/* may be NULL */
} msgread_ops;

/* What was seen, filled in as reading goes (valid on any return). */
typedef struct msgread_info {
	size_t		 nfields;	/* header fields delivered */
	uint64_t	 header_bytes;	/* bytes of the header section, separator included */
	uint64_t	 body_bytes;	/* body bytes delivered */
	int		 crlf;		/* the first line ended with CRLF (else LF) */
	int		 has_separator;	/* an empty line ended the header section */
} msgread_info;

#define MSGREAD_BLOCK		65536		/* read size */
#define MSGREAD_MAX_FIELD	(1024 * 1024)	/* default bound on one field */

/*
 * Read a message from fp to its end.  max_field bounds one header field
 * (0 = MSGREAD_MAX_FIELD).  info may be NULL.  On anything but MSGREAD_OK
 * and MSGREAD_ABORT, err holds one sentence ("line 3: ... ").
 */
msgread_status msgread(FILE *fp, const msgread_ops *ops, void *arg,
    size_t max_field, msgread_info *info, char *err, size_t errlen);

/* Same, from memory (for tests and for callers that hold the message). */
msgread_status msgread_mem(const char *data, size_t len, const msgread_ops *ops,
    void *arg, size_t max_field, msgread_info *info, char *err, size_t errlen);

#endif
