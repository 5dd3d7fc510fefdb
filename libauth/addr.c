/*
 * addr.c - RFC 5322 address-list parser (see au_addr.h).
 *
 * Two passes, both linear and bounded:
 *   1. the tokenizer turns the value into atoms, quoted strings, domain
 *      literals and specials, dropping CFWS (comments may nest up to
 *      AU_ADDR_MAX_DEPTH; quoted-pairs are honoured everywhere RFC 5322
 *      3.2.1 and 4.1 allow them);
 *   2. the parser walks the tokens: address-list of RFC 5322 3.4 with the
 *      obsolete forms of 4.4 (obs-phrase with ".", obs-local-part and
 *      obs-domain with CFWS between dots, obs-route in angle-addr, empty
 *      list elements).
 * Bytes >= 0x80 are taken as atext (RFC 6532); control characters other
 * than white space, CR and LF are an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_addr.h"
#include "au_buf.h"
#include "au_status_int.h"

typedef enum tok_kind {
	T_ATOM,		/* atext run */
	T_QSTR,		/* quoted-string (content unquoted in text) */
	T_DLIT,		/* domain-literal, brackets included */
	T_SPECIAL	/* one of < > : ; @ , . */
} tok_kind;

typedef struct tok {
	tok_kind	 kind;
	char		 c;	/* the special character */
	size_t		 off;	/* into the text buffer */
	size_t		 len;
	size_t		 pos;	/* offset in the input, for messages */
} tok;

typedef struct lexer {
	tok		*t;
	size_t		 n, cap;
	au_buf		 text;	/* token texts, each NUL-terminated */
	char		*err;
	size_t		 errlen;
} lexer;

static int
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static au_status
push(lexer *lx, tok_kind kind, char c, const char *p, size_t n, size_t pos)
{
	au_status st;
	tok *t;

	if (lx->n >= AU_ADDR_MAX_TOKENS) {
		au_status__msg(lx->err, lx->errlen, "more than %d tokens",
		    AU_ADDR_MAX_TOKENS);
		return AU_ETOOBIG;
	}
	if (lx->n == lx->cap) {
		size_t ncap = lx->cap ? lx->cap * 2 : 32;

		if (ncap > AU_ADDR_MAX_TOKENS)
			ncap = AU_ADDR_MAX_TOKENS;
		if ((t = realloc(lx->t, ncap * sizeof *t)) == NULL)
			return AU_ENOMEM;
		lx->t = t;
		lx->cap = ncap;
	}
	t = &lx->t[lx->n];
	t->kind = kind;
	t->c = c;
	t->off = lx->text.len;
	t->len = n;
	t->pos = pos;
	if ((st = au_buf_append(&lx->text, p, n)) != AU_OK ||
	    (st = au_buf_putc(&lx->text, '\0')) != AU_OK)
		return st;
	lx->n++;
	return AU_OK;
}

/* Skip a comment starting at s[*i] == '('; nested up to the bound. */
static au_status
skip_comment(lexer *lx, const char *s, size_t len, size_t *i)
{
	size_t start = *i;
	int depth = 0;

	while (*i < len) {
		unsigned char c = (unsigned char)s[*i];

		if (c == '\\') {
			if (*i + 1 >= len)
				break;
			*i += 2;
			continue;
		}
		if (c == '(') {
			if (++depth > AU_ADDR_MAX_DEPTH) {
				au_status__msg(lx->err, lx->errlen,
				    "comments nested deeper than %d at offset %zu",
				    AU_ADDR_MAX_DEPTH, *i);
				return AU_ESYNTAX;
			}
		} else if (c == ')') {
			if (--depth == 0) {
				(*i)++;
				return AU_OK;
			}
		} else if (c == 0) {
			au_status__msg(lx->err, lx->errlen,
			    "NUL byte in a comment");
			return AU_ESYNTAX;
		}
		(*i)++;
	}
	au_status__msg(lx->err, lx->errlen,
	    "unterminated comment starting at offset %zu", start);
	return AU_ESYNTAX;
}

