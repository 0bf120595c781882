// GET /whoami: who the calling token is (its name and role) and what it may do, for scripts,
// the CLI and the admin console, which would otherwise find out by trying.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { accessResponses } from '../../http/responses.js'
import { RIGHTS } from './auth.js'

const Whoami = Type.Object({
  name: Type.String({ description: 'The token\'s name (ADMIN_TOKENS, READER_TOKENS, CONSUMER_TOKENS), or anonymous' }),
  role: Type.Enum(['admin', 'consumer', 'reader', 'anonymous'], { description: 'anonymous: no token, while reads are open' }),
  may: Type.Array(Type.Enum(['read', 'write', 'reveal']), { description: 'What this token may do: read the configuration, write it, reveal the API key' })
}, { additionalProperties: false, examples: [{ name: 'ops', role: 'admin', may: ['read', 'write', 'reveal'] }] })

const whoami: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/whoami', {
    config: { access: 'read' },
    schema: {
      tags: ['auth'],
      summary: 'Who the calling token is',
      description: 'The token\'s name and role and what it may do. Without a token: anonymous while reads are open, else 401.',
      operationId: 'getWhoami',
      security: [{}, { bearerAuth: [] }],
      response: {
        200: { ...Whoami, description: 'The caller' },
        ...accessResponses('read')
      }
    }
  }, async (request) => {
    const { name, role } = request.principal
    const may = role === 'anonymous' ? ['read'] : [...RIGHTS[role]]
    return { name, role, may: may as Array<'read' | 'write' | 'reveal'> }
  })
}

export default whoami
