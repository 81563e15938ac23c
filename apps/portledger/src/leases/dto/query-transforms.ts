import { Transform } from 'class-transformer';

/** Query strings are text; convert explicitly, leaving bad text as-is so validation names it. */
export const ToInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value));

/** ISO-8601 (a date first, as Date.parse reads it) or epoch milliseconds → epoch milliseconds; the range is QueryTime's. */
export const ToEpochMs = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    if (/^\d{1,20}$/.test(value)) return Number(value);
    if (!/^[+-]?\d{4,6}-\d{2}-\d{2}/.test(value)) return value;
    const t = Date.parse(value);
    return Number.isNaN(t) ? value : t;
  });

export const ToBoolean = () =>
  Transform(({ value }: { value: unknown }) =>
    value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value,
  );
