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

export function decodeCursor(text: string): HistoryCursor | null {
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  const m = /^(\d{1,16}):([A-Za-z0-9-]{1,64})$/.exec(raw);
  return m ? { createdAt: Number(m[1]), id: m[2] } : null;
}
