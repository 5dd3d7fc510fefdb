/*
 * fuzz_ar.c - libFuzzer target for Authentication-Results (RFC 8601):
 * the parser (ar_parse.c) on the input as a field value, and the writer
 * (ar.c) with the input as a hostile reason, property value and
 * authserv-id: whatever goes in, the writer's output must parse back
 * with the same authserv-id and number of results, and hold no line end
 * other than a fold (CRLF TAB).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_ar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_writer(const char *s)
{
	au_ar_writer *w = NULL;
	au_ar *ar = NULL;
	char *v = NULL, *id = NULL, err[256];
	const char *p;

	if (au_ar_writer_new(&w, *s ? s : "x") != AU_OK)
		return;
	if (au_ar_add(w, "spf", "pass", s) != AU_OK ||
	    au_ar_add_prop(w, "smtp", "mailfrom", s) != AU_OK ||
	    au_ar_add(w, "dkim", "fail", s) != AU_OK ||
	    au_ar_add_prop(w, "header", "b", s) != AU_OK ||
	    au_ar_add_prop(w, "header", "d", "example.com") != AU_OK) {
		au_ar_writer_free(w);
		return;
	}
	if (au_ar_writer_finish(w, 0, &v) != AU_OK) {
		au_ar_writer_free(w);
		return;
	}
	au_ar_writer_free(w);
	for (p = v; *p; p++) {
		if (*p == '\r' && (p[1] != '\n' || p[2] != '\t'))
			abort();
		if (*p == '\n' && (p == v || p[-1] != '\r'))
			abort();
	}
	if (au_ar_parse(v, strlen(v), &ar, err, sizeof err) != AU_OK) {
		fprintf(stderr, "writer output does not parse: %s\n%s\n", err, v);
		abort();
	}
	if (ar->nresults != 2)
		abort();
	if (au_ar_authserv_id(v, strlen(v), &id) != AU_OK)
		abort();
	free(id);
	au_ar_free(ar);
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	au_ar *ar = NULL;
	char err[256], *id = NULL, *s;

	if (size > 3 * AU_AR_MAX_FIELD)
		return 0;
	if (au_ar_parse((const char *)data, size, &ar, err, sizeof err) == AU_OK)
		au_ar_free(ar);
	if (au_ar_authserv_id((const char *)data, size, &id) == AU_OK)
		free(id);
	(void)au_ar_is_ours((const char *)data, size, "mx.example.org");
	if (size <= 200 && (s = malloc(size + 1)) != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
		check_writer(s);
		free(s);
	}
	return 0;
}
