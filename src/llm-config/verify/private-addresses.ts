// SSRF guard: which addresses a probe to a public provider may not reach. The host name is
// resolved and every address it has is checked, so a name that points (also) inside the
// network is refused. BlockList matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) too.
// Ranges: RFC 1918 (private), RFC 1122 (loopback, "this network"), RFC 3927 (link-local),
// RFC 4193 (unique local IPv6), RFC 4291 (IPv6 loopback, link-local).
import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { ProbeFailure } from './probe-failure.js'

const PRIVATE = new BlockList()
PRIVATE.addSubnet('0.0.0.0', 8, 'ipv4')
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4')
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4')
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4') // link-local, cloud metadata services (169.254.169.254)
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4')
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4')
PRIVATE.addAddress('::', 'ipv6')
PRIVATE.addAddress('::1', 'ipv6')
PRIVATE.addSubnet('fc00::', 7, 'ipv6')
PRIVATE.addSubnet('fe80::', 10, 'ipv6')

export function isPrivateAddress (address: string): boolean {
  const family = isIP(address)
  if (family === 0) throw new TypeError('not an IP address')
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/** Resolves a URL's host name (every address) and refuses it if any address is private. */
export async function refusePrivateHost (hostname: string, signal: AbortSignal): Promise<void> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1') // URL keeps IPv6 literals in brackets
  const addresses = await untilAborted(lookup(host, { all: true, verbatim: true }), signal)
  if (addresses.some(({ address }) => isPrivateAddress(address))) {
    throw new ProbeFailure('unreachable', `${host} is a private or loopback address, refused for this provider ` +
      '(allowed for local, ollama and openai_compatible, or everywhere with VERIFY_ALLOW_PRIVATE=true)')
  }
}

/** dns.lookup cannot be cancelled: stop waiting for it when the probe's deadline passes. */
function untilAborted<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
