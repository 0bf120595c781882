// The replica's copy and its watchers, for /metrics (plugins/external/metrics.ts).
import type { FastifyInstance } from 'fastify'
import { Gauge, type GaugeConfiguration } from 'prom-client'

export function addLiveGauges (app: FastifyInstance): void {
  const gauge = (configuration: GaugeConfiguration<string>) => new Gauge({ ...configuration, registers: [app.metricsRegistry] })
  gauge({
    name: 'llm_config_version',
    help: 'The configuration version this replica serves from its copy',
    collect () { this.set(app.live.version) }
  })
  gauge({
    name: 'llm_config_listener_connected',
    help: '1 while the LISTEN connection holds and the copy is trusted, else 0',
    collect () { this.set(app.live.trusted ? 1 : 0) }
  })
  gauge({
    name: 'llm_config_cache_reads',
    help: 'GET /llm-config answered from the replica\'s copy (hit) or from the database (miss), since start',
    labelNames: ['result'],
    collect () {
      this.set({ result: 'hit' }, app.live.reads.hits)
      this.set({ result: 'miss' }, app.live.reads.misses)
    }
  })
  gauge({
    name: 'llm_config_watchers',
    help: 'SSE watchers connected to this replica',
    collect () { this.set(app.live.watchers) }
  })
}
