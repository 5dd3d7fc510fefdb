/*
 * tables.c - OpenDKIM-style data sets: host lists with CIDR blocks and
 * exclusions, the KeyTable, the SigningTable (plain lookups in OpenDKIM's
 * order, or "refile:" wildcard patterns in file order), plain string lists
 * (see tables.h and opendkim.conf(5) for the formats).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "log.h"
#include "tables.h"

/* ------------------------------------------------------------- problems */

void
am_problem(am_problems *p, int is_error, const char *where, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (is_error)
		p->nerr++;
	else
		p->nwarn++;
	if (p->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->to_log)
		am_log(is_error ? LOG_ERR : LOG_WARNING, "%s%s%s", where ? where : "",
		    where ? ": " : "", msg);
	else
		fprintf(stderr, "authmilter: %s%s%s: %s\n", where ? where : "",
		    where ? ": " : "", is_error ? "error" : "warning", msg);
}

/* ------------------------------------------------------------ data sets */

typedef int (*entry_fn)(void *arg, char *entry, const char *where,
    am_problems *pr);

enum { DS_CSL, DS_FILE, DS_REFILE };

/* Which kind of data set spec names, and where its text starts. */
static int
dataset_kind(const char *spec, const char **rest)
{
	if (strncasecmp(spec, "file:", 5) == 0) {
		*rest = spec + 5;
		return DS_FILE;
	}
	if (strncasecmp(spec, "refile:", 7) == 0) {
		*rest = spec + 7;
		return DS_REFILE;
	}
	if (strncasecmp(spec, "csl:", 4) == 0) {
		*rest = spec + 4;
		return DS_CSL;
	}
	*rest = spec;
	if (spec[0] == '/' || strncmp(spec, "./", 2) == 0 ||
	    strncmp(spec, "../", 3) == 0)
		return DS_FILE;
	return DS_CSL;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Call fn for every entry of a data set: each non-empty line of a file
 * (comments from '#' removed, blanks trimmed), or each item of an inline
 * comma-separated list.  Returns -1 on ENOMEM from fn, else 0 (problems
 * are reported and counted).
 */
static int
dataset_each(const char *spec, const char *what, am_problems *pr,
    entry_fn fn, void *arg)
{
	char line[AM_MAX_LINE + 2], where[1200], *s, *item, *save;
	const char *text;
	size_t count = 0;
	unsigned long lineno = 0;
	int kind, toolong = 0;
	FILE *fp;

	kind = dataset_kind(spec, &text);
	if (kind == DS_CSL) {
		char *copy = strdup(text);

		if (copy == NULL)
			return -1;
		for (item = strtok_r(copy, ",", &save); item != NULL;
		    item = strtok_r(NULL, ",", &save)) {
			item = trim(item);
			if (*item == '\0')
				continue;
			if (++count > AM_MAX_ENTRIES) {
				am_problem(pr, 1, what, "more than %d entries",
				    AM_MAX_ENTRIES);
				break;
			}
			if (fn(arg, item, what, pr) < 0) {
				free(copy);
				return -1;
			}
		}
		free(copy);
		return 0;
	}
	if ((fp = fopen(text, "r")) == NULL) {
		am_problem(pr, 1, what, "cannot open %s: %s", text,
		    strerror(errno));
		return 0;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);

		if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
			/* longer than AM_MAX_LINE: skip the rest of it */
			if (!toolong) {
				lineno++;
				snprintf(where, sizeof(where), "%s:%lu", text, lineno);
				am_problem(pr, 1, where, "line longer than %d bytes",
				    AM_MAX_LINE);
			}
			toolong = 1;
			continue;
		}
		if (toolong) {
			toolong = 0;
			continue;
		}
		lineno++;
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		s = trim(line);
		if (*s == '\0')
			continue;
		snprintf(where, sizeof(where), "%s:%lu", text, lineno);
		if (++count > AM_MAX_ENTRIES) {
			am_problem(pr, 1, where, "more than %d entries",
			    AM_MAX_ENTRIES);
			break;
		}
		if (fn(arg, s, where, pr) < 0) {
			fclose(fp);
			return -1;
		}
	}
	if (ferror(fp))
		am_problem(pr, 1, what, "error reading %s", text);
	fclose(fp);
	return 0;
}

