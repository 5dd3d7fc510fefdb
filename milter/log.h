/*
 * log.h - authmilter's logging: syslog(3) in daemon mode, stderr in the
 * foreground (-f), one call = one line, safe from any thread.
 */
#ifndef AM_LOG_H
#define AM_LOG_H

#include <syslog.h>

/*
 * Where log lines go.  to_stderr: foreground (-f).  use_syslog: the
 * Syslog key.  facility: a LOG_* facility value.  Call again after a
 * reload to change the facility; safe while other threads log.
 */
void	 am_log_setup(int to_stderr, int use_syslog, int facility);

/* Log one line at prio (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG). */
void	 am_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Does am_log() write anywhere?  (Skip building lines nobody reads.) */
int	 am_log_active(void);

/* Map a syslog facility name ("mail", "local0", ...) to its value; -1 if unknown. */
int	 am_log_facility(const char *name);

#endif
