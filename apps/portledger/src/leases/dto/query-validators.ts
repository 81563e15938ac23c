import { decodeCursor, decodeEventCursor } from '@app/leasing';
import { applyDecorators } from '@nestjs/common';
import { ValidateBy } from 'class-validator';
import { ToEpochMs } from './query-transforms';

/**
 * The latest time a query may name: 9999-12-31T23:59:59.999Z. Every time echoed back is
 * written with toISOString(), which throws past JS Date's range and writes 6-digit years
 * past 9999; before 1970 nothing of this service existed.
 */
export const MAX_QUERY_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `from`/`to`: ISO-8601 or epoch milliseconds within 1970..9999, as epoch milliseconds; else a 400 naming the field. */
export const QueryTime = () =>
  applyDecorators(
    ToEpochMs(),
    ValidateBy({
      name: 'queryTime',
      validator: {
        validate: (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_QUERY_TIME_MS,
        defaultMessage: (a) => `${a?.property} must be an ISO-8601 time or epoch milliseconds between 1970-01-01 and 9999-12-31`,
      },
    }),
  );

/** A cursor is valid only when it decodes to exactly what the code writes; anything else is a 400 (never page 1). */
const cursorOf = (name: string, decode: (text: string) => unknown) =>
  ValidateBy({
    name,
    validator: {
      validate: (v: unknown) => typeof v === 'string' && v.length <= 200 && decode(v) !== null,
      defaultMessage: (a) => `${a?.property} must be a nextCursor value from a previous page`,
    },
  });

/** The keyset cursor of the newest-first listings (lease history, reconcile reports, webhook deliveries). */
export const HistoryCursor = () => cursorOf('historyCursor', decodeCursor);

/** The cursor of a lease's events. */
export const EventCursor = () => cursorOf('eventCursor', decodeEventCursor);
