// Cohere: GET /v1/models with a bearer key, answering {"models": [{"name"}]}.
// https://docs.cohere.com/reference/list-models
import { bearer, namesAt, type Adapter } from './adapter.js'

export const cohere: Adapter = {
  listing: (apiKey) => ({ path: 'v1/models', query: { page_size: '1000' }, headers: bearer(apiKey) }),
  models: (body) => namesAt(body, 'models', 'name')
}
