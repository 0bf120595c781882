// Each provider's API family and default base URL. api_url replaces the primary provider's
// base; azure_openai and openai_compatible have no default and need it.
import type { ProviderName } from '../../db/providers.js'
import type { Adapter } from './adapter.js'
import { anthropic } from './anthropic.js'
import { azureOpenai } from './azure-openai.js'
import { cohere } from './cohere.js'
import { google } from './google.js'
import { ollama } from './ollama.js'
import { openai } from './openai.js'

export const ADAPTERS: Record<ProviderName, Adapter> = {
  local: ollama,
  ollama,
  openai,
  azure_openai: azureOpenai,
  groq: openai,
  mistral: openai,
  openrouter: openai,
  openai_compatible: openai,
  anthropic,
  google,
  cohere
}

export type DefaultBases = Record<ProviderName, string | null>

export const DEFAULT_BASES: DefaultBases = {
  local: 'http://localhost:11434',
  ollama: 'http://localhost:11434',
  openai: 'https://api.openai.com/v1',
  azure_openai: null, // https://<resource>.openai.azure.com: the resource's own endpoint
  groq: 'https://api.groq.com/openai/v1',
  mistral: 'https://api.mistral.ai/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  openai_compatible: null,
  anthropic: 'https://api.anthropic.com',
  google: 'https://generativelanguage.googleapis.com',
  cohere: 'https://api.cohere.com'
}

/**
 * Providers whose servers usually run on the operator's own network: probes to them may go to
 * private and loopback addresses. Every other provider is a public service, and a private
 * address in its api_url is refused (SSRF) unless VERIFY_ALLOW_PRIVATE is set.
 */
export const PRIVATE_NETWORK_PROVIDERS: ReadonlySet<ProviderName> = new Set(['local', 'ollama', 'openai_compatible'])
