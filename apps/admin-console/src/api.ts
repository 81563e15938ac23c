/**
 * Every call to /api/v1 goes through here: the bearer token (kept in sessionStorage, this tab
 * only) is sent on each one; a 401 forgets it and asks for a token again, then retries.
 */
const TOKEN_KEY = 'portledger.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string } | null,
  ) {
    super(body?.message ?? body?.error ?? `HTTP ${status}`);
  }
}

type TokenPrompt = (why: string) => Promise<string>;
let prompt: TokenPrompt = () => Promise.reject(new Error('no token prompt'));
let pendingPrompt: Promise<string> | null = null;

export function onTokenNeeded(p: TokenPrompt): void {
  prompt = p;
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Asks once even when several calls meet a 401 at the same time. */
async function askForToken(why: string): Promise<void> {
  pendingPrompt ??= prompt(why).finally(() => (pendingPrompt = null));
  sessionStorage.setItem(TOKEN_KEY, await pendingPrompt);
}

export async function api<T>(method: string, path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const url = `/api/v1${path}${qs.size ? `?${qs.toString()}` : ''}`;
  for (;;) {
    const sent = token();
    const res = await fetch(url, { method, headers: sent ? { authorization: `Bearer ${sent}` } : {} });
    if (res.status === 401) {
      forgetToken();
      await askForToken(sent ? 'That token was refused. Enter a valid one.' : 'This service needs a bearer token (one of AUTH_TOKENS).');
      continue;
    }
    const body = (await res.json().catch(() => null)) as unknown;
    if (!res.ok) throw new ApiError(res.status, body as ApiError['body']);
    return body as T;
  }
}
