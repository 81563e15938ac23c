import { randomUUID } from 'node:crypto';

/** Lease ids are injected so tests can make them predictable. */
export abstract class IdGenerator {
  abstract next(): string;
}

export class UuidGenerator extends IdGenerator {
  next(): string {
    return randomUUID();
  }
}
