/*
 * tool.h - the frame every authtool command plugs into: global options,
 * the DNS handle, output (text or JSON), exit codes and error reporting,
 * and the pieces several commands share (option errors, reading a message
 * on standard input, lint findings).
 */
#ifndef TOOL_H
#define TOOL_H

#include <stdarg.h>
#include <stdio.h>
#include <jansson.h>
#include "au_dns.h"
#include "msgread.h"

/* Exit codes fixed by shared/CONTRACT.md. */
enum {
	TOOL_EXIT_PASS = 0,	/* pass verdict, or the job was done */
	TOOL_EXIT_NEGATIVE = 1,	/* negative verdict, or lint found an error */
	TOOL_EXIT_TEMPERROR = 2,	/* DNS trouble: try again */
	TOOL_EXIT_PERMERROR = 3,	/* a published record is broken */
	TOOL_EXIT_USAGE = 64,	/* bad command line */
	TOOL_EXIT_DATAERR = 65	/* input malformed, unreadable key file */
};

#define TOOL_MAX_SERVERS 8
#define TOOL_MAX_ZONES 32

typedef struct tool_ctx {
	const char	*servers[TOOL_MAX_SERVERS];
	size_t		 nservers;
	const char	*zones[TOOL_MAX_ZONES];
	size_t		 nzones;
	int		 json;		/* --json */
	double		 timeout;	/* --timeout, seconds */
	au_dns		*dns;		/* made on first use by tool_dns() */
	au_status	 dns_status;	/* why tool_dns() failed */
} tool_ctx;

typedef struct tool_cmd {
	const char *group;	/* "spf", "dkim", ... or NULL for top level */
	const char *name;	/* "check", "verify", ... */
	const char *synopsis;	/* one line of arguments */
	const char *summary;	/* one sentence */
	const char *help;	/* full --help text (options, examples) */
	int	  (*run)(tool_ctx *ctx, int argc, char **argv);
} tool_cmd;

/*
 * The DNS handle from the global options (--zone, --dns-server,
 * --timeout), created once.  Returns NULL after printing an error.
 */
au_dns	*tool_dns(tool_ctx *ctx);

/*
 * The exit code after tool_dns() failed: 65 for a bad --zone file, 64 for
 * a bad --dns-server or --timeout value, else 2 (no usable resolver).
 */
int	 tool_dns_failed(const tool_ctx *ctx);

/* The table entry of command name in a command table (NULL if none). */
const tool_cmd *tool_find_cmd(const tool_cmd *table, const char *name);

/* Print "authtool: CMD: message" to stderr (one line). */
void	 tool_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print a usage error with a pointer to --help; returns TOOL_EXIT_USAGE. */
int	 tool_usage(const tool_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The usage error for what getopt_long() returned as o, ':' (an option
 * without its value) or anything else (an unknown option); returns
 * TOOL_EXIT_USAGE.
 */
int	 tool_opt_error(const tool_cmd *cmd, int o, char **argv);

/* Print a command's --help text to stdout; returns TOOL_EXIT_PASS. */
int	 tool_help(const tool_cmd *cmd);

/* Dump a JSON object to stdout (one line, keys in insertion order) and free it. */
void	 tool_json_print(json_t *obj);

/* A JSON string of len bytes, bytes outside %x20-7E written as \xHH. */
json_t	*tool_json_text(const char *s, size_t len);

/*
 * A JSON string for a C string that may come from hostile input: as is
 * when it is UTF-8, else as tool_json_text(); NULL gives JSON null.
 */
json_t	*tool_json_str(const char *s);

/*
 * Read the message on standard input into ops (see msgread.h).  Returns
 * MSGREAD_OK, or MSGREAD_ABORT (a callback stopped reading: the caller
 * reports why), or after printing the error anything else with *rc set:
 * 65 when the input is not a message, too large or unreadable, 2 when
 * out of memory.
 */
msgread_status tool_read_message(const char *cmd, const msgread_ops *ops,
    void *arg, msgread_info *info, int *rc);

/*
 * Lint findings, one per problem, each with a severity ("error",
 * "warning" or "info"), printed as "SEVERITY: message" lines or put into
 * the JSON object as "findings": [{"severity", "message"}, ...].
 */
typedef struct tool_findings {
	json_t	*list;		/* [{"severity", "message"}, ...] */
	int	 errors, warnings;
} tool_findings;

void	 tool_findings_init(tool_findings *f);
void	 tool_finding(tool_findings *f, const char *sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void	 tool_vfinding(tool_findings *f, const char *sev, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
/* Print the findings on stdout, one "SEVERITY: message" line each. */
void	 tool_findings_print(const tool_findings *f);
/* Exit code of a lint: 2 if temperror, else 1 if an error was found, else 0. */
int	 tool_findings_exit(const tool_findings *f, int temperror);
void	 tool_findings_free(tool_findings *f);

/* Each command file defines its table entries; see authtool.c. */
extern const tool_cmd tool_cmds_spf[];
extern const tool_cmd tool_cmds_dkim[];	/* cmd_dkim.c */
extern const tool_cmd tool_cmds_dmarc[];	/* cmd_dmarc.c */
extern const tool_cmd tool_cmds_verify[];	/* cmd_verify.c */

#endif
