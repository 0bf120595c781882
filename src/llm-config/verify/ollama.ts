// Ollama, and `local` (an Ollama server on the same machine): GET /api/tags, no credentials
// unless a key is configured (a proxy in front of Ollama may want one).
// https://github.com/ollama/ollama/blob/main/docs/api.md#list-local-models
import { bearer, namesAt, type Adapter } from './adapter.js'

export const ollama: Adapter = {
  listing: (apiKey) => ({ path: 'api/tags', headers: bearer(apiKey) }),
  models: (body) => namesAt(body, 'models', 'name'),
  // A model named without a tag means its :latest tag: "phi3" is listed as "phi3:latest".
  // The tag follows the last "/" (a registry host may carry a port: host:5000/phi3).
  canonical: (model) => model.slice(model.lastIndexOf('/') + 1).includes(':') ? model : `${model}:latest`
}
