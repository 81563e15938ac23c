/**
 * errno codes of listen() that say something about the port pair itself: another socket holds
 * it, or it is privileged. Any other (EADDRNOTAVAIL: the bind address is not up yet;
 * EMFILE/ENFILE: out of descriptors; ...) is about the host, and would fail on every pair.
 */
const PAIR_CODES: ReadonlySet<string> = new Set(['EADDRINUSE', 'EACCES']);

/** listen() failed on one port of a pair; the other half has already been closed. */
export class BindError extends Error {
  constructor(
    readonly port: number,
    /** errno code such as EADDRINUSE or EACCES */
    readonly code: string,
    cause?: unknown,
  ) {
    super(`cannot listen on port ${port}: ${code}`, { cause });
    this.name = 'BindError';
  }

  /** True when the pair is to blame (quarantine it, try another); false when the host is. */
  get aboutThePair(): boolean {
    return PAIR_CODES.has(this.code);
  }
}

/** A listen() error that quarantining the pair would not cure: it is about the host (address, descriptors). */
export function isHostListenError(err: unknown): err is BindError {
  return err instanceof BindError && !err.aboutThePair;
}