/* Split "key<blanks>value"; returns the value (or NULL if none). */
static char *
split_kv(char *s)
{
	char *v = s + strcspn(s, " \t");

	if (*v == '\0')
		return NULL;
	*v++ = '\0';
	v = trim(v);
	return *v ? v : NULL;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* A plausible domain name, selector or host name: LDH labels, '_' allowed. */
static int
name_ok(const char *s)
{
	size_t label = 0, total = 0;

	if (*s == '\0')
		return 0;
	for (; *s; s++, total++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return total <= 253;
}

/* ---------------------------------------------------------------- hosts */

enum { HE_IP, HE_NAME, HE_SUFFIX };

typedef struct hostent_ {
	int		 neg;
	int		 kind;
	au_ip		 ip;
	unsigned	 prefix;
	char		*name;	/* HE_NAME: "host.example"; HE_SUFFIX: ".example" */
} hostent_;

struct am_hostlist {
	hostent_	*v;
	size_t		 n, cap;
};

static int
host_entry(void *arg, char *s, const char *where, am_problems *pr)
{
	am_hostlist *h = arg;
	hostent_ e;
	char *slash, *end;
	unsigned long prefix;
	size_t len;

	memset(&e, 0, sizeof(e));
	if (*s == '!') {
		e.neg = 1;
		s = trim(s + 1);
	}
	slash = strchr(s, '/');
	if (slash != NULL)
		*slash = '\0';
	len = strlen(s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s[len - 1] = '\0';
		s++;
	}
	if (au_ip_parse_str(s, &e.ip) == AU_OK) {
		au_ip_unmap(&e.ip);
		e.kind = HE_IP;
		e.prefix = e.ip.family == AU_IP_V4 ? 32 : 128;
		if (slash != NULL) {
			errno = 0;
			prefix = strtoul(slash + 1, &end, 10);
			if (slash[1] == '\0' || *end != '\0' || errno ||
			    prefix > e.prefix) {
				am_problem(pr, 1, where,
				    "'%s/%s': bad prefix length (0-%u)", s,
				    slash + 1, e.prefix);
				return 0;
			}
			e.prefix = (unsigned)prefix;
		}
	} else {
		if (slash != NULL) {
			am_problem(pr, 1, where, "'%s/%s' is not an address/prefix",
			    s, slash + 1);
			return 0;
		}
		if (strncmp(s, "*.", 2) == 0)
			s++;
		e.kind = *s == '.' ? HE_SUFFIX : HE_NAME;
		if (!name_ok(e.kind == HE_SUFFIX ? s + 1 : s)) {
			am_problem(pr, 1, where,
			    "'%s' is neither an address, a CIDR block nor a host name",
			    s);
			return 0;
		}
		if ((e.name = strdup(s)) == NULL)
			return -1;
		lower(e.name);
	}
	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 8;
		hostent_ *nv = realloc(h->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			free(e.name);
			return -1;
		}
		h->v = nv;
		h->cap = ncap;
	}
	h->v[h->n++] = e;
	return 0;
}

am_hostlist *
am_hostlist_parse(const char *spec, const char *what, am_problems *pr)
{
	am_hostlist *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	if (spec != NULL && dataset_each(spec, what, pr, host_entry, h) < 0)
		return am_hostlist_free(h);
	return h;
}

/* Match names: the exact name, then ".suffix" from most to least precise. */
static int
match_name(const am_hostlist *h, const char *host)
{
	const char *p;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->v[i].kind == HE_NAME && strcasecmp(h->v[i].name, host) == 0)
			return h->v[i].neg ? 0 : 1;
	for (p = strchr(host, '.'); p != NULL; p = strchr(p + 1, '.'))
		for (i = 0; i < h->n; i++)
			if (h->v[i].kind == HE_SUFFIX &&
			    strcasecmp(h->v[i].name, p) == 0)
				return h->v[i].neg ? 0 : 1;
	return -1;
}

int
am_hostlist_match(const am_hostlist *h, const au_ip *ip, const char *hostname)
{
	const hostent_ *best = NULL;
	au_ip a;
	size_t i;
	int r;

	if (h == NULL)
		return 0;
	if (hostname != NULL && *hostname != '\0' && *hostname != '[' &&
	    strcasecmp(hostname, "unknown") != 0 &&
	    (r = match_name(h, hostname)) >= 0)
		return r;
	if (ip == NULL)
		return 0;
	a = *ip;
	au_ip_unmap(&a);
	for (i = 0; i < h->n; i++) {
		const hostent_ *e = &h->v[i];

		if (e->kind != HE_IP || !au_ip_in_net(&a, &e->ip, e->prefix))
			continue;
		if (best == NULL || e->prefix > best->prefix ||
		    (e->prefix == best->prefix && e->neg))
			best = e;
	}
	return best != NULL && !best->neg;
}

