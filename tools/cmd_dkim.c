/*
 * cmd_dkim.c - the authtool "dkim" commands:
 *   dkim keygen   make a key pair and the TXT record to publish (RFC 6376
 *                 3.6.1, 3.6.2; RFC 8463 4.2; RFC 8301 3.2 key sizes)
 *   dkim sign     add a DKIM-Signature to a message (RFC 6376 5)
 *   dkim verify   check every DKIM-Signature of a message (RFC 6376 6)
 *   dkim lint     in cmd_dkim_lint.c
 *
 * Messages are read with msgread: header fields go to libauth one by one,
 * the body in 64 KB chunks; sign spools the message to a temporary file so
 * it can print it after the signature without holding it in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "au_buf.h"
#include "au_dkim.h"
#include "cmd_dkim.h"
#include "msgread.h"
#include "tool.h"

/* A plain DNS name check for --domain and --selector (letters, digits, - _ .). */
int
dkim_name_ok(const char *s, int min_labels)
{
	size_t i, n = strlen(s), lab = 0;
	int labels = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';

		if (c == '.') {
			if (lab == 0 || lab > 63)
				return 0;
			labels++;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			lab++;
		else
			return 0;
	}
	return labels >= min_labels;
}

/* ------------------------------------------------------------ keygen */

