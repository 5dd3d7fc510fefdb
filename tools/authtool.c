/*
 * authtool.c - entry point of authtool: global options, command dispatch,
 * `authtool help`.  Commands live in cmd_*.c, one file per group, each
 * exporting a table of tool_cmd entries (see tool.h).
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tool.h"

/* Command tables, in the order `authtool help` lists them. */
static const tool_cmd *const tables[] = {
	tool_cmds_spf,
	tool_cmds_dkim,
	tool_cmds_dmarc,
	tool_cmds_verify,
	/* (section: command tables) */
	NULL
};

static void
list_commands(FILE *fp)
{
	size_t t;
	const tool_cmd *c;
	char name[64];

	for (t = 0; tables[t]; t++)
		for (c = tables[t]; c->name; c++) {
			if (c->group)
				snprintf(name, sizeof name, "%s %s", c->group, c->name);
			else
				snprintf(name, sizeof name, "%s", c->name);
			fprintf(fp, "  %-14s %s\n", name, c->summary);
		}
}

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: authtool [GLOBAL OPTIONS] COMMAND [ARGS]\n"
"\n"
"Email authentication checks and record tools (SPF, DKIM, DMARC).\n"
"\n"
"Global options (accepted before or after the command):\n"
"  --dns-server ADDR[:PORT]  ask this resolver (repeatable; IPv6 as [::1]:5353)\n"
"                            default: the servers in /etc/resolv.conf\n"
"  --zone FILE               answer every DNS query from an RFC 1035 master\n"
"                            file, no network (repeatable)\n"
"  --json                    print one JSON object on stdout instead of text\n"
"  --timeout SECONDS         per-query DNS timeout (default 5)\n"
"  --version                 print the version and exit\n"
"\n"
"Commands:\n");
	list_commands(fp);
	fprintf(fp,
"\n"
"'authtool help COMMAND' or 'authtool COMMAND --help' explains one command.\n"
"Exit status: 0 pass/done, 1 negative verdict, 2 temperror, 3 permerror,\n"
"64 usage error, 65 malformed input.  See authtool(1).\n");
}

/* Find the command named by argv[0] (and argv[1] for grouped commands). */
static const tool_cmd *
find_cmd(int argc, char **argv, int *used)
{
	size_t t;
	const tool_cmd *c;

	for (t = 0; tables[t]; t++)
		for (c = tables[t]; c->name; c++) {
			if (c->group == NULL && strcmp(argv[0], c->name) == 0) {
				*used = 1;
				return c;
			}
			if (c->group && argc >= 2 && strcmp(argv[0], c->group) == 0 &&
			    strcmp(argv[1], c->name) == 0) {
				*used = 2;
				return c;
			}
		}
	return NULL;
}

/* `authtool help GROUP` and `authtool GROUP`: the group's commands. */
static void
list_group(const char *group)
{
	size_t t;
	const tool_cmd *c;

	printf("authtool %s commands:\n", group);
	for (t = 0; tables[t]; t++)
		for (c = tables[t]; c->name; c++)
			if (c->group && strcmp(c->group, group) == 0)
				printf("  %s %-8s %s\n", group, c->name, c->summary);
	printf("\n'authtool %s COMMAND --help' explains one command.\n", group);
}

static int
is_group(const char *s)
{
	size_t t;
	const tool_cmd *c;

	for (t = 0; tables[t]; t++)
		for (c = tables[t]; c->name; c++)
			if (c->group && strcmp(c->group, s) == 0)
				return 1;
	return 0;
}

/*
 * Take the global options out of argv wherever they stand (until "--"),
 * leaving the command and its own arguments.  Returns -1 on a usage error.
 */
