// Azure OpenAI: the resource's endpoint (api_url) + /openai/models?api-version=…, with the key
// in an `api-key` header instead of a bearer token.
// https://learn.microsoft.com/en-us/rest/api/azureopenai/models/list
import { keyHeader, namesAt, type Adapter } from './adapter.js'

export const AZURE_API_VERSION = '2024-10-21'

export const azureOpenai: Adapter = {
  listing: (apiKey) => ({
    path: 'openai/models',
    query: { 'api-version': AZURE_API_VERSION },
    headers: keyHeader('api-key', apiKey)
  }),
  models: (body) => namesAt(body, 'data', 'id')
}
