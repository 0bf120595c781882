// docker-compose.yml and docker-compose.scale.yml, read from the files (no Docker engine runs
// here): valid against the Compose Specification's JSON schema, and wired postgres (healthy) →
// migrate (exited 0) → api, with every secret taken from the environment.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ErrorObject } from 'ajv'
import t from 'tap'
import { parseDocument, type Tags } from 'yaml'

const root = fileURLToPath(new URL('..', import.meta.url))
const read = (file: string) => readFileSync(join(root, file), 'utf8')

// The schema is compose-spec/compose-spec's schema/compose-spec.json, which dclint copies
// verbatim into schemas/. Its package.json `exports` do not list that file, so it is read by path.
const dclint = dirname(createRequire(import.meta.url).resolve('dclint/package.json'))
const composeSchema = JSON.parse(readFileSync(join(dclint, 'schemas/compose.schema.json'), 'utf8'))

// Draft-07, which Ajv's default class implements; Ajv registers the meta-schema under its
// http:// id, so the https:// spelling the schema uses would be an unknown meta-schema.
// strictTypes off: the schema leaves `type` implicit in places and allows unions such as
// ["boolean", "string"] (where compose interpolates); the rest of strict mode stays on.
const ajv = new Ajv({ allErrors: true, strictTypes: false })
const validate = ajv.compile({ ...composeSchema, $schema: 'http://json-schema.org/draft-07/schema#' })

/** Ajv's errors as one line each, e.g. `/services/api/depends_on/migrate/condition must be equal to one of the allowed values {"allowedValues":[…]}`. */
function schemaErrors (document: unknown): string[] {
  if (validate(document)) return []
  return (validate.errors ?? []).map((error: ErrorObject) =>
    `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`)
}

// Compose's merge tags (https://docs.docker.com/reference/compose-file/merge/): they say how an
// override file merges into the base file; read alone, the tagged value is what it is.
const mergeTags: Tags = ['!reset', '!override'].flatMap((tag) => (['seq', 'map'] as const)
  .map((collection) => ({ tag, collection, resolve: (node: unknown) => node })))

type Service = Record<string, any>
interface Compose { services: Record<string, Service>, volumes?: Record<string, unknown>, [key: string]: unknown }

function load (file: string): Compose {
  const document = parseDocument(read(file), { customTags: mergeTags })
  const problems = [...document.errors, ...document.warnings].map((problem) => problem.message)
  if (problems.length > 0) throw new Error(`${file} is not clean YAML:\n${problems.join('\n')}`)
  return document.toJS() as Compose
}

/** Stage names of the Dockerfile, in order, and the text of the last (the image compose runs). */
const dockerfile = read('Dockerfile').replace(/\\\r?\n/g, ' ')
const stages = [...dockerfile.matchAll(/^FROM\s+(?:--platform=\S+\s+)?\S+(?:\s+AS\s+(\S+))?/gim)]
const finalStage = dockerfile.slice(stages.at(-1)?.index ?? 0)

const environment = (service: Service): Record<string, string> => Array.isArray(service.environment)
  ? Object.fromEntries((service.environment as string[]).map((entry) => [entry.split('=')[0], entry.split('=').slice(1).join('=')]))
  : service.environment ?? {}
const dependsOn = (service: Service, name: string) => service.depends_on?.[name]?.condition
const healthcheck = (service: Service) => [service.healthcheck?.test].flat().join(' ')

const base = load('docker-compose.yml')
const scale = load('docker-compose.scale.yml')

t.test('both compose files are valid against the Compose Specification schema', async (t) => {
  t.same(schemaErrors(base), [], 'docker-compose.yml')
  t.same(schemaErrors(scale), [], 'docker-compose.scale.yml, read alone')
})

t.test('the schema rejects a compose file with a mistake in it', async (t) => {
  // Each mistake must be reported where it is, not merely make validation fail somewhere.
  const rejected = (document: unknown, expected: RegExp, message: string) => {
    const errors = schemaErrors(document)
    t.ok(errors.some((error) => expected.test(error)), message, { errors })
  }

  const unknownCondition = structuredClone(base)
  unknownCondition.services.api!.depends_on.migrate.condition = 'service_finished'
  rejected(unknownCondition, /^\/services\/api\/depends_on\/migrate\/condition must be equal to one of the allowed values/,
    'depends_on with an unknown condition')

  const { volumes, ...misspelled } = structuredClone(base)
  rejected({ ...misspelled, volume: volumes }, /^\/ must NOT have additional properties \{"additionalProperty":"volume"\}$/,
    'a misspelled top-level key')

  const misspelledKey = structuredClone(base)
  misspelledKey.services.postgres!.healthchek = misspelledKey.services.postgres!.healthcheck
  rejected(misspelledKey, /^\/services\/postgres must NOT have additional properties \{"additionalProperty":"healthchek"\}$/,
    'a misspelled service key')
})

