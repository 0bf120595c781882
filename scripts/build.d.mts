// Types of scripts/build.mjs, for the tests that import it.
export interface Step { name: string, command: [string, string[]], inputs: string[], output: string }
export const STEPS: Step[]
export function staleSteps (): Promise<string[]>
export function build (options?: { changed?: boolean, only?: string[] }): Promise<void>
export function stopOnSignal (): () => void
