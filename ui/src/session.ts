// Who is signed in. The token lives in this tab's sessionStorage only: never localStorage, a
// cookie or a URL (issue 13), so closing the tab or signing out forgets it.
import { ApiError, request, type Identity } from './api.js'

const KEY = 'llm-config-token'

export const storedToken = (): string | null => sessionStorage.getItem(KEY)
export const storeToken = (token: string): void => sessionStorage.setItem(KEY, token)
export const forgetToken = (): void => sessionStorage.removeItem(KEY)

export type WhoAmI = { identity: Identity } | { refused: string, status: number }

/** GET /whoami: the token's name and role, or why the service refused it. */
export async function whoAmI (token: string | null): Promise<WhoAmI> {
  try {
    return { identity: (await request<Identity>(token, 'GET', '/whoami')).body }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    if (error.status === 401 && token) return { refused: 'That token is not valid: check it and try again.', status: 401 }
    if (error.status === 401) return { refused: 'This service needs a token to show its configuration.', status: 401 }
    return { refused: error.problem.detail ?? `The service answered ${error.status}.`, status: error.status }
  }
}
