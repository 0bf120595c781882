// Google Gemini API: GET /v1beta/models with the key in `x-goog-api-key` (a header, so it is
// never part of a URL that could be logged). Names come as "models/<name>".
// https://ai.google.dev/api/models#method:-models.list
import { keyHeader, namesAt, type Adapter } from './adapter.js'

const withoutPrefix = (name: string) => name.replace(/^models\//, '')

export const google: Adapter = {
  listing: (apiKey) => ({
    path: 'v1beta/models',
    query: { pageSize: '1000' },
    headers: keyHeader('x-goog-api-key', apiKey)
  }),
  models: (body) => namesAt(body, 'models', 'name')?.map(withoutPrefix),
  canonical: withoutPrefix,
  // A wrong key is a 400 INVALID_ARGUMENT whose details carry the reason API_KEY_INVALID.
  // https://cloud.google.com/apis/design/errors#error_info
  refusesKey: (status, body) => {
    const details = (body as { error?: { details?: unknown } } | null)?.error?.details
    return status === 400 && Array.isArray(details) && details.some((detail) => (detail as { reason?: unknown } | null)?.reason === 'API_KEY_INVALID')
  }
}
