/*
 * cmd_spf.h - what the authtool "spf" command files share (cmd_spf.c:
 * check and the table; cmd_spf_lint.c: record and lint).
 */
#ifndef CMD_SPF_H
#define CMD_SPF_H

#include "au_spf.h"
#include "tool.h"

/* "spf record" and "spf lint" (cmd_spf_lint.c). */
int	 spf_run_record(tool_ctx *ctx, int argc, char **argv);
int	 spf_run_lint(tool_ctx *ctx, int argc, char **argv);
extern const char spf_record_help[];
extern const char spf_lint_help[];
#endif