/* Write a file atomically (temp + rename), mode as given; refuse to replace unless force. */
static int
write_file(const char *cmd, const char *path, const char *data, mode_t mode, int force)
{
	char tmp[4200];
	int fd;
	size_t len = strlen(data), off = 0;
	ssize_t n;

	if (!force && access(path, F_OK) == 0) {
		tool_err(cmd, "%s exists; use --force to replace it", path);
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= sizeof tmp) {
		tool_err(cmd, "path too long: %s", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		tool_err(cmd, "cannot create a file next to %s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (!force && access(path, F_OK) == 0) {
		unlink(tmp);
		tool_err(cmd, "%s exists; use --force to replace it", path);
		return -1;
	}
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	tool_err(cmd, "writing %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* The master-file line: NAME. IN TXT ( "..." "..." ) with strings of <= 255 octets. */
static char *
zone_line(const char *name, const char *rec)
{
	au_buf b = AU_BUF_INIT(0);
	size_t n = strlen(rec), i;
	char *out = NULL;

	au_buf_printf(&b, "%s. IN TXT (", name);
	for (i = 0; i < n; i += 250)
		au_buf_printf(&b, " \"%.*s\"", (int)(n - i < 250 ? n - i : 250), rec + i);
	au_buf_puts(&b, " )\n");
	if (au_buf_detach(&b, &out) != AU_OK)
		return NULL;
	return out;
}

static int
run_keygen(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "domain",	required_argument, NULL, 'd' },
		{ "selector",	required_argument, NULL, 's' },
		{ "algorithm",	required_argument, NULL, 'a' },
		{ "bits",	required_argument, NULL, 'b' },
		{ "outdir",	required_argument, NULL, 'o' },
		{ "force",	no_argument,	   NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = tool_find_cmd(tool_cmds_dkim, "keygen");
	const char *domain = NULL, *selector = NULL, *alg = "rsa", *outdir = ".", *bits_s = NULL;
	int o, force = 0, rc = TOOL_EXIT_NEGATIVE;
	unsigned long bits = 2048;
	char *end, err[300], priv[4096], txt[4096], name[600];
	char *pem = NULL, *rec = NULL, *line = NULL;
	au_dkim_private_key *k = NULL;
	au_dkim_alg a;
	struct stat sb;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case 'd':
			domain = optarg;
			break;
		case 's':
			selector = optarg;
			break;
		case 'a':
			alg = optarg;
			break;
		case 'b':
			bits_s = optarg;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'f':
			force = 1;
			break;
		default:
			return tool_opt_error(cmd, o, argv);
		}
	}
	if (optind < argc)
		return tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (domain == NULL || selector == NULL)
		return tool_usage(cmd, "--domain and --selector are required");
	if (!dkim_name_ok(domain, 2))
		return tool_usage(cmd, "'%s' is not a domain name", domain);
	if (!dkim_name_ok(selector, 1))
		return tool_usage(cmd, "'%s' is not a valid selector (letters, digits, '-', '_', '.')",
		    selector);
	if (strcmp(alg, "rsa") == 0)
		a = AU_DKIM_RSA_SHA256;
	else if (strcmp(alg, "ed25519") == 0)
		a = AU_DKIM_ED25519_SHA256;
	else
		return tool_usage(cmd, "--algorithm is rsa or ed25519, not '%s'", alg);
	if (bits_s) {
		if (a != AU_DKIM_RSA_SHA256)
			return tool_usage(cmd, "--bits is for RSA keys only");
		bits = strtoul(bits_s, &end, 10);
		if (*bits_s == '\0' || *end != '\0' || bits < 1024 || bits > 4096)
			return tool_usage(cmd, "--bits wants 1024 to 4096, not '%s'", bits_s);
	}
	if (stat(outdir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		tool_err("dkim keygen", "--outdir %s is not a directory", outdir);
		return TOOL_EXIT_NEGATIVE;
	}
	snprintf(priv, sizeof priv, "%s/%s.private", outdir, selector);
	snprintf(txt, sizeof txt, "%s/%s.txt", outdir, selector);
	if (!force && (access(priv, F_OK) == 0 || access(txt, F_OK) == 0)) {
		tool_err("dkim keygen", "%s exists; use --force to replace it",
		    access(priv, F_OK) == 0 ? priv : txt);
		return TOOL_EXIT_NEGATIVE;
	}
	if (au_dkim_key_generate(&k, a, (unsigned)bits, err, sizeof err) != AU_OK) {
		tool_err("dkim keygen", "%s", err);
		return TOOL_EXIT_NEGATIVE;
	}
	snprintf(name, sizeof name, "%s._domainkey.%s", selector, domain);
	if (au_dkim_key_pem(k, &pem) != AU_OK || au_dkim_key_record(k, &rec) != AU_OK ||
	    (line = zone_line(name, rec)) == NULL) {
		tool_err("dkim keygen", "cannot encode the key");
		goto done;
	}
	if (write_file("dkim keygen", priv, pem, 0600, force) < 0 ||
	    write_file("dkim keygen", txt, line, 0644, force) < 0)
		goto done;
	if (ctx->json) {
		json_t *j = json_object();

		json_object_set_new(j, "private_key", json_string(priv));
		json_object_set_new(j, "record_file", json_string(txt));
		json_object_set_new(j, "name", json_string(name));
		json_object_set_new(j, "record", json_string(rec));
		json_object_set_new(j, "algorithm", json_string(alg));
		json_object_set_new(j, "bits", json_integer(au_dkim_key_bits(k)));
		tool_json_print(j);
	} else {
		printf("wrote %s (%s, %u bits, mode 0600) and %s\n", priv,
		    a == AU_DKIM_RSA_SHA256 ? "RSA" : "Ed25519", au_dkim_key_bits(k), txt);
		printf("publish: %s", line);
	}
	rc = TOOL_EXIT_PASS;
done:
	if (pem) {
		memset(pem, 0, strlen(pem));
		free(pem);
	}
	free(rec);
	free(line);
	au_dkim_key_free(k);
	return rc;
}

/* ------------------------------------------------------------ sign */

typedef struct sign_state {
	au_dkim_signer	*s;
	FILE		*spool;
	int		 failed;
} sign_state;

static int
sign_header(void *arg, const char *raw, size_t len, size_t rawlen)
{
	sign_state *st = arg;

	if (fwrite(raw, 1, rawlen, st->spool) != rawlen)
		return st->failed = 1;
	if (au_dkim_signer_header(st->s, raw, len) != AU_OK)
		return st->failed = 2;
	return 0;
}

static int
sign_eoh(void *arg, const char *sep, size_t seplen)
{
	sign_state *st = arg;

	if (seplen && fwrite(sep, 1, seplen, st->spool) != seplen)
		return st->failed = 1;
	if (au_dkim_signer_eoh(st->s) != AU_OK)
		return st->failed = 2;
	return 0;
}

static int
sign_body(void *arg, const char *chunk, size_t len)
{
	sign_state *st = arg;

	if (fwrite(chunk, 1, len, st->spool) != len)
		return st->failed = 1;
	if (au_dkim_signer_body(st->s, chunk, len) != AU_OK)
		return st->failed = 2;
	return 0;
}

/* Load a signing key for the CLI: an unsafe mode is a warning here. */
au_dkim_private_key *
dkim_load_key(const char *cmd, const char *path, int *rc)
{
	au_dkim_private_key *k = NULL;
	char err[600];
	au_status st;

	st = au_dkim_key_load(&k, path, 1, err, sizeof err);
	if (st == AU_EPERM) {
		fprintf(stderr, "authtool: %s: warning: %s\n", cmd, err);
		st = au_dkim_key_load(&k, path, 0, err, sizeof err);
	}
	if (st != AU_OK) {
		tool_err(cmd, "%s", err);
		*rc = TOOL_EXIT_DATAERR;
		return NULL;
	}
	return k;
}

static int
run_sign(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "domain",	required_argument, NULL, 'd' },
		{ "selector",	required_argument, NULL, 's' },
		{ "key",	required_argument, NULL, 'k' },
		{ "canon",	required_argument, NULL, 'c' },
		{ "headers",	required_argument, NULL, 'h' },
		{ "oversign",	required_argument, NULL, 'O' },
		{ "identity",	required_argument, NULL, 'i' },
		{ "expire",	required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = tool_find_cmd(tool_cmds_dkim, "sign");
	au_dkim_sign_opts so;
	const char *keyfile = NULL, *canon = "relaxed/relaxed";
	char err[400], *field = NULL, *end, buf[65536], *slash;
	int o, rc = TOOL_EXIT_DATAERR;
	au_dkim_private_key *k = NULL;
	sign_state st;
	msgread_info info;
	msgread_status ms;
	size_t n, i;

	memset(&so, 0, sizeof so);
	memset(&st, 0, sizeof st);
	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case 'd':
			so.domain = optarg;
			break;
		case 's':
			so.selector = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'c':
			canon = optarg;
			break;
		case 'h':
			so.headers = optarg;
			break;
		case 'O':
			so.oversign = optarg;
			break;
		case 'i':
			so.identity = optarg;
			break;
		case 'x':
			so.expire_after = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || so.expire_after == 0 ||
			    so.expire_after > 100UL * 365 * 86400)
				return tool_usage(cmd, "--expire wants seconds, not '%s'", optarg);
			break;
		default:
			return tool_opt_error(cmd, o, argv);
		}
	}
	if (optind < argc)
		return tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (so.domain == NULL || so.selector == NULL || keyfile == NULL)
		return tool_usage(cmd, "--domain, --selector and --key are required");
	{
		char c1[16], c2[16];

		slash = strchr(canon, '/');
		if (strlen(canon) >= 20)
			return tool_usage(cmd, "--canon wants HEADER/BODY, each simple or relaxed");
		snprintf(c1, sizeof c1, "%.*s", (int)(slash ? (size_t)(slash - canon) : strlen(canon)),
		    canon);
		snprintf(c2, sizeof c2, "%s", slash ? slash + 1 : "simple");
		for (i = 0; i < 2; i++) {
			const char *c = i ? c2 : c1;
			au_dkim_canon *dst = i ? &so.body_canon : &so.header_canon;

			if (strcmp(c, "simple") == 0)
				*dst = AU_DKIM_CANON_SIMPLE;
			else if (strcmp(c, "relaxed") == 0)
				*dst = AU_DKIM_CANON_RELAXED;
			else
				return tool_usage(cmd, "--canon wants HEADER/BODY, each simple or "
				    "relaxed, not '%s'", canon);
		}
	}
	if ((k = dkim_load_key("dkim sign", keyfile, &rc)) == NULL)
		return rc;
	if (au_dkim_signer_new(&st.s, k, &so, err, sizeof err) != AU_OK) {
		tool_err("dkim sign", "%s", err);
		au_dkim_key_free(k);
		return TOOL_EXIT_USAGE;
	}
	if ((st.spool = tmpfile()) == NULL) {
		tool_err("dkim sign", "cannot make a temporary file: %s", strerror(errno));
		rc = TOOL_EXIT_DATAERR;
		goto done;
	}
	ms = tool_read_message("dkim sign", &(msgread_ops){ sign_header, sign_eoh, sign_body },
	    &st, &info, &rc);
	if (ms == MSGREAD_ABORT) {
		if (st.failed == 1)
			tool_err("dkim sign", "writing the temporary file: %s", strerror(errno));
		else
			tool_err("dkim sign", "%s", au_dkim_signer_error(st.s));
		goto done;
	}
	if (ms != MSGREAD_OK)
		goto done;
	if (au_dkim_signer_eom(st.s, &field) != AU_OK) {
		tool_err("dkim sign", "%s", au_dkim_signer_error(st.s));
		goto done;
	}
	/* The signature in the message's own line-end style, then the message. */
	for (i = 0; field[i]; i++) {
		if (field[i] == '\r' && field[i + 1] == '\n' && !info.crlf)
			continue;
		putchar(field[i]);
	}
	fputs(info.crlf ? "\r\n" : "\n", stdout);
	rewind(st.spool);
	while ((n = fread(buf, 1, sizeof buf, st.spool)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			break;
	if (ferror(st.spool)) {
		tool_err("dkim sign", "reading the temporary file: %s", strerror(errno));
		goto done;
	}
	rc = TOOL_EXIT_PASS;
done:
	free(field);
	if (st.spool)
		fclose(st.spool);
	au_dkim_signer_free(st.s);
	au_dkim_key_free(k);
	return rc;
}

/* ------------------------------------------------------------ verify */

static int
ver_header(void *arg, const char *raw, size_t len, size_t rawlen)
{
	au_status st = au_dkim_verifier_header(arg, raw, len);

	return st != AU_OK && st != AU_ESYNTAX;
}

static int
ver_eoh(void *arg, const char *sep, size_t seplen)
{
	return au_dkim_verifier_eoh(arg) != AU_OK;
}

static int
ver_body(void *arg, const char *chunk, size_t len)
{
	return au_dkim_verifier_body(arg, chunk, len) != AU_OK;
}

static const char *
alg_str(au_dkim_alg a)
{
	return a == AU_DKIM_ED25519_SHA256 ? "ed25519-sha256" :
	    a == AU_DKIM_RSA_SHA1 ? "rsa-sha1" : "rsa-sha256";
}

/* Printable form of a (possibly hostile) name for one text line. */
static void
print_name(const char *s)
{
	if (s == NULL || *s == '\0') {
		putchar('-');
		return;
	}
	for (; *s; s++)
		putchar((unsigned char)*s > 32 && (unsigned char)*s < 127 ? *s : '?');
}

static int
run_verify(tool_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-signatures",	required_argument, NULL, 'm' },
		{ "fail-partial-body",	no_argument,	   NULL, 'p' },
		{ "clock-skew",		required_argument, NULL, 'k' },
		{ "now",		required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const tool_cmd *cmd = tool_find_cmd(tool_cmds_dkim, "verify");
	au_dkim_verify_opts vo;
	au_dkim_verifier *v = NULL;
	au_dns *dns;
	char *end;
	int o, rc, anypass = 0, alltemp = 1;
	unsigned long val;
	msgread_status ms;
	size_t i, n;

	memset(&vo, 0, sizeof vo);
	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case 'm':
		case 'k':
		case 'n':
			val = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || (o == 'm' && (val < 1 || val > 64)) ||
			    (o == 'k' && val > 86400) || (o == 'n' && val == 0))
				return tool_usage(cmd, "bad value '%s' for %s", optarg,
				    argv[optind - 1]);
			if (o == 'm')
				vo.max_signatures = (unsigned)val;
			else if (o == 'k')
				vo.clock_skew = val ? (unsigned)val : 1;
			else
				vo.now = (time_t)val;
			break;
		case 'p':
			vo.fail_partial_body = 1;
			break;
		default:
			return tool_opt_error(cmd, o, argv);
		}
	}
	if (optind < argc)
		return tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if ((dns = tool_dns(ctx)) == NULL)
		return tool_dns_failed(ctx);
	if (au_dkim_verifier_new(&v, dns, &vo) != AU_OK) {
		tool_err("dkim verify", "out of memory");
		return TOOL_EXIT_TEMPERROR;
	}
	ms = tool_read_message("dkim verify", &(msgread_ops){ ver_header, ver_eoh, ver_body },
	    v, NULL, &rc);
	if (ms == MSGREAD_ABORT) {
		tool_err("dkim verify", "out of memory");
		au_dkim_verifier_free(v);
		return TOOL_EXIT_TEMPERROR;
	}
	if (ms != MSGREAD_OK) {
		au_dkim_verifier_free(v);
		return rc;
	}
	if (au_dkim_verifier_eom(v) != AU_OK) {
		tool_err("dkim verify", "verification failed (crypto library error)");
		au_dkim_verifier_free(v);
		return TOOL_EXIT_TEMPERROR;
	}
	n = au_dkim_verifier_count(v);
	if (ctx->json) {
		json_t *j = json_object(), *a = json_array();

		for (i = 0; i < n; i++) {
			const au_dkim_sig_result *r = au_dkim_verifier_result(v, i);
			json_t *s = json_object();

			json_object_set_new(s, "result", json_string(au_dkim_result_str(r->result)));
			json_object_set_new(s, "domain", tool_json_str(r->domain));
			json_object_set_new(s, "selector", tool_json_str(r->selector));
			json_object_set_new(s, "identity", tool_json_str(r->identity));
			json_object_set_new(s, "algorithm", json_string(alg_str(r->alg)));
			json_object_set_new(s, "b", tool_json_str(r->b_prefix));
			json_object_set_new(s, "testing", json_boolean(r->testing));
			json_object_set_new(s, "body_length_partial",
			    json_boolean(r->body_length_partial));
			json_object_set_new(s, "reason", tool_json_str(r->reason));
			json_array_append_new(a, s);
		}
		json_object_set_new(j, "signatures", a);
		if (au_dkim_verifier_ignored(v) > 0)
			json_object_set_new(j, "ignored",
			    json_integer((json_int_t)au_dkim_verifier_ignored(v)));
		tool_json_print(j);
	} else if (n == 0)
		puts("none");
	for (i = 0; i < n; i++) {
		const au_dkim_sig_result *r = au_dkim_verifier_result(v, i);

		if (r->result == AU_DKIM_PASS)
			anypass = 1;
		if (r->result != AU_DKIM_TEMPERROR)
			alltemp = 0;
		if (ctx->json)
			continue;
		printf("%s d=", au_dkim_result_str(r->result));
		print_name(r->domain);
		printf(" s=");
		print_name(r->selector);
		printf(" %s%s\n", r->reason, r->testing ? " (key in testing mode, t=y)" : "");
	}
	if (au_dkim_verifier_ignored(v) > 0)
		fprintf(stderr, "authtool: dkim verify: %zu more DKIM-Signature fields not checked "
		    "(limit %u; see --max-signatures)\n", au_dkim_verifier_ignored(v),
		    vo.max_signatures ? vo.max_signatures : 10);
	if (anypass)
		rc = TOOL_EXIT_PASS;
	else if (n > 0 && alltemp)
		rc = TOOL_EXIT_TEMPERROR;
	else
		rc = TOOL_EXIT_NEGATIVE;
	au_dkim_verifier_free(v);
	return rc;
}

