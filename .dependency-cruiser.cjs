// The layers of src/ and the one direction they point in (see README, "Layers").
// `npm run lint:layers` fails on any import these rules forbid.
/** Our own modules, except those of the given folders (paths relative to src/). */
const oursExcept = (...allowed) => `^src/(?!(${allowed.join('|')})(/|\\.ts$))`;

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle makes two modules one; split them or move what they share inward.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'src/domain decides; it imports nothing of ours and does no I/O.',
      from: { path: '^src/domain/' },
      to: { path: oursExcept('domain') },
    },
    {
      name: 'domain-does-no-io',
      severity: 'error',
      comment: 'src/domain uses no Node module and no package: it is pure.',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'shared-is-a-leaf',
      severity: 'error',
      comment: 'src/shared holds small helpers every layer may use; they import nothing of ours.',
      from: { path: '^src/shared/' },
      to: { path: oursExcept('shared') },
    },
    {
      name: 'gen-is-generated',
      severity: 'error',
      from: { path: '^src/gen/' },
      to: { path: oursExcept('gen') },
    },
    {
      name: 'store-on-domain',
      severity: 'error',
      comment: 'The store knows the domain and nothing above it.',
      from: { path: '^src/store/' },
      to: { path: oursExcept('store', 'domain', 'shared') },
    },
    {
      name: 'control-on-store-ports',
      severity: 'error',
      comment: 'Control fan-out sees the store only through its ports, never an adapter.',
      from: { path: '^src/control/' },
      to: { path: oursExcept('control', 'domain', 'shared', 'store/ActionStore', 'store/ControlStore') },
    },
    {
      name: 'server-not-on-adapters',
      severity: 'error',
      comment: 'Handlers use the store ports; the process is wired to an adapter in src/cli.',
      from: { path: '^src/server/' },
      to: { path: '^src/(store/sqlite|store/postgres|client|executor|cli)/' },
    },
    {
      name: 'client-on-generated-code',
      severity: 'error',
      comment: 'The SDK speaks the contract only: it must not pull the server or the store into a user\'s process.',
      from: { path: '^src/client/' },
      to: { path: oursExcept('client', 'gen', 'shared') },
    },
    {
      name: 'executor-on-client',
      severity: 'error',
      comment: 'The executor runtime is built on the SDK, the domain and the contract.',
      from: { path: '^src/executor/' },
      to: { path: oursExcept('executor', 'client', 'domain', 'gen', 'shared') },
    },
    {
      name: 'package-entry-is-the-sdk',
      severity: 'error',
      comment: 'What `import "actiongate"` loads: the SDK, the executor API and the contract, never the server.',
      from: { path: '^src/index\\.ts$' },
      to: { path: oursExcept('client', 'executor', 'gen', 'shared') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
