import type { ValueTransformer } from 'typeorm';

/**
 * Times are epoch milliseconds in a bigint column on both databases, so expiry comparisons
 * are exact integer comparisons. `pg` returns bigint as a string; this makes it a number.
 */
export const epochMs: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? null : Number(v)),
};

/** JSON stored as text (portable across SQLite and PostgreSQL). */
export const jsonText: ValueTransformer = {
  to: (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v)),
  from: (v: string | null): unknown => (v === null || v === undefined ? null : JSON.parse(v)),
};
