// Anthropic: GET /v1/models with `x-api-key` and the `anthropic-version` every request needs.
// The list is paginated; 1000 (the maximum page) covers every model Anthropic offers.
// https://docs.anthropic.com/en/api/models-list
import { keyHeader, namesAt, type Adapter } from './adapter.js'

const ANTHROPIC_VERSION = '2023-06-01'

export const anthropic: Adapter = {
  listing: (apiKey) => ({
    path: 'v1/models',
    query: { limit: '1000' },
    headers: { 'anthropic-version': ANTHROPIC_VERSION, ...keyHeader('x-api-key', apiKey) }
  }),
  models: (body) => namesAt(body, 'data', 'id')
}
