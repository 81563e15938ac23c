#!/usr/bin/env node
// Writes README's "How a lease ends" table from the end-cause catalogue (libs/leasing
// END_CAUSES), between the end-causes markers. Run after `npm run build`:
//   node docs/end-causes-table.mjs
// libs/leasing/src/domain/end-causes.spec.ts checks that README and the catalogue agree.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const { END_CAUSES, endCausesTable, replaceEndCausesTable } = createRequire(import.meta.url)(
  join(root, 'dist/libs/leasing/src/domain/end-causes.js'),
);
const readme = join(root, 'README.md');
writeFileSync(readme, replaceEndCausesTable(readFileSync(readme, 'utf8'), endCausesTable(END_CAUSES)));
console.log(`README.md: ${Object.keys(END_CAUSES).length} end causes`);
