// Entity-tag comparison for conditional requests, RFC 9110 §13.1.
// If-Match uses the strong comparison (a weak tag never matches); If-None-Match the weak one.

/** Parses `"a", W/"b"` or `*`. */
function parse (header: string): string[] {
  return header.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '')
}

export function ifMatchHolds (header: string, currentEtag: string): boolean {
  return parse(header).some((tag) => tag === '*' || tag === currentEtag)
}

export function ifNoneMatchHolds (header: string, currentEtag: string): boolean {
  const weak = (tag: string) => tag.replace(/^W\//, '')
  return !parse(header).some((tag) => tag === '*' || weak(tag) === weak(currentEtag))
}

/**
 * The versions an If-Match header accepts (our ETags are `"<version>"`), or '*' for any.
 * Weak and foreign tags never match (strong comparison); for the database to compare.
 */
export function ifMatchVersions (header: string): number[] | '*' {
  const tags = parse(header)
  if (tags.includes('*')) return '*'
  return tags.flatMap((tag) => /^"(\d{1,15})"$/.test(tag) ? [Number(tag.slice(1, -1))] : [])
}
