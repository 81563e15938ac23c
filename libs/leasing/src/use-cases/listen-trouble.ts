import { Injectable } from '@nestjs/common';
import { Clock } from '../domain/clock';

export interface HostListenError {
  port: number;
  code: string;
  at: number;
}

/** How long a listen() error about the host is reported after it happened, without a later success. */
const REPORT_FOR_MS = 60_000;

/**
 * The last listen() error that was not about a pair (EADDRNOTAVAIL, EMFILE, ...), for /health:
 * such an error fails every allocation, so it is reported until a listen() succeeds again or a
 * minute passes without another one.
 */
@Injectable()
export class ListenTrouble {
  private last: HostListenError | null = null;

  constructor(private readonly clock: Clock) {}

  failed(port: number, code: string): void {
    this.last = { port, code, at: this.clock.now() };
  }

  succeeded(): void {
    this.last = null;
  }

  /** The error, while it is recent; null when listening works (as far as anyone tried). */
  current(): HostListenError | null {
    if (this.last && this.clock.now() - this.last.at > REPORT_FOR_MS) this.last = null;
    return this.last;
  }
}
