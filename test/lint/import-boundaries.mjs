import { relativeImportsStayHome } from './relative-imports-stay-home.mjs';

// The layer graph of docs/ARCHITECTURE.md#layers, one entry per project: which libraries it may
// import (always as `@app/<lib>`, through the library's index). Everything else of ours is refused
// by name, so the message says which edge is not in the graph.
const LIBS = ['leasing', 'ledger', 'gateway', 'reconciler', 'rtp', 'udp-batch'];
const GRAPH = [
  {
    project: 'apps/*',
    may: ['leasing', 'reconciler', 'rtp'],
    typesOnly: ['gateway'],
    why: 'entry points call leasing (use cases and queries)',
  },
  // The composition root wires every module, the gateway's included; nothing else in apps may.
  {
    project: 'apps/portledger/src/app.module.ts',
    exact: true,
    may: ['leasing', 'reconciler', 'rtp', 'gateway'],
    why: 'the composition root wires the modules',
  },
  // The device simulator sends UDP in batches with the same addon the gateway receives with.
  {
    project: 'apps/device-sim',
    may: ['leasing', 'reconciler', 'rtp', 'udp-batch'],
    typesOnly: ['gateway'],
    why: 'the device simulator is a client: it talks to the service over HTTP and sends media',
  },
  // The admin console runs in the browser: it reaches the service over HTTP only.
  { project: 'apps/admin-console', may: [], noNest: true, why: 'the admin console is browser code; it talks to /api/v1' },
  { project: 'libs/leasing', may: ['ledger', 'gateway', 'rtp'], why: 'leasing sits below the entry points' },
  // Leasing's index is the only door past it: the persistence it wraps (repositories, the
  // database, LedgerModule) and its pair selector are never re-exported there, by name or by
  // `export *`. (The rule reads the index only: a leasing file that re-exported them would pass.)
  {
    project: 'libs/leasing/src/index.ts',
    exact: true,
    may: ['ledger', 'gateway', 'rtp'],
    hides: {
      names: [
        { from: '@app/ledger', pattern: '^(LedgerDatabase|LedgerModule|LEDGER_DATABASE_CONFIG|createLedgerDataSource|\\w+Repository)$' },
        { from: './ports/pair-selector', pattern: '^PairSelector$' },
      ],
      why: 'repositories, LedgerDatabase and the pair selector are not exported past libs/leasing',
    },
    why: 'leasing sits below the entry points',
  },
  // It reads the gateway's registry view (types); every repair goes through a leasing use case.
  {
    project: 'libs/reconciler',
    may: ['leasing', 'rtp'],
    typesOnly: ['gateway'],
    why: 'the reconciler acts only through leasing use cases',
  },
  // Its specs build the registry views it compares with the gateway's own builders.
  {
    project: 'libs/reconciler',
    specsOnly: true,
    may: ['leasing', 'gateway', 'rtp'],
    why: "a reconciler spec builds the gateway's registry views with the gateway's helpers",
  },
  { project: 'libs/ledger', may: [], migrations: true, why: 'ledger is persistence only' },
  { project: 'libs/gateway', may: ['rtp', 'udp-batch'], why: 'the gateway owns sockets and never writes the ledger' },
  { project: 'libs/rtp', may: [], noNest: true, why: 'rtp is pure protocol code' },
  { project: 'libs/udp-batch', may: [], noNest: true, why: 'udp-batch is a native UDP socket, no protocol and no framework' },
];

const restrictions = ({ project, may, typesOnly = [], hides = { names: [] }, migrations = false, noNest = false, why }) => [
  'error',
  {
    paths: [
      ...LIBS.filter((lib) => !may.includes(lib) && !typesOnly.includes(lib)).map((lib) => ({
        name: `@app/${lib}`,
        message: project.startsWith(`libs/${lib}`)
          ? 'A library imports its own files by relative path; its index is for the others (and would be a cycle).'
          : `${project} → ${lib} is not in the layer graph: ${why} (docs/ARCHITECTURE.md#layers).`,
      })),
      ...typesOnly.map((lib) => ({
        name: `@app/${lib}`,
        allowTypeImports: true,
        message: `${project} → ${lib} is for types only (\`import type\`): ${why} (docs/ARCHITECTURE.md#layers).`,
      })),
    ],
    patterns: [
      { group: ['@app/*/**'], message: "Import a library through its index ('@app/<lib>'), not a file inside it." },
      ...hides.names.map(({ from, pattern }) => ({
        group: [from],
        importNamePattern: pattern,
        message: `${project} must not export it: ${hides.why} (docs/ARCHITECTURE.md#layers).`,
      })),
      ...(migrations ? [] : [{ group: ['@migrations/*'], message: 'Only libs/ledger wires migrations.' }]),
      ...(noNest ? [{ group: ['@nestjs/*'], message: `${why}: no Nest.` }] : []),
    ],
  },
];

export const importBoundaries = [
  {
    files: ['libs/**/*.ts', 'apps/**/*.ts'],
    plugins: { portledger: { rules: { 'relative-imports-stay-home': relativeImportsStayHome } } },
    rules: { 'portledger/relative-imports-stay-home': 'error' },
  },
  ...GRAPH.map((node) => ({
    files: [node.exact ? node.project : `${node.project}/**/${node.specsOnly ? '*.spec.ts' : '*.ts'}`],
    rules: { 'no-restricted-imports': restrictions(node) },
  })),
];
