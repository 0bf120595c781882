// The LLM providers the service knows: the one list that validation, the database column
// types and the OpenAPI document all use.
export const PROVIDERS = [
  'local', 'ollama', 'openai', 'anthropic', 'azure_openai', 'google',
  'mistral', 'cohere', 'groq', 'openrouter', 'openai_compatible'
] as const

export type ProviderName = typeof PROVIDERS[number]
