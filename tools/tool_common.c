/*
 * tool_common.c - helpers shared by authtool commands: DNS handle from the
 * global options, command look-up, error and usage messages, JSON output,
 * the message on standard input, lint findings.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "au_buf.h"
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
		ctx->dns_status = st;
	}
	return ctx->dns;
}

int
tool_dns_failed(const tool_ctx *ctx)
{
	if (ctx->nzones)
		return TOOL_EXIT_DATAERR;
	if (ctx->dns_status == AU_EINVAL || ctx->dns_status == AU_ESYNTAX)
		return TOOL_EXIT_USAGE;
	return TOOL_EXIT_TEMPERROR;
}

const tool_cmd *
tool_find_cmd(const tool_cmd *table, const char *name)
{
	const tool_cmd *c;

	for (c = table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
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
tool_opt_error(const tool_cmd *cmd, int o, char **argv)
{
	if (o == ':')
		return tool_usage(cmd, "option %s needs a value", argv[optind - 1]);
	return tool_usage(cmd, "unknown option '%s'", argv[optind - 1]);
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

json_t *
tool_json_text(const char *s, size_t len)
{
	char *buf;
	size_t i, o = 0;
	json_t *j;

	if ((buf = malloc(len * 4 + 1)) == NULL)
		return json_null();
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, 5, "\\x%02X", c);
	}
	buf[o] = '\0';
	j = json_string(buf);
	free(buf);
	return j ? j : json_null();
}

json_t *
tool_json_str(const char *s)
{
	json_t *j;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	return tool_json_text(s, strlen(s));
}

msgread_status
tool_read_message(const char *cmd, const msgread_ops *ops, void *arg,
    msgread_info *info, int *rc)
{
	char err[512];
	msgread_status ms;

	ms = msgread(stdin, ops, arg, 0, info, err, sizeof err);
	switch (ms) {
	case MSGREAD_OK:
	case MSGREAD_ABORT:
		break;
	case MSGREAD_NOTMSG:
	case MSGREAD_TOOBIG:
		tool_err(cmd, "standard input: %s", err);
		*rc = TOOL_EXIT_DATAERR;
		break;
	case MSGREAD_IO:
		tool_err(cmd, "reading standard input: %s", err);
		*rc = TOOL_EXIT_DATAERR;
		break;
	case MSGREAD_NOMEM:
	default:
		tool_err(cmd, "reading standard input: out of memory");
		*rc = TOOL_EXIT_TEMPERROR;
		break;
	}
	return ms;
}

/* ---------------------------------------------------------------- findings */

void
tool_findings_init(tool_findings *f)
{
	f->list = json_array();
	f->errors = f->warnings = 0;
}

void
tool_vfinding(tool_findings *f, const char *sev, const char *fmt, va_list ap)
{
	au_buf b = AU_BUF_INIT(0);
	json_t *o;

	if (strcmp(sev, "error") == 0)
		f->errors++;
	else if (strcmp(sev, "warning") == 0)
		f->warnings++;
	if (au_buf_vprintf(&b, fmt, ap) != AU_OK || (o = json_object()) == NULL) {
		au_buf_free(&b);
		return;
	}
	json_object_set_new(o, "severity", json_string(sev));
	json_object_set_new(o, "message", tool_json_str(au_buf_cstr(&b)));
	json_array_append_new(f->list, o);
	au_buf_free(&b);
}

void
tool_finding(tool_findings *f, const char *sev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tool_vfinding(f, sev, fmt, ap);
	va_end(ap);
}

void
tool_findings_print(const tool_findings *f)
{
	size_t i;

	for (i = 0; i < json_array_size(f->list); i++) {
		json_t *o = json_array_get(f->list, i);

		printf("%s: %s\n", json_string_value(json_object_get(o, "severity")),
		    json_string_value(json_object_get(o, "message")));
	}
}

int
tool_findings_exit(const tool_findings *f, int temperror)
{
	if (temperror)
		return TOOL_EXIT_TEMPERROR;
	return f->errors ? TOOL_EXIT_NEGATIVE : TOOL_EXIT_PASS;
}

void
tool_findings_free(tool_findings *f)
{
	json_decref(f->list);
	f->list = NULL;
}
