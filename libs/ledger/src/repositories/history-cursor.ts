import { Brackets, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';

/**
 * Keyset cursor over (createdAt DESC, id DESC): stable while new rows are inserted, because
 * new rows sort before every cursor already handed out.
 */
export interface HistoryCursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(c: HistoryCursor): string {
  return Buffer.from(`${c.createdAt}:${c.id}`, 'utf8').toString('base64url');
}

/**
 * The position a cursor written by encodeCursor names, or null for any other text: base64url
 * decoding skips what it cannot read, so the text must also be exactly what encodeCursor
 * writes for that position (a mangled cursor is an error, never silently page 1).
 */
export function decodeCursor(text: string): HistoryCursor | null {
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  const m = /^(\d{1,16}):([A-Za-z0-9-]{1,64})$/.exec(raw);
  if (!m) return null;
  const c = { createdAt: Number(m[1]), id: m[2] };
  return encodeCursor(c) === text ? c : null;
}

/**
 * Newest-first keyset paging for any table with a time column and a string id: applies the
 * cursor, orders, fetches one row more than asked to know whether a next page exists.
 */
export async function keysetPage<E extends ObjectLiteral, T>(
  q: SelectQueryBuilder<E>,
  columns: { time: string; id: string },
  limit: number,
  cursorText: string | undefined,
  map: (row: E) => T,
  keyOf: (item: T) => HistoryCursor,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const cursor = cursorText === undefined ? null : decodeCursor(cursorText);
  if (cursorText !== undefined && !cursor) throw new RangeError(`not a history cursor: ${cursorText}`);
  if (cursor) {
    q.andWhere(
      new Brackets((b) =>
        b
          .where(`${columns.time} < :cAt`, { cAt: cursor.createdAt })
          .orWhere(`${columns.time} = :cAt AND ${columns.id} < :cId`, { cId: cursor.id }),
      ),
    );
  }
  const rows = await q
    .orderBy(columns.time, 'DESC')
    .addOrderBy(columns.id, 'DESC')
    .take(limit + 1)
    .getMany();
  const items = rows.slice(0, limit).map(map);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
