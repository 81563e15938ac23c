import { Transform } from 'class-transformer';

/** Query strings are text; convert explicitly, leaving bad text as-is so validation names it. */
export const ToInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value));

/** ISO-8601 or epoch milliseconds → epoch milliseconds. */
export const ToEpochMs = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    if (/^\d{1,16}$/.test(value)) return Number(value);
    const t = Date.parse(value);
    return Number.isNaN(t) ? value : t;
  });

export const ToBoolean = () =>
  Transform(({ value }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value));
