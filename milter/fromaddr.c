/*
 * fromaddr.c - the address of a From header field, for the SigningTable
 * lookup (RFC 5322 3.4 mailbox / address-list, including display names,
 * comments, quoted strings, groups and obsolete routes).  Only what the
 * table lookup needs: the first mailbox, as lower-case "local@domain".
 * Single pass, no recursion, output bounded.
 */
#include <ctype.h>
#include <string.h>
#include "tables.h"

#define ADDR_MAX 512

int
am_from_address(const char *v, size_t len, char *out, size_t outlen)
{
	char buf[ADDR_MAX + 1];
	size_t i, n = 0;
	unsigned depth = 0;
	int inq = 0, angle = 0;
	char c, *at;

	for (i = 0; i < len; i++) {
		c = v[i];
		if (inq) {
			if (c == '\\' && i + 1 < len)
				c = v[++i];
			else if (c == '"') {
				inq = 0;
				continue;
			}
			if (c == '\r' || c == '\n')
				continue;
			if (n >= ADDR_MAX)
				return -1;
			buf[n++] = c;
			continue;
		}
		if (depth > 0) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		switch (c) {
		case '(':
			depth = 1;
			continue;
		case '"':
			inq = 1;
			continue;
		case ' ': case '\t': case '\r': case '\n':
			continue;
		case '<':
			n = 0;		/* what came before was a display name */
			angle = 1;
			continue;
		case '>':
			if (angle)
				goto done;
			continue;
		case ':':
			n = 0;		/* group name, or end of an obsolete route */
			continue;
		case ',':
			if (angle)	/* inside an obsolete route list */
				continue;
			if (n > 0)
				goto done;
			continue;
		case ';':
			if (n > 0 && !angle)
				goto done;
			continue;
		default:
			if (n >= ADDR_MAX)
				return -1;
			buf[n++] = c;
		}
	}
done:
	buf[n] = '\0';
	if ((at = strrchr(buf, '@')) == NULL || at == buf || at[1] == '\0')
		return -1;
	if (n + 1 > outlen)
		return -1;
	for (i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)buf[i]);
	return 0;
}
