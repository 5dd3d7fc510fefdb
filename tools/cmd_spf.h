/*
 * cmd_spf.h - helpers shared by the authtool "spf" command files
 * (cmd_spf.c: check and the table; cmd_spf_lint.c: record and lint).
 */
#ifndef CMD_SPF_H
#define CMD_SPF_H

#include "au_spf.h"
#include "tool.h"

/* Exit code of an SPF result (shared/CONTRACT.md). */
int	 spf_exit_code(au_spf_result r);

/* The DNS handle, or NULL with *rc set after an error message. */
au_dns	*spf_dns(tool_ctx *ctx, int *rc);

/* A JSON string of len bytes, non-printable bytes written as \xHH. */
json_t	*spf_json_text(const char *s, size_t len);

/* "spf record" and "spf lint" (cmd_spf_lint.c). */
int	 spf_run_record(tool_ctx *ctx, int argc, char **argv);
int	 spf_run_lint(tool_ctx *ctx, int argc, char **argv);
extern const char spf_record_help[];
extern const char spf_lint_help[];
#endif
