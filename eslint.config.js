import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', '.tap/**', 'data/**', 'ui/dist/**', 'clients/*/dist/**'] }),
  {
    rules: {
      // TypeBox's idiom: a schema and its Static type share one name (LlmConfig).
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]
