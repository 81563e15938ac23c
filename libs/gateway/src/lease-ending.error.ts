/**
 * open() was asked for a lease whose release has begun (or has ended): no socket may outlive
 * its lease, so nothing is opened. The caller lets the release routine have the last word.
 */
export class LeaseEndingError extends Error {
  constructor(readonly leaseId: string) {
    super(`lease ${leaseId} is ending; its listeners are not opened`);
    this.name = 'LeaseEndingError';
  }
}