static int
take_globals(tool_ctx *ctx, int *argcp, char **argv)
{
	int i, o = 0, argc = *argcp, rest = 0;
	const char *val;

	for (i = 0; i < argc; i++) {
		char *a = argv[i];
		const char *opt = NULL;
		size_t ol;

		if (rest || strcmp(a, "--") == 0) {
			rest = 1;
			argv[o++] = a;
			continue;
		}
		if (strcmp(a, "--json") == 0) {
			ctx->json = 1;
			continue;
		}
		if (strncmp(a, "--dns-server", ol = 12) == 0 ||
		    strncmp(a, "--zone", ol = 6) == 0 ||
		    strncmp(a, "--timeout", ol = 9) == 0) {
			if (a[ol] != '\0' && a[ol] != '=') {
				argv[o++] = a;
				continue;
			}
			opt = a;
		}
		if (opt == NULL) {
			argv[o++] = a;
			continue;
		}
		if (a[ol] == '=')
			val = a + ol + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			fprintf(stderr, "authtool: option %.*s needs a value (see 'authtool help')\n", (int)ol, a);
			return -1;
		}
		if (ol == 12) {
			if (ctx->nservers == TOOL_MAX_SERVERS) {
				fprintf(stderr, "authtool: at most %d --dns-server options\n", TOOL_MAX_SERVERS);
				return -1;
			}
			ctx->servers[ctx->nservers++] = val;
		} else if (ol == 6) {
			if (ctx->nzones == TOOL_MAX_ZONES) {
				fprintf(stderr, "authtool: at most %d --zone options\n", TOOL_MAX_ZONES);
				return -1;
			}
			ctx->zones[ctx->nzones++] = val;
		} else {
			char *end;
			double t = strtod(val, &end);

			if (*val == '\0' || *end != '\0' || !(t >= 0.01 && t <= 300)) {
				fprintf(stderr, "authtool: --timeout wants seconds from 0.01 to 300, not '%s'\n", val);
				return -1;
			}
			ctx->timeout = t;
		}
	}
	argv[o] = NULL;
	*argcp = o;
	return 0;
}

int
main(int argc, char **argv)
{
	tool_ctx ctx;
	const tool_cmd *cmd;
	int used = 0, rc, i;

	memset(&ctx, 0, sizeof ctx);
	ctx.timeout = 5;
	argc--;
	argv++;
	if (take_globals(&ctx, &argc, argv) < 0)
		return TOOL_EXIT_USAGE;
	if (argc == 0) {
		usage(stderr);
		return TOOL_EXIT_USAGE;
	}
	if (strcmp(argv[0], "--version") == 0 || strcmp(argv[0], "version") == 0) {
		printf("authtool (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return TOOL_EXIT_PASS;
	}
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		if (argc >= 2 && (cmd = find_cmd(argc - 1, argv + 1, &used)) != NULL)
			return tool_help(cmd);
		if (argc == 2 && is_group(argv[1])) {
			list_group(argv[1]);
			return TOOL_EXIT_PASS;
		}
		if (argc >= 2) {
			fprintf(stderr, "authtool: no command '%s' (see 'authtool help')\n", argv[1]);
			return TOOL_EXIT_USAGE;
		}
		usage(stdout);
		return TOOL_EXIT_PASS;
	}
	if ((cmd = find_cmd(argc, argv, &used)) == NULL) {
		if (is_group(argv[0]))
			fprintf(stderr, "authtool: '%s' needs a subcommand%s%s (see 'authtool help %s')\n",
			    argv[0], argc > 1 ? ", not " : "", argc > 1 ? argv[1] : "", argv[0]);
		else
			fprintf(stderr, "authtool: unknown command '%s' (see 'authtool help')\n", argv[0]);
		return TOOL_EXIT_USAGE;
	}
	for (i = used; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return tool_help(cmd);
		else if (strcmp(argv[i], "--") == 0)
			break;
	/* The command sees argv[0] = its own name, as getopt expects. */
	rc = cmd->run(&ctx, argc - used + 1, argv + used - 1);
	au_dns_free(ctx.dns);
	fflush(stdout);
	if (ferror(stdout)) {
		fprintf(stderr, "authtool: error writing standard output\n");
		return rc ? rc : TOOL_EXIT_DATAERR;
	}
	return rc;
}