size_t
am_hostlist_count(const am_hostlist *h)
{
	return h ? h->n : 0;
}

am_hostlist *
am_hostlist_free(am_hostlist *h)
{
	size_t i;

	if (h == NULL)
		return NULL;
	for (i = 0; i < h->n; i++)
		free(h->v[i].name);
	free(h->v);
	free(h);
	return NULL;
}

/* ------------------------------------------------------------ key table */

struct kt_ctx {
	am_keytable	*kt;
	int		 require_safe;
	char		*dir;		/* directory of the KeyTable file, or NULL */
	const char	*tablefile;
	int		 inline_warned;
};

static int
kt_grow(am_keytable *kt)
{
	am_key *nk;

	if (kt->n % 16 != 0)
		return 0;
	if ((nk = realloc(kt->keys, (kt->n + 16) * sizeof(*nk))) == NULL)
		return -1;
	kt->keys = nk;
	return 0;
}

/* Load the key of k from its file or from inline data. */
static void
key_load(am_key *k, const char *data, int require_safe, am_problems *pr)
{
	char err[256];
	au_status st;

	err[0] = '\0';
	if (k->path != NULL)
		st = au_dkim_key_load(&k->key, k->path, require_safe, err,
		    sizeof(err));
	else
		st = au_dkim_key_load_mem(&k->key, data, strlen(data), err,
		    sizeof(err));
	if (st != AU_OK) {
		k->key = NULL;
		if (st == AU_EPERM)
			am_problem(pr, 1, k->where,
			    "key %s: %s (chmod 600 it, or set RequireSafeKeys no)",
			    k->path ? k->path : "(inline)",
			    err[0] ? err : au_strerror(st));
		else
			am_problem(pr, 1, k->where, "key %s: %s",
			    k->path ? k->path : "(inline)",
			    err[0] ? err : au_strerror(st));
	}
}

static int
kt_entry(void *arg, char *s, const char *where, am_problems *pr)
{
	struct kt_ctx *c = arg;
	am_key *k;
	char *val, *dom, *sel, *data;

	if ((val = split_kv(s)) == NULL) {
		am_problem(pr, 1, where,
		    "'%s': expected \"keyname domain:selector:keyfile\"", s);
		return 0;
	}
	dom = val;
	if ((sel = strchr(dom, ':')) == NULL ||
	    (data = strchr(sel + 1, ':')) == NULL) {
		am_problem(pr, 1, where,
		    "'%s': the value must be domain:selector:keyfile", val);
		return 0;
	}
	*sel++ = '\0';
	*data++ = '\0';
	dom = trim(dom);
	sel = trim(sel);
	data = trim(data);
	if (strcmp(dom, "%") != 0 && !name_ok(dom)) {
		am_problem(pr, 1, where, "'%s' is not a domain name", dom);
		return 0;
	}
	if (!name_ok(sel)) {
		am_problem(pr, 1, where, "'%s' is not a selector", sel);
		return 0;
	}
	if (*data == '\0') {
		am_problem(pr, 1, where, "no key file or key data");
		return 0;
	}
	if (am_keytable_find(c->kt, s) != NULL) {
		am_problem(pr, 1, where, "key name '%s' defined twice (first at %s)",
		    s, am_keytable_find(c->kt, s)->where);
		return 0;
	}
	if (kt_grow(c->kt) < 0)
		return -1;
	k = &c->kt->keys[c->kt->n];
	memset(k, 0, sizeof(*k));
	k->name = strdup(s);
	k->domain = strdup(dom);
	k->selector = strdup(sel);
	k->where = strdup(where);
	if (data[0] == '/' || strncmp(data, "./", 2) == 0 ||
	    strncmp(data, "../", 3) == 0) {
		if (data[0] != '/' && c->dir != NULL) {
			size_t n = strlen(c->dir) + strlen(data) + 2;

			if ((k->path = malloc(n)) != NULL)
				snprintf(k->path, n, "%s/%s", c->dir, data);
		} else
			k->path = strdup(data);
		if (k->path == NULL)
			goto nomem;
	}
	if (k->name == NULL || k->domain == NULL || k->selector == NULL ||
	    k->where == NULL)
		goto nomem;
	lower(k->domain);
	c->kt->n++;
	if (k->path == NULL && c->require_safe && !c->inline_warned &&
	    c->tablefile != NULL) {
		struct stat sb;

		c->inline_warned = 1;
		if (stat(c->tablefile, &sb) == 0 && (sb.st_mode & 077))
			am_problem(pr, 1, where,
			    "%s holds private keys inline but group or others may "
			    "read it (chmod 600 it)", c->tablefile);
	}
	key_load(k, data, c->require_safe, pr);
	return 0;
nomem:
	free(k->name);
	free(k->domain);
	free(k->selector);
	free(k->where);
	free(k->path);
	return -1;
}

