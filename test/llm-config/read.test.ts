import t from 'tap'
import { testApp } from '../helper.js'

t.test('GET /llm-config serves the defaults of the original design', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ method: 'GET', url: '/llm-config' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.match(res.headers.etag, /^"[A-Za-z0-9_-]+"$/)
  const body = res.json()
  t.match(body, {
    id: Number,
    provider: 'local',
    api_url: null,
    model_tagger: 'phi3'
  })
})
