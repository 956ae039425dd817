/**
 * The import boundaries between rebuild-bench's top-level folders (docs/architecture.md), checked
 * by `npm run lint`. `may` is the one place the allowed directions are written down: a folder may
 * import itself and the folders listed for it, nothing else. test/ and bench/ may import anything.
 */

/** Folder → the folders it may import. cli wires everything; core imports nothing of ours. */
const may = {
  cli: '*',
  engine: ['faults', 'collectors', 'cluster', 'record', 'core'],
  suites: ['engine', 'faults', 'collectors', 'gitops', 'cluster', 'record', 'core'],
  faults: ['gitops', 'cluster', 'record', 'core'],
  collectors: ['gitops', 'cluster', 'record', 'core'],
  reports: ['record', 'gitops', 'core'],
  sinks: ['record', 'core'],
  sandbox: ['gitops', 'cluster', 'record', 'core'],
  grafana: ['record', 'core'],
  gitops: ['core'],
  cluster: ['core'],
  record: ['core'],
  core: [],
};

const folders = Object.keys(may);

// The table itself must be acyclic: then no chain of allowed imports can lead back to its start,
// and the folder graph has no cycle whatever the files do.
(function assertAcyclic() {
  const state = {};
  const visit = (f, path) => {
    if (state[f] === 'done') return;
    if (state[f] === 'open')
      throw new Error(`.dependency-cruiser.cjs: the allowed directions form a cycle: ${[...path, f].join(' → ')}`);
    state[f] = 'open';
    for (const g of may[f] === '*' ? [] : may[f]) visit(g, [...path, f]);
    state[f] = 'done';
  };
  for (const f of folders) visit(f, []);
})();

const directionRules = folders
  .filter((f) => may[f] !== '*')
  .map((f) => ({
    name: `${f}-imports-only-${may[f].length ? may[f].join('-') : 'itself'}`,
    comment: `${f}/ may import ${may[f].length ? `${may[f].map((g) => `${g}/`).join(', ')} and itself` : 'only itself'} (docs/architecture.md)`,
    severity: 'error',
    from: { path: `^${f}/` },
    to: { path: `^(${folders.join('|')})/`, pathNot: `^(${[f, ...may[f]].join('|')})/` },
  }));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'only-cli-imports-sandbox',
      comment:
        'sandbox/ (the local control plane and the twin) is a tool for the CLI and the tests: product code must not depend on the emulator',
      severity: 'error',
      from: { pathNot: '^(cli|sandbox|test|bench)/' },
      to: { path: '^sandbox/' },
    },
    ...directionRules,
    {
      name: 'index-not-cli-or-sandbox',
      comment: 'index.ts is the package API for suite authors: engine, faults, cluster, record, core',
      severity: 'error',
      from: { path: '^index\\.ts$' },
      to: { path: '^(cli|sandbox)/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycle between modules (type-only imports included)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    includeOnly: `^(${[...folders, 'test', 'bench'].join('|')})/|^index\\.ts$`,
    exclude: { path: '^(node_modules|dist|\\.dev|\\.git|\\.rebuild-bench|coverage)/' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
