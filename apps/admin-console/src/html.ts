/** Escapes text for HTML (every value from the API goes through this before it lands in markup). */
export function esc(v: unknown): string {
  return text(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A scalar as text; objects as JSON (never "[object Object]"). */
function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object' || typeof v === 'function') return JSON.stringify(v) ?? '';
  return typeof v === 'symbol' ? v.toString() : `${v as string | number | boolean | bigint}`;
}

/** A tagged template that escapes every interpolated value unless it is Raw (markup built here). */
export class Raw {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0];
  values.forEach((v, i) => {
    out += piece(v) + strings[i + 1];
  });
  return new Raw(out);
}

function piece(v: unknown): string {
  if (v instanceof Raw) return v.html;
  if (Array.isArray(v)) return v.map(piece).join('');
  return esc(v);
}

export function time(iso: unknown): string {
  if (typeof iso !== 'string' && typeof iso !== 'number') return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** A value of any shape as short text: objects as `k=v` pairs, null as a dash. */
export function plain(v: unknown): string {
  if (v === null || v === undefined || v === '') return '–';
  if (Array.isArray(v)) return v.map(plain).join(', ');
  if (typeof v === 'object')
    return Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== null && x !== undefined)
      .map(([k, x]) => `${k}=${text(x)}`)
      .join(' ');
  return text(v);
}

export function bytes(v: unknown): string {
  const n = Number(v);
  if (!Number.isFinite(n)) return plain(v);
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function kbps(v: unknown): string {
  const n = Number(v);
  if (!Number.isFinite(n)) return plain(v);
  return n >= 1000 ? `${(n / 1000).toFixed(2)} Mb/s` : `${n.toFixed(0)} kb/s`;
}