/* A quoted-string starting at s[*i] == '"'; content unquoted. */
static au_status
quoted(lexer *lx, const char *s, size_t len, size_t *i)
{
	au_buf b = AU_BUF_INIT(AU_ADDR_MAX_FIELD);
	size_t start = *i;
	au_status st = AU_OK;

	(*i)++;
	while (*i < len && st == AU_OK) {
		unsigned char c = (unsigned char)s[*i];

		if (c == '"') {
			(*i)++;
			st = push(lx, T_QSTR, 0, b.data ? b.data : "", b.len,
			    start);
			au_buf_free(&b);
			return st;
		}
		if (c == '\\') {
			if (*i + 1 >= len)
				break;
			c = (unsigned char)s[*i + 1];
			(*i)++;
		} else if (c == '\r' || c == '\n') {
			(*i)++;		/* folding: CRLF is not part of it */
			continue;
		}
		if (c == 0) {
			au_status__msg(lx->err, lx->errlen,
			    "NUL byte in a quoted string");
			au_buf_free(&b);
			return AU_ESYNTAX;
		}
		st = au_buf_putc(&b, (char)c);
		(*i)++;
	}
	au_buf_free(&b);
	if (st != AU_OK)
		return st;
	au_status__msg(lx->err, lx->errlen,
	    "unterminated quoted string starting at offset %zu", start);
	return AU_ESYNTAX;
}

/* A domain-literal starting at s[*i] == '['. */
static au_status
dliteral(lexer *lx, const char *s, size_t len, size_t *i)
{
	au_buf b = AU_BUF_INIT(AU_ADDR_MAX_FIELD);
	size_t start = *i;
	au_status st;

	(*i)++;
	st = au_buf_putc(&b, '[');
	while (*i < len && st == AU_OK) {
		unsigned char c = (unsigned char)s[*i];

		if (c == ']') {
			(*i)++;
			if ((st = au_buf_putc(&b, ']')) == AU_OK)
				st = push(lx, T_DLIT, 0, b.data, b.len, start);
			au_buf_free(&b);
			return st;
		}
		if (c == '[' || c == 0) {
			au_status__msg(lx->err, lx->errlen,
			    "bad character in domain literal at offset %zu", *i);
			au_buf_free(&b);
			return AU_ESYNTAX;
		}
		if (c == '\\') {
			if (*i + 1 >= len)
				break;
			c = (unsigned char)s[++(*i)];
		}
		if (!is_ws(c))
			st = au_buf_putc(&b, (char)c);
		(*i)++;
	}
	au_buf_free(&b);
	if (st != AU_OK)
		return st;
	au_status__msg(lx->err, lx->errlen,
	    "unterminated domain literal starting at offset %zu", start);
	return AU_ESYNTAX;
}

static au_status
tokenize(lexer *lx, const char *s, size_t len)
{
	size_t i = 0, j;
	au_status st = AU_OK;

	while (i < len && st == AU_OK) {
		unsigned char c = (unsigned char)s[i];

		if (is_ws(c)) {
			i++;
		} else if (c == '(') {
			st = skip_comment(lx, s, len, &i);
		} else if (c == '"') {
			st = quoted(lx, s, len, &i);
		} else if (c == '[') {
			st = dliteral(lx, s, len, &i);
		} else if (strchr("<>:;@,.", c) != NULL && c != 0) {
			st = push(lx, T_SPECIAL, (char)c, s + i, 1, i);
			i++;
		} else if (is_atext(c)) {
			for (j = i; j < len && is_atext((unsigned char)s[j]); j++)
				;
			st = push(lx, T_ATOM, 0, s + i, j - i, i);
			i = j;
		} else {
			au_status__msg(lx->err, lx->errlen, "%s at offset %zu",
			    c == ')' ? "')' without '('" : c == ']' ?
			    "']' without '['" : c == '\\' ?
			    "backslash outside a quoted string" :
			    "character not allowed in an address", i);
			return AU_ESYNTAX;
		}
	}
	return st;
}

/* ---------------------------------------------------------------- parser */

typedef struct parser {
	lexer		*lx;
	size_t		 i;
	au_addr_list	*out;
	size_t		 cap;
	char		*err;
	size_t		 errlen;
} parser;

static const tok *
peek(parser *p)
{
	return p->i < p->lx->n ? &p->lx->t[p->i] : NULL;
}

static int
is_special(const tok *t, char c)
{
	return t && t->kind == T_SPECIAL && t->c == c;
}

static int
is_word(const tok *t)
{
	return t && (t->kind == T_ATOM || t->kind == T_QSTR);
}

