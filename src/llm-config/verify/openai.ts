// The OpenAI API and the families that copy it (groq, mistral, openrouter, any
// openai_compatible server): GET {base}/models with a bearer key, answering {"data": [{"id"}]}.
// https://platform.openai.com/docs/api-reference/models/list
import { bearer, namesAt, type Adapter } from './adapter.js'

export const openai: Adapter = {
  listing: (apiKey) => ({ path: 'models', headers: bearer(apiKey) }),
  models: (body) => namesAt(body, 'data', 'id')
}
