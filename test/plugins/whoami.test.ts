// GET /whoami: the calling token's name, role and rights; anonymous only while reads are open.
import t from 'tap'
import { testApp } from '../helper.js'
import { HIGH_LIMITS, TOKENS, headersOf, roleEnv } from '../support/roles.js'

t.test('each role sees its name, role and rights; a wrong token is 401', async (t) => {
  const { app } = await testApp(t, { env: { ...roleEnv({ readers: true }), ...HIGH_LIMITS } })
  const expected = {
    admin: ['read', 'write', 'reveal'],
    consumer: ['read', 'reveal'],
    reader: ['read']
  } as const
  for (const [caller, may] of Object.entries(expected) as Array<[keyof typeof expected, readonly string[]]>) {
    const res = await app.inject({ method: 'GET', url: '/whoami', headers: headersOf(caller) })
    t.equal(res.statusCode, 200, caller)
    t.match(res.headers['content-type'], /^application\/json/)
    t.same(res.json().role, caller === 'admin' ? 'admin' : caller)
    t.same(res.json().may, may, `${caller}: what it may do`)
    t.type(res.json().name, 'string')
    t.notMatch(res.body, TOKENS[caller], 'the token itself is never echoed')
  }
  const unknown = await app.inject({ method: 'GET', url: '/whoami', headers: headersOf('unknown') })
  t.equal(unknown.statusCode, 401)
  t.match(unknown.headers['content-type'], /^application\/problem\+json/)
  t.equal((await app.inject({ method: 'GET', url: '/whoami' })).statusCode, 401, 'reads need a token: so does /whoami')
})

t.test('no token while reads are open: anonymous, read only', async (t) => {
  const { app } = await testApp(t, { env: roleEnv({ readers: false }) })
  const res = await app.inject({ method: 'GET', url: '/whoami' })
  t.equal(res.statusCode, 200)
  t.strictSame(res.json(), { name: 'anonymous', role: 'anonymous', may: ['read'] })
})