t.test('docker-compose.yml: postgres healthy, then a one-shot migration, then the api', async (t) => {
  const { postgres: db, migrate, api } = base.services
  t.same(Object.keys(base.services).sort(), ['api', 'migrate', 'postgres'], 'three services')
  if (!db || !migrate || !api) return

  t.match(db.image, /^postgres:\d+(\.\d+)*$/, 'postgres image pinned to a version')
  t.match(healthcheck(db), /^CMD-SHELL pg_isready\b/, 'postgres is healthy once pg_isready says it accepts connections')
  t.notOk(db.healthcheck?.disable, 'postgres healthcheck enabled')

  t.equal(migrate.build?.target, 'build', 'migrate runs from the build stage (drizzle-kit and src/)')
  t.ok(stages.some((stage) => stage[1] === 'build'), 'the Dockerfile has that stage')
  t.same(migrate.command, ['npm', 'run', 'db:migrate'], 'migrate runs npm run db:migrate')
  t.equal(dependsOn(migrate, 'postgres'), 'service_healthy', 'migrate waits for a healthy postgres')
  t.equal(migrate.restart, 'no', 'a one-shot job is never restarted')

  t.equal(dependsOn(api, 'postgres'), 'service_healthy', 'api waits for a healthy postgres')
  t.equal(dependsOn(api, 'migrate'), 'service_completed_successfully', 'api waits for the migration to exit 0')
  t.equal(api.build?.target, stages.at(-1)?.[1], 'api runs the Dockerfile\'s final stage')
  // The api's healthcheck is the image's: nginx in docker-compose.scale.yml waits for it.
  t.equal(api.healthcheck, undefined, 'api keeps the image\'s healthcheck (not overridden or disabled)')
  t.match(finalStage, /^HEALTHCHECK\s+(?!NONE\b).*\/healthz/m, 'the final stage has a HEALTHCHECK on /healthz')

  t.equal(new URL(environment(api).DATABASE_URL?.replace(/\$\{[^}]*\}/g, 'x') ?? '').hostname, 'postgres', 'api connects to the postgres service')
  t.equal(environment(migrate).DATABASE_URL, environment(api).DATABASE_URL, 'migrate and api use one database')
  t.same(api.ports, ['3000:3000'], 'api published on port 3000')
  t.equal(db.ports, undefined, 'postgres not published on the host')
})

t.test('docker-compose.yml: secrets come from the environment, with development defaults only', async (t) => {
  for (const [name, service] of Object.entries(base.services)) {
    for (const [key, value] of Object.entries(environment(service))) {
      if (key === 'DATABASE_URL') {
        t.match(value, /^postgres:\/\/\w+:\$\{POSTGRES_PASSWORD(:-[\w-]+)?\}@/, `${name}: the password in DATABASE_URL is \${POSTGRES_PASSWORD}`)
      } else if (/PASSWORD|TOKEN|SECRET|KEY/.test(key)) {
        // ${KEY}, ${KEY:?message} or ${KEY:-default}: the operator sets it under its own name.
        const [, variable, fallback] = /^\$\{(\w+)(?::-([^}]*)|:?\?[^}]*)?\}$/.exec(String(value)) ?? []
        t.equal(variable, key, `${name}: ${key} comes from \${${key}}`)
        // A default is public (it is in this file): it must say it is for development, in the
        // clear or once base64-decoded (ENCRYPTION_KEY is 32 bytes in base64).
        const readable = `${fallback} ${Buffer.from(fallback ?? '', 'base64').toString('latin1')}`
        if (fallback !== undefined) t.match(readable, /\bdev/, `${name}: ${key}'s default announces itself as a development value`)
      }
    }
  }
  const api = environment(base.services.api ?? {})
  const adminToken = /:-([^}]+)\}$/.exec(api.ADMIN_TOKEN ?? '')?.[1] ?? ''
  t.ok(adminToken.length >= 16, 'the ADMIN_TOKEN default is long enough for the service to start')
  const encryptionKey = /:-([^}]+)\}$/.exec(api.ENCRYPTION_KEY ?? '')?.[1] ?? ''
  t.equal(Buffer.from(encryptionKey, 'base64').length, 32, 'the ENCRYPTION_KEY default is 32 bytes (the image runs with NODE_ENV=production)')
})

t.test('docker-compose.yml: data on a declared named volume', async (t) => {
  const db = base.services.postgres ?? {}
  const [source = '', target = ''] = String([db.volumes].flat()[0] ?? '').split(':')
  t.ok(base.volumes && source in base.volumes, `postgres data on a declared named volume (${source})`)
  // postgres:18 moved PGDATA under /var/lib/postgresql/18/docker and its VOLUME to
  // /var/lib/postgresql (https://github.com/docker-library/postgres/pull/1259).
  const major = Number(/^postgres:(\d+)/.exec(db.image)?.[1])
  t.equal(target, major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data', `the volume holds ${db.image}'s data directory`)
  for (const [name, service] of Object.entries({ ...base.services, ...scale.services })) {
    for (const volume of [service.volumes ?? []].flat()) {
      const named = String(volume).split(':')[0] ?? ''
      if (/^[./~]/.test(named)) t.ok(existsSync(join(root, named)), `${name}: bind-mounted ${named} exists`)
      else t.ok(base.volumes && named in base.volumes, `${name}: volume ${named} declared`)
    }
  }
})

t.test('docker-compose.scale.yml: replicas of the api behind nginx', async (t) => {
  const { api, nginx } = scale.services
  t.same(Object.keys(scale.services).sort(), ['api', 'nginx'], 'overrides the api, adds nginx')
  if (!api || !nginx) return
  t.match(read('docker-compose.scale.yml'), /^ {4}ports: !reset \[\]$/m, 'api\'s published port reset (replicas cannot all publish 3000)')
  t.same(api.expose, ['3000'], 'api reachable on the compose network')
  t.match(nginx.image, /^nginx:\d+(\.\d+)*$/, 'nginx image pinned to a version')
  t.same(nginx.ports, ['3000:80'], 'nginx publishes port 3000')
  t.equal(dependsOn(nginx, 'api'), 'service_healthy', 'nginx waits for a healthy api (the image\'s HEALTHCHECK)')
})