static const char *
text(parser *p, const tok *t)
{
	return p->lx->text.data + t->off;
}

static au_status
perr(parser *p, const char *what)
{
	const tok *t = peek(p);

	if (t)
		au_status__msg(p->err, p->errlen, "%s at offset %zu", what, t->pos);
	else
		au_status__msg(p->err, p->errlen, "%s at the end", what);
	return AU_ESYNTAX;
}

/* local-part = word *("." word) (dot-atom, quoted-string, obs-local-part). */
static au_status
local_part(parser *p, au_buf *b)
{
	au_status st;

	for (;;) {
		const tok *t = peek(p);

		if (!is_word(t))
			return perr(p, "expected a local-part");
		if ((st = au_buf_append(b, text(p, t), t->len)) != AU_OK)
			return st;
		p->i++;
		if (!is_special(peek(p), '.'))
			return AU_OK;
		p->i++;
		if ((st = au_buf_putc(b, '.')) != AU_OK)
			return st;
	}
}

/* domain = atom *("." atom) / domain-literal. */
static au_status
domain(parser *p, au_buf *b, int *literal)
{
	const tok *t = peek(p);
	au_status st;

	*literal = 0;
	if (t && t->kind == T_DLIT) {
		p->i++;
		*literal = 1;
		return au_buf_append(b, text(p, t), t->len);
	}
	for (;;) {
		t = peek(p);
		if (t == NULL || t->kind != T_ATOM)
			return perr(p, "expected a domain");
		if ((st = au_buf_append(b, text(p, t), t->len)) != AU_OK)
			return st;
		p->i++;
		if (!is_special(peek(p), '.'))
			return AU_OK;
		p->i++;
		if ((st = au_buf_putc(b, '.')) != AU_OK)
			return st;
	}
}

static au_status
add(parser *p, const char *local, const char *dom, int literal, int in_group)
{
	au_addr *a;

	if (p->out->naddrs >= AU_ADDR_MAX_ADDRS) {
		au_status__msg(p->err, p->errlen, "more than %d addresses",
		    AU_ADDR_MAX_ADDRS);
		return AU_ETOOBIG;
	}
	if (p->out->naddrs == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 4;

		if ((a = realloc(p->out->addrs, ncap * sizeof *a)) == NULL)
			return AU_ENOMEM;
		p->out->addrs = a;
		p->cap = ncap;
	}
	a = &p->out->addrs[p->out->naddrs];
	memset(a, 0, sizeof *a);
	a->in_group = in_group;
	if ((a->local = strdup(local)) == NULL)
		return AU_ENOMEM;
	p->out->naddrs++;
	if (literal) {
		if ((a->literal = strdup(dom)) == NULL)
			return AU_ENOMEM;
	} else if ((a->domain = strdup(dom)) == NULL)
		return AU_ENOMEM;
	return AU_OK;
}

/* addr-spec = local-part "@" domain */
static au_status
addr_spec(parser *p, int in_group)
{
	au_buf lb = AU_BUF_INIT(AU_ADDR_MAX_FIELD), db = AU_BUF_INIT(AU_ADDR_MAX_FIELD);
	au_status st;
	int lit;

	if ((st = local_part(p, &lb)) != AU_OK)
		goto out;
	if (!is_special(peek(p), '@')) {
		st = perr(p, "expected '@' after the local-part");
		goto out;
	}
	p->i++;
	if ((st = domain(p, &db, &lit)) != AU_OK)
		goto out;
	st = add(p, au_buf_cstr(&lb), au_buf_cstr(&db), lit, in_group);
out:
	au_buf_free(&lb);
	au_buf_free(&db);
	return st;
}