/* ------------------------------------------------------------ table */

static const char keygen_help[] =
"Makes a DKIM key pair and the DNS record that publishes its public key.\n"
"\n"
"Options:\n"
"  --domain D        the signing domain (d=), e.g. example.com\n"
"  --selector S      the selector (s=), e.g. mail2024\n"
"  --algorithm A     rsa (default; signs rsa-sha256) or ed25519 (ed25519-sha256,\n"
"                    RFC 8463: publish an RSA key too, not every verifier has it)\n"
"  --bits N          RSA modulus size, 1024 to 4096 (default 2048; RFC 8301 asks\n"
"                    for at least 1024 and recommends 2048)\n"
"  --outdir DIR      where to write the files (default: the current directory)\n"
"  --force           replace existing files (default: refuse)\n"
"\n"
"Writes DIR/S.private, the private key as PKCS#8 PEM, mode 0600, and\n"
"DIR/S.txt, one master-file line to add to the zone of D:\n"
"  S._domainkey.D. IN TXT ( \"v=DKIM1; k=rsa; p=...\" \"...\" )\n"
"with the record split into strings of at most 255 octets.  Prints what it\n"
"wrote; with --json: {\"private_key\", \"record_file\", \"name\", \"record\",\n"
"\"algorithm\", \"bits\"}.\n"
"\n"
"Exit status: 0 done; 1 a file exists (without --force) or cannot be\n"
"written; 64 usage error.\n"
"\n"
"Examples:\n"
"  authtool dkim keygen --domain example.com --selector mail2024 --outdir /etc/dkim\n"
"  authtool dkim keygen --domain example.com --selector ed2024 --algorithm ed25519\n";

