#!/usr/bin/env node
// llm-config: the command-line client of llm-config-service. Node ≥ 20, no dependencies.
// Run "llm-config --help" for the commands, options and exit codes.
import { parseArgs } from 'node:util'
import { checkToken, checkUrl, createClient } from './lib/client.mjs'
import { COMMAND_OPTIONS, commands } from './lib/commands.mjs'
import { CliError, EXIT } from './lib/errors.mjs'
import { COMMAND_NAMES, DEFAULT_URL, helpText } from './lib/help.mjs'

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  // Options of some commands only (COMMAND_OPTIONS says which)
  'if-match': { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' }
}

const out = (text) => process.stdout.write(`${text}\n`)

async function main (argv, env) {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    // Node's first sentence says it ("Unknown option '--x'"); the rest is about "--".
    throw new CliError(error.message.split('\n')[0].replace(/\. To specify .*$/, ''), EXIT.usage)
  }
  const { values: options, positionals } = parsed
  let [command, ...args] = positionals
  let help = options.help === true
  if (command === 'help') [command, args, help] = [args[0], [], true] // llm-config help [command]
  if (command !== undefined && !COMMAND_NAMES.includes(command)) {
    throw new CliError(`unknown command ${JSON.stringify(command)} (commands: ${COMMAND_NAMES.join(', ')})`, EXIT.usage)
  }
  if (help) {
    out(helpText(command))
    return EXIT.ok
  }
  if (command === undefined) {
    process.stderr.write(`${helpText()}\n`)
    return EXIT.usage
  }
  for (const name of Object.keys(options)) {
    const only = Object.entries(COMMAND_OPTIONS).filter(([, names]) => names.includes(name)).map(([c]) => c)
    if (only.length > 0 && !only.includes(command)) throw new CliError(`--${name} is an option of ${only.join(' and ')}, not of ${command}`, EXIT.usage)
  }

  const url = checkUrl(options.url ?? (env.LLM_CONFIG_URL || DEFAULT_URL))
  const token = checkToken(options.token ?? env.LLM_CONFIG_TOKEN)
  const timeout = Number(options.timeout ?? 30)
  if (!(timeout > 0 && timeout <= 86400)) throw new CliError('--timeout must be a number of seconds above 0', EXIT.usage)
  const client = createClient({ url, token, timeoutMs: Math.round(timeout * 1000) })

  // Ctrl-C (or SIGTERM) ends watch cleanly, with 0; a second one ends the process at once.
  // Other commands keep the default: Ctrl-C interrupts them.
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  if (command === 'watch') process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
  try {
    const code = await commands[command]({ client, args, options, json: options.json === true, out, err: (text) => process.stderr.write(`${text}\n`), signal: stop.signal })
    return code ?? EXIT.ok
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  }
}

// A reader that went away (llm-config watch | head -1) ends the output, not in a stack trace.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(process.exitCode ?? EXIT.ok)
})

/** The token, wherever it came from, never reaches the terminal: a last guard on error output. */
function redact (text, argv, env) {
  const tokens = [env.LLM_CONFIG_TOKEN]
  const at = argv.findIndex((arg) => arg === '--token' || arg.startsWith('--token='))
  if (at !== -1) tokens.push(argv[at] === '--token' ? argv[at + 1] : argv[at].slice('--token='.length))
  return tokens.filter((token) => token && token.length >= 4).reduce((result, token) => result.split(token).join('***'), text)
}

try {
  process.exitCode = await main(process.argv.slice(2), process.env)
} catch (error) {
  const cli = error instanceof CliError
  const lines = cli ? [`llm-config: ${error.message}`, ...error.details.map((line) => `  ${line}`)] : [`llm-config: internal error: ${error?.stack ?? error}`]
  if (cli && error.exitCode === EXIT.usage && !error.message.includes('--help')) lines.push('Run "llm-config --help" for usage.')
  process.stderr.write(`${redact(lines.join('\n'), process.argv, process.env)}\n`)
  process.exitCode = cli ? error.exitCode : EXIT.usage
}