int
am_keytable_load(am_keytable *kt, const char *spec, int require_safe,
    am_problems *pr)
{
	struct kt_ctx c;
	const char *text;
	char *slash;
	int r;

	memset(&c, 0, sizeof(c));
	c.kt = kt;
	c.require_safe = require_safe;
	if (dataset_kind(spec, &text) != DS_CSL) {
		c.tablefile = text;
		if ((c.dir = strdup(text)) == NULL)
			return -1;
		if ((slash = strrchr(c.dir, '/')) != NULL)
			*slash = '\0';
		else {
			free(c.dir);
			c.dir = NULL;
		}
	}
	r = dataset_each(spec, "KeyTable", pr, kt_entry, &c);
	free(c.dir);
	return r;
}

int
am_keytable_add_single(am_keytable *kt, const char *selector,
    const char *keyfile, int require_safe, am_problems *pr)
{
	am_key *k;

	if (kt_grow(kt) < 0)
		return -1;
	k = &kt->keys[kt->n];
	memset(k, 0, sizeof(*k));
	k->name = strdup("");
	k->domain = strdup("%");
	k->selector = strdup(selector);
	k->path = strdup(keyfile);
	k->where = strdup("KeyFile");
	if (k->name == NULL || k->domain == NULL || k->selector == NULL ||
	    k->path == NULL || k->where == NULL) {
		free(k->name);
		free(k->domain);
		free(k->selector);
		free(k->path);
		free(k->where);
		return -1;
	}
	k->used = 1;
	kt->n++;
	if (!name_ok(selector))
		am_problem(pr, 1, "Selector", "'%s' is not a selector", selector);
	key_load(k, NULL, require_safe, pr);
	return 0;
}

am_key *
am_keytable_find(const am_keytable *kt, const char *name)
{
	size_t i;

	for (i = 0; i < kt->n; i++)
		if (strcmp(kt->keys[i].name, name) == 0)
			return &kt->keys[i];
	return NULL;
}

void
am_keytable_clear(am_keytable *kt)
{
	size_t i;

	for (i = 0; i < kt->n; i++) {
		am_key *k = &kt->keys[i];

		free(k->name);
		free(k->domain);
		free(k->selector);
		free(k->path);
		free(k->where);
		au_dkim_key_free(k->key);
	}
	free(kt->keys);
	kt->keys = NULL;
	kt->n = 0;
}

/* -------------------------------------------------------- signing table */

struct st_ctx {
	am_signtab	*st;
	am_keytable	*kt;
	size_t		 cap;
};

