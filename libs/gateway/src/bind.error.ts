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
}
