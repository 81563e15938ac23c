import { createHash, timingSafeEqual } from 'node:crypto';

/** The 401 body, the same whether the front door or the route guard refuses. */
export const UNAUTHORIZED_BODY = {
  statusCode: 401,
  error: 'unauthorized',
  message: 'a valid Authorization: Bearer <token> header is required',
} as const;

/**
 * AUTH_TOKENS, held as SHA-256 digests and compared with timingSafeEqual: constant time, and
 * the equal-length requirement never leaks a token's length.
 */
export class BearerTokens {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  /** false when AUTH_TOKENS is unset (loopback only): then nothing asks for a token. */
  get required(): boolean {
    return this.digests.length > 0;
  }

  /** Whether an Authorization header value carries one of the tokens. */
  accepts(authorization: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return false;
    const given = digest(m[1]);
    let ok = false;
    // every digest is compared, so the time taken does not tell which token matched
    for (const d of this.digests) ok = timingSafeEqual(d, given) || ok;
    return ok;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
