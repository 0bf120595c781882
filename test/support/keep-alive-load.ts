// A load of keep-alive clients that records exactly how each request ended, for the graceful
// shutdown test: a complete response (with its Connection header), a refused connection, or a
// failure (a reset, a hang-up, a cut body).
import { Agent, request as httpRequest } from 'node:http'

export type Outcome =
  | { kind: 'response', status: number, connection: string | undefined, contentType: string | undefined, body: string, whole: boolean }
  | { kind: 'refused' } // ECONNREFUSED: a new connection found the port closed
  | { kind: 'failed', detail: string } // anything else: what a graceful shutdown must never cause

export interface Call { method: 'GET' | 'PATCH', path: string, headers?: Record<string, string>, body?: string }

/** One request on the agent's connections (reused while the server keeps them open). */
export function send (url: string, agent: Agent, call: Call): Promise<Outcome> {
  return new Promise((resolve) => {
    let responded = false
    const req = httpRequest(`${url}${call.path}`, { method: call.method, agent, headers: call.headers }, (res) => {
      responded = true
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'failed', detail: `${error.code ?? error.message} after ${body.length} bytes` }))
      res.on('end', () => resolve({
        kind: 'response',
        status: res.statusCode ?? 0,
        connection: res.headers.connection,
        contentType: res.headers['content-type'],
        body,
        whole: res.complete && Buffer.byteLength(body) === Number(res.headers['content-length'])
      }))
    })
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!responded && error.code === 'ECONNREFUSED') resolve({ kind: 'refused' })
      else resolve({ kind: 'failed', detail: `${error.code ?? error.message}${responded ? ' mid-response' : ''}${req.reusedSocket ? ' on a reused connection' : ''}` })
    })
    req.end(call.body)
  })
}

export interface Load {
  /** Every outcome so far, in the order they ended. */
  outcomes: Outcome[]
  /** Requests sent and not yet ended. */
  inFlight: () => number
  /** Resolves once every worker stopped. */
  done: Promise<void>
}

/**
 * `workers` loops, each sending `next(worker, turn)` one after the other on shared keep-alive
 * connections. A worker stops as a client moving to another replica would: after a 503, or when
 * a new connection is refused; and after anything unexpected (the test reports it).
 */
export function runLoad (url: string, workers: number, next: (worker: number, turn: number) => Call): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: workers })
  const outcomes: Outcome[] = []
  let inFlight = 0
  const work = async (worker: number) => {
    for (let turn = 0; ; turn++) {
      inFlight++
      const outcome = await send(url, agent, next(worker, turn))
      inFlight--
      outcomes.push(outcome)
      if (outcome.kind !== 'response' || outcome.status !== 200) return
    }
  }
  const done = Promise.all(Array.from({ length: workers }, (_, worker) => work(worker))).then(() => agent.destroy())
  return { outcomes, inFlight: () => inFlight, done }
}
