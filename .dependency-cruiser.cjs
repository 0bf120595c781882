// `npm run lint:deps` (CI: .ci/run): the import rules of src/ that the layout relies on.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'An import cycle makes two modules one: split what both need into a third.',
      severity: 'error',
      from: {},
      to: { circular: true }
    },
    {
      name: 'db-imports-only-db',
      comment: 'src/db/ is the bottom layer: it imports nothing of the service above it (node_modules and Node\'s own modules are fine).',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { pathNot: ['^src/db/', '(^|/)node_modules/'], dependencyTypesNot: ['core'] }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' }
  }
}
