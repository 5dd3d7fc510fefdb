/*
 * log.c - authmilter's logging (see log.h).
 *
 * In the foreground a line goes to stderr as "authmilter[PID]: LEVEL: text";
 * in the background it goes to syslog with the configured facility.  The
 * settings are plain ints written by the main thread at start and on reload
 * and read by the connection threads: a torn read can at worst log one line
 * to the old facility, so they are kept as relaxed atomics, not behind a
 * lock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "log.h"

static volatile int	log_stderr = 1;
static volatile int	log_syslog = 0;
static volatile int	log_facility = LOG_MAIL;
static int		log_opened;

static const struct {
	const char	*name;
	int		 value;
} facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "daemon", LOG_DAEMON }, { "mail", LOG_MAIL }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int
am_log_facility(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}

void
am_log_setup(int to_stderr, int use_syslog, int facility)
{
	if (use_syslog && !to_stderr && (!log_opened || facility != log_facility)) {
		if (log_opened)
			closelog();
		openlog("authmilter", LOG_PID | LOG_NDELAY, facility);
		log_opened = 1;
	}
	log_facility = facility;
	log_syslog = use_syslog;
	log_stderr = to_stderr;
}

static const char *
prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

int
am_log_active(void)
{
	return log_stderr || log_syslog;
}

void
am_log(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!log_stderr && !log_syslog)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_stderr)
		/* one fprintf: stdio locks the stream, so lines do not mix */
		fprintf(stderr, "authmilter[%ld]: %s: %s\n", (long)getpid(),
		    prio_name(prio), line);
	else if (log_syslog)
		syslog(prio, "%s", line);
}
