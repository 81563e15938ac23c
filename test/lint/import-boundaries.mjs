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
  { project: 'libs/reconciler', may: ['leasing', 'gateway', 'rtp'], why: 'the reconciler acts only through leasing use cases' },
  { project: 'libs/ledger', may: [], migrations: true, why: 'ledger is persistence only' },
  { project: 'libs/gateway', may: ['rtp', 'udp-batch'], why: 'the gateway owns sockets and never writes the ledger' },
  { project: 'libs/rtp', may: [], noNest: true, why: 'rtp is pure protocol code' },
  { project: 'libs/udp-batch', may: [], noNest: true, why: 'udp-batch is a native UDP socket, no protocol and no framework' },
];

const restrictions = ({ project, may, typesOnly = [], migrations = false, noNest = false, why }) => [
  'error',
  {
    paths: [
      ...LIBS.filter((lib) => !may.includes(lib) && !typesOnly.includes(lib)).map((lib) => ({
        name: `@app/${lib}`,
        message:
          project === `libs/${lib}`
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
    files: [node.exact ? node.project : `${node.project}/**/*.ts`],
    rules: { 'no-restricted-imports': restrictions(node) },
  })),
];
