/*
 * cmd_dkim.h - shared between the files of the authtool "dkim" commands
 * (cmd_dkim.c, cmd_dkim_lint.c).
 */
#ifndef CMD_DKIM_H
#define CMD_DKIM_H

#include "au_dkim.h"
#include "tool.h"

/* A DNS name of letters, digits, '-', '_' with at least min_labels labels? */
int		 dkim_name_ok(const char *s, int min_labels);
/* Load a private key; an unsafe file mode is a warning.  NULL: *rc set. */
au_dkim_private_key *dkim_load_key(const char *cmd, const char *path, int *rc);

extern const char dkim_lint_help[];
int		 dkim_run_lint(tool_ctx *ctx, int argc, char **argv);

#endif
