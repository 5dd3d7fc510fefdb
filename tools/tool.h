/*
 * tool.h - the frame every authtool command plugs into: global options,
 * the DNS handle, output (text or JSON), exit codes and error reporting.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stdio.h>
#include <jansson.h>
#include "au_dns.h"

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

/* Print "authtool: CMD: message" to stderr (one line). */
void	 tool_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print a usage error with a pointer to --help; returns TOOL_EXIT_USAGE. */
int	 tool_usage(const tool_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print a command's --help text to stdout; returns TOOL_EXIT_PASS. */
int	 tool_help(const tool_cmd *cmd);

/* Dump a JSON object to stdout (one line, sorted keys) and free it. */
void	 tool_json_print(json_t *obj);

/*
 * Read all of stdin (bounded by max bytes) into a malloc'd buffer.
 * Returns NULL after printing an error (too large, read error).
 */
char	*tool_read_stdin(const char *cmd, size_t max, size_t *lenp);

/* Each command file defines its table entries; see authtool.c. */
extern const tool_cmd tool_cmds_spf[];
extern const tool_cmd tool_cmds_dkim[];	/* cmd_dkim.c */
extern const tool_cmd tool_cmds_dmarc[];	/* cmd_dmarc.c */
extern const tool_cmd tool_cmds_verify[];	/* cmd_verify.c */

#endif