static const char sign_help[] =
"Reads a message on standard input and writes it to standard output with a\n"
"DKIM-Signature field (RFC 6376) added at the top; nothing else changes.\n"
"The added field uses the message's line ends (CRLF if its first line ends\n"
"with CRLF, else LF).\n"
"\n"
"Options:\n"
"  --domain D          the signing domain (d=)\n"
"  --selector S        the selector (s=): the key is published at S._domainkey.D\n"
"  --key FILE          the private key: PEM (PKCS#1 or PKCS#8 RSA, PKCS#8\n"
"                      Ed25519), DER, or the base64 raw Ed25519 seed written by\n"
"                      dkimpy's dknewkey.  The key decides the algorithm: RSA\n"
"                      signs rsa-sha256 (1024 to 4096 bits), Ed25519 signs\n"
"                      ed25519-sha256.  A key file that group or others can\n"
"                      read or write gets a warning\n"
"  --canon H/B         header/body canonicalization, each simple or relaxed\n"
"                      (default relaxed/relaxed; \"relaxed\" means relaxed/simple)\n"
"  --headers h1:h2:... the h= list, used as given: a name listed twice signs\n"
"                      two instances, or over-signs.  From is always included.\n"
"                      Default: the fields of the RFC 6376 5.4.1 set present\n"
"                      (from reply-to subject date to cc message-id in-reply-to\n"
"                      references mime-version content-type\n"
"                      content-transfer-encoding sender resent-* list-*), with\n"
"                      from to cc subject date reply-to sender message-id\n"
"                      in-reply-to references mime-version content-type and\n"
"                      content-transfer-encoding listed once more than present\n"
"                      (over-signed: adding one later breaks the signature)\n"
"  --oversign h1:h2:...  names to list once more than present (with --headers:\n"
"                      in addition to the list; default none)\n"
"  --identity I        the i= tag (AUID), e.g. user@example.com; its domain must\n"
"                      be D or below it\n"
"  --expire SECONDS    add x= that many seconds after t= (default: no x=)\n"
"\n"
"t= is always set; l= is never set.\n"
"\n"
"Exit status: 0 signed; 64 usage error; 65 not a message, or the key file\n"
"is unreadable or not a key.\n"
"\n"
"Examples:\n"
"  authtool dkim sign --domain example.com --selector mail2024 \\\n"
"      --key /etc/dkim/mail2024.private < msg.eml > signed.eml\n"
"  authtool dkim sign --domain example.com --selector s --key s.private \\\n"
"      --canon simple/simple --headers from:to:subject:date < msg.eml\n";