static int
st_entry(void *arg, char *s, const char *where, am_problems *pr)
{
	struct st_ctx *c = arg;
	am_signent e;
	char *val, *item, *save, *signer;
	size_t i;

	memset(&e, 0, sizeof(e));
	if ((val = split_kv(s)) == NULL) {
		am_problem(pr, 1, where,
		    "'%s': expected \"pattern keyname[,keyname...]\"", s);
		return 0;
	}
	for (item = strtok_r(val, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		am_key *k;

		item = trim(item);
		if (*item == '\0')
			continue;
		if (e.nrefs == AM_MAX_KEYS_PER_ENTRY) {
			am_problem(pr, 1, where, "more than %d keys in one entry",
			    AM_MAX_KEYS_PER_ENTRY);
			break;
		}
		signer = strchr(item, ':');
		if (signer != NULL) {
			*signer++ = '\0';
			item = trim(item);
			signer = trim(signer);
		}
		if ((k = am_keytable_find(c->kt, item)) == NULL) {
			am_problem(pr, 1, where,
			    "names key '%s', which the KeyTable does not define",
			    item);
			continue;
		}
		k->used = 1;
		e.refs[e.nrefs].key = k;
		if (signer != NULL && *signer != '\0' &&
		    (e.refs[e.nrefs].signer = strdup(signer)) == NULL)
			goto nomem;
		e.nrefs++;
	}
	if (e.nrefs == 0)
		return 0;
	if ((e.pattern = strdup(s)) == NULL || (e.where = strdup(where)) == NULL)
		goto nomem;
	lower(e.pattern);
	e.seq = c->st->n;
	if (c->st->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		am_signent *nv = realloc(c->st->ents, ncap * sizeof(*nv));

		if (nv == NULL)
			goto nomem;
		c->st->ents = nv;
		c->cap = ncap;
	}
	c->st->ents[c->st->n++] = e;
	return 0;
nomem:
	free(e.pattern);
	free(e.where);
	for (i = 0; i < e.nrefs; i++)
		free(e.refs[i].signer);
	return -1;
}

/* Order for bsearch; ties keep file order. */
static int
ent_cmp(const void *a, const void *b)
{
	const am_signent *x = a, *y = b;
	int r = strcmp(x->pattern, y->pattern);

	return r ? r : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

int
am_signtab_load(am_signtab *st, const char *spec, am_keytable *kt,
    am_problems *pr)
{
	struct st_ctx c;
	const char *text;

	memset(&c, 0, sizeof(c));
	c.st = st;
	c.kt = kt;
	st->refile = dataset_kind(spec, &text) == DS_REFILE;
	if (dataset_each(spec, "SigningTable", pr, st_entry, &c) < 0)
		return -1;
	/* plain tables are looked up by exact key: sort for bsearch */
	if (!st->refile && st->n > 1)
		qsort(st->ents, st->n, sizeof(st->ents[0]), ent_cmp);
	return 0;
}

/* Append the entries whose pattern is exactly key; returns the new count. */
static size_t
lookup_exact(const am_signtab *st, const char *key, const am_signent **out,
    size_t n, size_t max)
{
	size_t lo = 0, hi = st->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(st->ents[mid].pattern, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < st->n && n < max && strcmp(st->ents[lo].pattern, key) == 0;
	    lo++)
		out[n++] = &st->ents[lo];
	return n;
}

size_t
am_signtab_lookup(const am_signtab *st, const char *addr, int multiple,
    const am_signent **out, size_t max)
{
	char key[600];
	const char *at, *p;
	size_t n = 0, i, ulen;

	if (max == 0 || st->n == 0)
		return 0;
	if (!multiple)
		max = 1;
	if (st->refile) {
		for (i = 0; i < st->n && n < max; i++)
			if (am_wildmatch(st->ents[i].pattern, addr))
				out[n++] = &st->ents[i];
		return n;
	}
	if ((at = strrchr(addr, '@')) == NULL || strlen(addr) >= 512)
		return 0;
	ulen = (size_t)(at - addr);
	/* user@host, host */
	n = lookup_exact(st, addr, out, n, max);
	n = lookup_exact(st, at + 1, out, n, max);
	/* user@.parent for each parent domain */
	for (p = strchr(at + 1, '.'); p != NULL; p = strchr(p + 1, '.')) {
		snprintf(key, sizeof(key), "%.*s@%s", (int)ulen, addr, p);
		n = lookup_exact(st, key, out, n, max);
	}
	/* .parent */
	for (p = strchr(at + 1, '.'); p != NULL; p = strchr(p + 1, '.'))
		n = lookup_exact(st, p, out, n, max);
	/* user@*, * */
	snprintf(key, sizeof(key), "%.*s@*", (int)ulen, addr);
	n = lookup_exact(st, key, out, n, max);
	n = lookup_exact(st, "*", out, n, max);
	return n;
}

void
am_signtab_clear(am_signtab *st)
{
	size_t i, j;

	for (i = 0; i < st->n; i++) {
		free(st->ents[i].pattern);
		free(st->ents[i].where);
		for (j = 0; j < st->ents[i].nrefs; j++)
			free(st->ents[i].refs[j].signer);
	}
	free(st->ents);
	st->ents = NULL;
	st->n = 0;
}

/*
 * '*' matches any run of bytes.  Iterative with one backtrack point, so it
 * runs in O(len(pat) * len(s)) at worst and never recurses.
 */
int
am_wildmatch(const char *pat, const char *s)
{
	const char *star = NULL, *retry = NULL;

	while (*s) {
		if (*pat == '*') {
			star = ++pat;
			retry = s;
		} else if (tolower((unsigned char)*pat) ==
		    tolower((unsigned char)*s)) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star;
			s = ++retry;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* ---------------------------------------------------------- string lists */

static int
str_entry(void *arg, char *s, const char *where, am_problems *pr)
{
	am_strlist *l = arg;
	char **nv;

	if (l->n % 16 == 0) {
		if ((nv = realloc(l->v, (l->n + 16) * sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
	}
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

int
am_strlist_parse(am_strlist *l, const char *spec, const char *what,
    am_problems *pr)
{
	return dataset_each(spec, what, pr, str_entry, l);
}

void
am_strlist_clear(am_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
