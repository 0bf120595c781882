// The --help texts: the global one (commands, options, environment, exit codes) and one per command.
import { describeFields } from './fields.mjs'

export const DEFAULT_URL = 'http://127.0.0.1:3000'

const COMMON = `Options for every command:
  --url <url>        The service's base URL (env LLM_CONFIG_URL; default ${DEFAULT_URL})
  --token <token>    Bearer token (env LLM_CONFIG_TOKEN; prefer the variable: a flag shows
                     in the process list and the shell history). Never printed.
  --json             Print the service's JSON answer as it came, for scripts
  --timeout <sec>    How long to wait for an answer (default 30)
  -h, --help         Show help`

const EXIT_CODES = `Exit codes:
  0  ok
  1  usage error: unknown command, option or field; a missing or malformed argument
  2  not authorized (401, 403): no token, a wrong one, or a role that may not do this
  3  conflict (412): the configuration changed meanwhile; nothing was written. Re-run.
  4  invalid (400, 422, or a value not of its field's type): nothing was written;
     each field error is printed
  5  unreachable, no answer in time, 5xx or 429 (retry later), or --url is not the service
  6  verify only: the report found a problem (ok: false)`

const GLOBAL = `Usage: llm-config <command> [arguments] [options]

Reads and changes the LLM configuration held by llm-config-service.

Commands:
  get                   Show the configuration
  set key=value…        Change settings, only if nobody changed the configuration meanwhile
  history               List changes, newest first
  restore <version>     Make an earlier version's state current again (as a new version)
  watch                 Print every new version as it is made, until Ctrl-C
  verify [key=value…]   Ask the provider(s) whether the configuration (or a variant) works

Run "llm-config <command> --help" for a command's arguments.

${COMMON}

Reading needs a token only when the service has reader tokens; set, restore and verify need
an admin token.

${EXIT_CODES}
`

const COMMANDS = {
  get: `Usage: llm-config get [options]

Shows every setting (the API key only as api_key_set and api_key_hint), with its version.
--json prints the answer of GET /llm-config.

${COMMON}
`,
  set: `Usage: llm-config set key=value… [--if-match <etag>] [options]

Changes the given settings and nothing else (a JSON merge patch). It reads the current
version first and writes only if the configuration is still that version: if someone
changed it in between, nothing is written and the exit code is 3; re-run.

Values are read by the field's type: integers, numbers, true/false, null (clears a
nullable field); anything else is a string. Quote values your shell would split.

  llm-config set batch_size=20 enabled=true
  llm-config set backup_provider=ollama backup_model=phi3
  llm-config set model_responder=null

Fields:
${describeFields()}

Read-only fields (id, version, api_key_set, api_key_hint, created_at, updated_at) cannot be set.
api_key=… sets the provider key: it appears in your shell history, so prefer
  llm-config set "api_key=$(cat key-file)"

  --if-match <etag>  Write only if the configuration still has this ETag ("17", 17 or *),
                     instead of the one read just before

Prints the new version and the values stored; --json prints the new configuration.

${COMMON}
`,
  history: `Usage: llm-config history [--limit N] [--before V] [options]

Lists changes, newest first: version, time (UTC), actor (the token's name), action and the
changed fields. --json prints the page with the old and new values of each field.

  --limit N   At most N changes (1-100; default 20)
  --before V  Only versions below V: the next, older page

${COMMON}
`,
  restore: `Usage: llm-config restore <version> [--if-match <etag>] [options]

Makes a new version whose state is that of <version>, the API key included. Like set, it
writes only if nobody changed the configuration since it was read (exit code 3 otherwise).

  --if-match <etag>  Restore only if the configuration still has this ETag ("17", 17 or *)

${COMMON}
`,
  watch: `Usage: llm-config watch [options]

Prints the current configuration, then one line per new version (what changed) as it is
made, until Ctrl-C (exit code 0). --json prints each version as one line of JSON. A dropped
connection is resumed after the last version seen: no version is missed or repeated.

${COMMON}
`,
  verify: `Usage: llm-config verify [key=value…] [options]

Asks the provider (and the backup provider) for its model list with the stored configuration,
or with the given settings merged over it (nothing is stored; an api_key given here is used
for this check only). Prints reachability, status, latency, whether the key was accepted and
whether every configured model exists. Exit code 6 when the report finds a problem.

  llm-config verify
  llm-config verify provider=openai_compatible api_url=http://llm-proxy:8080/v1

${COMMON}
`
}

export const COMMAND_NAMES = Object.keys(COMMANDS)

export function helpText (command) {
  return (command === undefined ? GLOBAL : COMMANDS[command]).trimEnd()
}