static const char verify_help[] =
"Reads a message on standard input and checks its DKIM-Signature fields\n"
"(RFC 6376 section 6, RFC 8301, RFC 8463), fetching keys from DNS (see the\n"
"global options --zone and --dns-server).\n"
"\n"
"Options:\n"
"  --max-signatures N    check at most N signatures, 1 to 64 (default 10);\n"
"                        further ones are not looked at (a note goes to stderr)\n"
"  --fail-partial-body   a signature with l= that leaves part of the body\n"
"                        unsigned fails (default: it passes, and says so)\n"
"  --clock-skew SECONDS  how far t= may be in the future (default 300)\n"
"  --now SECONDS         verify as if the time were this (Unix time)\n"
"\n"
"Output: one line per signature, in header order:\n"
"  RESULT d=DOMAIN s=SELECTOR REASON\n"
"RESULT is pass, fail (body hash mismatch, signature did not verify),\n"
"permerror (malformed or unacceptable signature or key record, no key,\n"
"revoked key, rsa-sha1, RSA key under 1024 bits, expired, t= in the future)\n"
"or temperror (the key could not be fetched now).  A message without\n"
"signatures prints \"none\".  With --json: {\"signatures\": [{\"result\",\n"
"\"domain\", \"selector\", \"identity\", \"algorithm\", \"b\", \"testing\",\n"
"\"body_length_partial\", \"reason\"}, ...]}, plus \"ignored\": N when\n"
"signatures were left unchecked.\n"
"\n"
"Exit status: 0 a signature passed; 1 no signature passed (or none);\n"
"2 every signature was a temperror (DNS trouble, try again); 65 not a\n"
"message.\n"
"\n"
"Examples:\n"
"  authtool dkim verify < msg.eml\n"
"  authtool --zone keys.zone --json dkim verify < signed.eml\n";

const tool_cmd tool_cmds_dkim[] = {
	{ "dkim", "keygen",
	  "--domain D --selector S [--algorithm rsa|ed25519] [--bits N] [--outdir DIR] [--force]",
	  "make a DKIM key pair and the TXT record to publish",
	  keygen_help, run_keygen },
	{ "dkim", "sign",
	  "--domain D --selector S --key FILE [--canon C/C] [--headers h1:h2:...] < MESSAGE",
	  "add a DKIM-Signature to a message (RFC 6376)",
	  sign_help, run_sign },
	{ "dkim", "verify", "[--max-signatures N] [--fail-partial-body] < MESSAGE",
	  "check the DKIM signatures of a message",
	  verify_help, run_verify },
	{ "dkim", "lint", "--domain D --selector S [--key FILE]",
	  "check a published DKIM key record (and that it matches a private key)",
	  dkim_lint_help, dkim_run_lint },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};
