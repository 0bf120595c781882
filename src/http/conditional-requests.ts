// Conditional requests, RFC 9110 §13.1: If-Match with the strong comparison (a weak tag never
// matches), If-None-Match with the weak one. Entity tags are compared as the strings they are
// (`"02"` is not `"2"`), the same way for every request.
// https://www.rfc-editor.org/rfc/rfc9110#section-13.1

/** The request's preconditions, as received. */
export interface Preconditions { ifMatch?: string, ifNoneMatch?: string }

/** Parses `"a", W/"b"` or `*`. */
function parse (header: string): string[] {
  return header.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '')
}

const weak = (tag: string) => tag.replace(/^W\//, '')

export function ifMatchHolds (header: string, currentEtag: string): boolean {
  return parse(header).some((tag) => tag === '*' || tag === currentEtag)
}

/** False when a listed tag (or `*`) matches: a GET answers 304, a write 412. */
export function ifNoneMatchHolds (header: string, currentEtag: string): boolean {
  return !parse(header).some((tag) => tag === '*' || weak(tag) === weak(currentEtag))
}

/** Which precondition fails against the current ETag, or undefined when they all hold (§13.2.2's order). */
export function failedPrecondition ({ ifMatch, ifNoneMatch }: Preconditions, currentEtag: string): 'if-match' | 'if-none-match' | undefined {
  if (ifMatch !== undefined && !ifMatchHolds(ifMatch, currentEtag)) return 'if-match'
  if (ifNoneMatch !== undefined && !ifNoneMatchHolds(ifNoneMatch, currentEtag)) return 'if-none-match'
  return undefined
}

/** An If-Match that can never match because it is not an entity tag at all (`If-Match: 3`). */
export function malformedIfMatch (header: string): boolean {
  return parse(header).every((tag) => tag !== '*' && !/^(W\/)?"[^"]*"$/.test(tag))
}
