import { createHash, timingSafeEqual } from 'node:crypto';

/** ZLMediaKit's msg for -100 (API::AuthException). */
export const INCORRECT_SECRET = 'Incorrect secret';

/**
 * ZLM_API_SECRET, as a digest compared in constant time. A missing secret fails the same way
 * as a wrong one (ZLMediaKit's -100), so a caller without it learns nothing else.
 */
export class ZlmSecret {
  private readonly digest: Buffer;

  constructor(secret: string) {
    this.digest = digest(secret);
  }

  accepts(given: string | undefined): boolean {
    return !!given && timingSafeEqual(digest(given), this.digest);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