/* angle-addr = "<" [obs-route] addr-spec ">"; p->i at "<". */
static au_status
angle_addr(parser *p, int in_group)
{
	au_status st;
	const tok *t;

	p->i++;
	t = peek(p);
	if (is_special(t, ',') || is_special(t, '@')) {
		/* obs-route: *("," ) "@" domain *("," ["@" domain]) ":" */
		au_buf junk = AU_BUF_INIT(AU_ADDR_MAX_FIELD);
		int lit;

		for (;;) {
			t = peek(p);
			if (is_special(t, ',')) {
				p->i++;
				continue;
			}
			if (is_special(t, '@')) {
				p->i++;
				au_buf_reset(&junk);
				if ((st = domain(p, &junk, &lit)) != AU_OK) {
					au_buf_free(&junk);
					return st;
				}
				continue;
			}
			break;
		}
		au_buf_free(&junk);
		if (!is_special(peek(p), ':'))
			return perr(p, "expected ':' after the route");
		p->i++;
	}
	if (is_special(peek(p), '>'))
		return perr(p, "empty angle-addr '<>'");
	if ((st = addr_spec(p, in_group)) != AU_OK)
		return st;
	if (!is_special(peek(p), '>'))
		return perr(p, "'<' without '>'");
	p->i++;
	return AU_OK;
}

/*
 * mailbox / group.  Words (and "." of obs-phrase) are read ahead: what
 * follows them decides (RFC 5322 3.4).
 */
static au_status
address(parser *p, int in_group)
{
	size_t start = p->i, nwords = 0;
	const tok *t;

	while ((t = peek(p)) != NULL && (is_word(t) || is_special(t, '.'))) {
		if (is_word(t))
			nwords++;
		p->i++;
	}
	t = peek(p);
	if (is_special(t, '<'))
		return angle_addr(p, in_group);
	if (is_special(t, '@')) {
		p->i = start;
		return addr_spec(p, in_group);
	}
	if (is_special(t, ':') && nwords > 0 && !in_group) {
		au_status st;

		p->i++;
		p->out->ngroups++;
		/* group-list: mailbox-list / CFWS / obs-group-list */
		for (;;) {
			t = peek(p);
			if (t == NULL)
				return perr(p, "group without ';'");
			if (is_special(t, ';')) {
				p->i++;
				return AU_OK;
			}
			if (is_special(t, ',')) {
				p->i++;
				continue;
			}
			if ((st = address(p, 1)) != AU_OK)
				return st;
			t = peek(p);
			if (!is_special(t, ',') && !is_special(t, ';'))
				return perr(p, "expected ',' or ';' in the group");
		}
	}
	if (nwords == 0 && p->i == start)
		return perr(p, "expected an address");
	return perr(p, "expected '@' or '<'");
}

au_status
au_addr_parse(const char *value, size_t len, au_addr_list **out,
    char *err, size_t errlen)
{
	lexer lx;
	parser p;
	au_status st;

	au_status__msg(err, errlen, "%s", "");
	if (out == NULL || (value == NULL && len > 0))
		return AU_EINVAL;
	*out = NULL;
	if (len > AU_ADDR_MAX_FIELD) {
		au_status__msg(err, errlen, "address field longer than %d bytes",
		    AU_ADDR_MAX_FIELD);
		return AU_ETOOBIG;
	}
	memset(&lx, 0, sizeof lx);
	au_buf_init(&lx.text, 2 * AU_ADDR_MAX_FIELD + 2 * AU_ADDR_MAX_TOKENS);
	lx.err = err;
	lx.errlen = errlen;
	memset(&p, 0, sizeof p);
	p.lx = &lx;
	p.err = err;
	p.errlen = errlen;
	if ((p.out = calloc(1, sizeof *p.out)) == NULL) {
		st = AU_ENOMEM;
		goto done;
	}
	if ((st = tokenize(&lx, value, len)) != AU_OK)
		goto done;
	/* address-list, with the empty elements of obs-addr-list. */
	while (p.i < lx.n && st == AU_OK) {
		const tok *t = peek(&p);

		if (is_special(t, ',')) {
			p.i++;
			continue;
		}
		if ((st = address(&p, 0)) != AU_OK)
			break;
		t = peek(&p);
		if (t && !is_special(t, ','))
			st = perr(&p, "expected ',' between addresses");
	}
done:
	free(lx.t);
	au_buf_free(&lx.text);
	if (st != AU_OK) {
		au_addr_list_free(p.out);
		return st;
	}
	*out = p.out;
	return AU_OK;
}

au_addr_list *
au_addr_list_free(au_addr_list *l)
{
	size_t i;

	if (l == NULL)
		return NULL;
	for (i = 0; i < l->naddrs; i++) {
		free(l->addrs[i].local);
		free(l->addrs[i].domain);
		free(l->addrs[i].literal);
	}
	free(l->addrs);
	free(l);
	return NULL;
}
