/*
 * au_tags.h - the "tag=value" list tokenizer of RFC 6376 section 3.2, used
 * for DKIM-Signature fields and DKIM key records, and usable as-is for
 * DMARC records (RFC 7489 6.4) and ARC fields (RFC 8617 4.1).
 *
 *   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  =  ALPHA *ALNUMPUNC
 *   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
 *
 * The tokenizer does not copy: each tag points into the input.  It checks
 * the syntax above (with a bare LF accepted where FWS has CRLF, and octets
 * 0x80-0xFF accepted inside values, as RFC 6376 3.2 advises for UTF-8),
 * refuses duplicate tag names (the whole list is then invalid) and bounds
 * the number of tags.  Two harmless deviations are accepted: white space
 * after the final ";", and empty tag-specs (";;", counted in `empty_specs`
 * so linters can mention them).  What a value means is up to the caller.
 */
#ifndef AU_TAGS_H
#define AU_TAGS_H

#include <stddef.h>
#include "au_status.h"

#define AU_TAGS_MAX 64		/* tags in one list; more is a syntax error */

typedef struct au_tag {
	const char	*name;		/* tag name, case-sensitive */
	size_t		 namelen;
	const char	*value;		/* value without leading/trailing white space */
	size_t		 valuelen;	/* inner white space and folding kept */
	size_t		 raw_start;	/* offset just after the '=' */
	size_t		 raw_end;	/* offset of the ';' ending the tag-spec, or the input length */
} au_tag;

typedef struct au_taglist {
	au_tag		 tag[AU_TAGS_MAX];
	size_t		 count;
	size_t		 empty_specs;	/* tolerated empty tag-specs */
} au_taglist;

/*
 * Tokenize s[0..len).  On AU_ESYNTAX or AU_ETOOBIG, err holds one sentence
 * ("duplicate tag 'd'", "tag 'b' value has a control character", ...).
 */
AU_API au_status au_tags_parse(au_taglist *tl, const char *s, size_t len,
    char *err, size_t errlen);

/* The tag named name (exact, case-sensitive), or NULL. */
AU_API const au_tag *au_tags_find(const au_taglist *tl, const char *name);

/*
 * Copy a value with all white space (SP, HTAB, CR, LF) removed, as base64
 * and colon lists want; out gets a NUL.  Returns the length, or (size_t)-1
 * when out is too small.
 */
AU_API size_t	 au_tags_value_nows(const au_tag *t, char *out, size_t outlen);

#endif
