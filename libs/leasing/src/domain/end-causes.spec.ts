import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { END_CAUSES, endCausesTable, replaceEndCausesTable } from './end-causes';

const README = join(__dirname, '../../../../README.md');

describe('the end-cause catalogue', () => {
  it("is README's table of how a lease ends (regenerate it with docs/end-causes-table.mjs)", () => {
    const readme = readFileSync(README, 'utf8');
    expect(replaceEndCausesTable(readme, endCausesTable())).toBe(readme);
  });

  it('names each (state, reason) once, and every end sends lease.ended', () => {
    const pairs = Object.values(END_CAUSES).map((c) => `${c.state}/${c.reason}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(new Set(Object.values(END_CAUSES).map((c) => c.webhook))).toEqual(new Set(['lease.ended']));
  });

  it('notices a README row that the catalogue does not have', () => {
    const readme = readFileSync(README, 'utf8');
    const stale = readme.replace('| `reclaimed` | `listener-lost` |', '| `reclaimed` | `orphan` |');
    expect(replaceEndCausesTable(stale, endCausesTable())).not.toBe(stale);
  });
});
