/**
 * ZLMediaKit's argument rules (server/WebApi.cpp, getAllArgs): a form body or a JSON body
 * (each JSON value taken as a string), then the URL query, which wins on a clash. Every value
 * is a string; absent and empty are the same ("CHECK_ARGS" treats empty as missing).
 */
export type ZlmArgs = Record<string, string>;

export function collectZlmArgs(query: unknown, body: unknown): ZlmArgs {
  const args: ZlmArgs = {};
  for (const source of [body, query]) {
    if (!source || typeof source !== 'object' || Array.isArray(source)) continue;
    for (const [k, v] of Object.entries(source as Record<string, unknown>)) args[k] = asString(v);
  }
  return args;
}

function asString(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return asString(v[v.length - 1]);
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'string') return v;
  // What else parsed query or JSON input holds is a number or a boolean.
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** An answer with a non-zero `code` (HTTP is always 200, as in ZLMediaKit). */
export class ZlmError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** ZLMediaKit's API::ApiErr codes (server/WebApi.h). */
export const ZLM_CODE = {
  success: 0,
  otherFailed: -1,
  authFailed: -100,
  invalidArgs: -300,
  exception: -400,
  notFound: -500,
} as const;

/** CHECK_ARGS: every named argument present and non-empty, else -300 naming them all. */
export function requireArgs(args: ZlmArgs, ...names: string[]): void {
  if (names.some((n) => !args[n])) {
    throw new ZlmError(ZLM_CODE.invalidArgs, `Required parameter missed: ${names.map((n) => `"${n}"`).join(', ')}`);
  }
}

/** A non-negative decimal integer argument; `fallback` when absent; -300 when malformed or above `max`. */
export function intArg(args: ZlmArgs, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = args[name];
  if (!raw) return fallback;
  if (!/^\s*\d{1,16}\s*$/.test(raw) || Number(raw) > max)
    throw new ZlmError(ZLM_CODE.invalidArgs, `${name} must be a decimal integer in 0..${max}`);
  return Number(raw);
}

/** "1"/"true" → true (ZLMediaKit's as<bool>, plus the spelled-out form). */
export function boolArg(args: ZlmArgs, name: string): boolean {
  const v = (args[name] ?? '').trim().toLowerCase();
  return v === '1' || v === 'true';
}
