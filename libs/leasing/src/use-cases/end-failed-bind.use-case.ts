import { BindError } from '@app/gateway';
import type { Lease } from '@app/ledger';
import { Injectable } from '@nestjs/common';
import { endCause } from '../domain/end-causes';
import { QuarantinePairUseCase } from './quarantine-pair.use-case';
import { ReleaseLeaseUseCase } from './release-lease.use-case';

export interface BindFailure {
  port: number;
  code: string;
}

/**
 * A listen() that failed (EADDRINUSE, EACCES) at allocation or at resume: the pair is
 * quarantined with the port and errno it hit, and the lease ends `failed`/`bind-failed`
 * through the one release routine (the real listen() is the only test of a port:
 * docs/ARCHITECTURE.md#invariants, rule 2).
 */
@Injectable()
export class EndFailedBindUseCase {
  constructor(
    private readonly quarantine: QuarantinePairUseCase,
    private readonly release: ReleaseLeaseUseCase,
  ) {}

  async end(lease: Lease, err: unknown, when: 'allocation' | 'resume'): Promise<BindFailure> {
    const failure = bindFailureOf(err, lease.rtpPort);
    const { port, code } = failure;
    await this.quarantine.quarantine(port, when === 'resume' ? `bind-failed at resume: ${code}` : `bind-failed: ${code}`);
    await this.release.release(lease.id, endCause('bindFailed', { port, code, ...(when === 'resume' ? { atResume: true } : {}) }));
    return failure;
  }
}

export function bindFailureOf(err: unknown, fallbackPort: number): BindFailure {
  if (err instanceof BindError) return { port: err.port, code: err.code };
  return { port: fallbackPort, code: err instanceof Error ? err.message : String(err) };
}
