/// <reference types="vite/client" />
declare module 'virtual:llm-config-rules' {
  import type { Rules } from './schema.js'
  const rules: Rules
  export default rules
}
