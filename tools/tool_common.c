/*
 * tool_common.c - helpers shared by authtool commands: DNS handle from the
 * global options, error and usage messages, JSON output, stdin reading.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "tool.h"

/* DNS answers are cached for the life of one authtool run. */
#define TOOL_CACHE_ENTRIES 4096

au_dns *
tool_dns(tool_ctx *ctx)
{
	char err[512] = "";
	au_status st;

	if (ctx->dns)
		return ctx->dns;
	if (ctx->nzones > 0) {
		st = au_dns_new_zone(&ctx->dns, ctx->zones, ctx->nzones,
		    TOOL_CACHE_ENTRIES, err, sizeof err);
	} else {
		au_dns_opts o;

		memset(&o, 0, sizeof o);
		o.servers = ctx->nservers ? ctx->servers : NULL;
		o.nservers = ctx->nservers;
		o.timeout = ctx->timeout;
		o.cache_entries = TOOL_CACHE_ENTRIES;
		st = au_dns_new_network(&ctx->dns, &o, err, sizeof err);
	}
	if (st != AU_OK) {
		tool_err(NULL, "%s", err[0] ? err : au_strerror(st));
		ctx->dns = NULL;
	}
	return ctx->dns;
}

void
tool_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("authtool: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
tool_usage(const tool_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("authtool: ", stderr);
	if (cmd && cmd->group)
		fprintf(stderr, "%s %s: ", cmd->group, cmd->name);
	else if (cmd)
		fprintf(stderr, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd && cmd->group)
		fprintf(stderr, " (see 'authtool %s %s --help')\n", cmd->group, cmd->name);
	else if (cmd)
		fprintf(stderr, " (see 'authtool %s --help')\n", cmd->name);
	else
		fputs(" (see 'authtool help')\n", stderr);
	return TOOL_EXIT_USAGE;
}

int
tool_help(const tool_cmd *cmd)
{
	if (cmd->group)
		printf("usage: authtool [GLOBAL OPTIONS] %s %s %s\n\n%s\n",
		    cmd->group, cmd->name, cmd->synopsis, cmd->summary);
	else
		printf("usage: authtool [GLOBAL OPTIONS] %s %s\n\n%s\n",
		    cmd->name, cmd->synopsis, cmd->summary);
	if (cmd->help && cmd->help[0])
		printf("\n%s", cmd->help);
	return TOOL_EXIT_PASS;
}

void
tool_json_print(json_t *obj)
{
	json_dumpf(obj, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(obj);
}

char *
tool_read_stdin(const char *cmd, size_t max, size_t *lenp)
{
	size_t len = 0, cap = 65536, n;
	char *buf, *p;

	if ((buf = malloc(cap + 1)) == NULL) {
		tool_err(cmd, "out of memory");
		return NULL;
	}
	while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap) {
			if (cap >= max) {
				tool_err(cmd, "input larger than %zu bytes", max);
				free(buf);
				return NULL;
			}
			cap = cap * 2 > max ? max : cap * 2;
			if ((p = realloc(buf, cap + 1)) == NULL) {
				tool_err(cmd, "out of memory");
				free(buf);
				return NULL;
			}
			buf = p;
		}
	}
	if (ferror(stdin)) {
		tool_err(cmd, "reading standard input: %s", strerror(errno));
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}
