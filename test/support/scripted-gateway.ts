import {
  LeaseEndingError,
  listeningPairView,
  type GatewayEventSink,
  type GatewayForwardView,
  type GatewayListenerView,
  type LeaseBinding,
  type MediaGateway,
} from '@app/gateway';

/** The part of MediaGateway that libs/leasing calls: what a stand-in has to answer. */
export type LeasingGatewaySurface = Pick<
  MediaGateway,
  | 'setEventSink'
  | 'open'
  | 'close'
  | 'closeForEnd'
  | 'ended'
  | 'isEnding'
  | 'closeAll'
  | 'disconnectDevice'
  | 'subscribe'
  | 'has'
  | 'isListening'
  | 'stats'
  | 'updateSsrc'
  | 'connect'
  | 'listeners'
  | 'forwards'
  | 'closeForwards'
  | 'size'
>;

/** What the next open() does; an open nobody scripted succeeds. */
type OpenStep = { fails: Error } | { succeeds: true; then?: (binding: LeaseBinding) => unknown };

/**
 * A gateway without sockets for medium tests of the leasing use cases, for the branches real
 * sockets cannot reach on demand: an open() that fails with a chosen error, or one that
 * succeeds and then runs a callback at the moment the listeners would be up (another writer
 * takes a pair, the ledger goes away) before the use case continues.
 *
 * It keeps the lease-ending rules of MediaGateway (open() refuses a lease from closeForEnd()
 * on, and an open that a closeForEnd() overtook ends in LeaseEndingError), and records every
 * open and close, so a test can say which sockets would be open. It has no media side: no
 * device ever connects, so stats() is null, subscribe() has nothing to join and close()
 * returns no final stats.
 */
export class ScriptedGateway implements LeasingGatewaySurface {
  /** every binding open() was asked for, in order (refused and failed ones included) */
  readonly opens: LeaseBinding[] = [];
  /** lease ids whose listeners were closed, in order */
  readonly closes: string[] = [];
  private readonly script: OpenStep[] = [];
  private readonly held = new Map<string, LeaseBinding>();
  private readonly ending = new Set<string>();
  private readonly over = new Set<string>();

  /** The next unscripted open() throws `error` with nothing left open. */
  failNextOpen(error: Error): this {
    this.script.push({ fails: error });
    return this;
  }

  /** The next unscripted open() opens the lease, then awaits `then` before it resolves. */
  succeedNextOpen(then?: (binding: LeaseBinding) => unknown): this {
    this.script.push({ succeeds: true, then });
    return this;
  }

  setEventSink(_sink: GatewayEventSink): void {
    // no sockets: nothing ever happens on them to report
  }

  async open(binding: LeaseBinding): Promise<void> {
    this.opens.push(binding);
    const id = binding.leaseId;
    if (this.ending.has(id) || this.over.has(id)) throw new LeaseEndingError(id);
    const step = this.script.shift() ?? { succeeds: true };
    if ('fails' in step) throw step.fails;
    this.held.set(id, { ...binding });
    await step.then?.(binding);
    if (this.ending.has(id)) throw new LeaseEndingError(id);
  }

  close(leaseId: string): Promise<null> {
    if (this.held.delete(leaseId)) this.closes.push(leaseId);
    return Promise.resolve(null);
  }

  closeForEnd(leaseId: string): Promise<null> {
    this.ending.add(leaseId);
    return this.close(leaseId);
  }

  ended(leaseId: string): void {
    if (this.ending.delete(leaseId)) this.over.add(leaseId);
  }

  isEnding(leaseId: string): boolean {
    return this.ending.has(leaseId);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((id) => this.close(id)));
  }

  disconnectDevice(): boolean {
    return false;
  }

  subscribe(): null {
    return null;
  }

  has(leaseId: string): boolean {
    return this.held.has(leaseId);
  }

  isListening(leaseId: string): boolean {
    return this.held.has(leaseId);
  }

  stats(): null {
    return null;
  }

  /** Records the device a tcp-active lease would dial; no socket. */
  connect(leaseId: string, address: string, port: number): 'dialling' | 'not-open' | 'wrong-transport' {
    const binding = this.held.get(leaseId);
    if (!binding) return 'not-open';
    if (binding.transport !== 'tcp-active') return 'wrong-transport';
    binding.peerAddress = address;
    binding.peerPort = port;
    return 'dialling';
  }

  updateSsrc(leaseId: string, ssrc: number | null): boolean {
    const binding = this.held.get(leaseId);
    if (binding) binding.ssrc = ssrc;
    return binding !== undefined;
  }

  listeners(): GatewayListenerView[] {
    return [...this.held.values()].map((b) => ({
      leaseId: b.leaseId,
      rtpPort: b.rtpPort,
      rtcpPort: b.rtcpPort,
      transport: b.transport,
      listening: true,
      connected: false,
      sockets: listeningPairView(b.rtpPort, b.rtcpPort),
    }));
  }

  /** scripted leases do not forward */
  forwards(): GatewayForwardView[] {
    return [];
  }

  closeForwards(): Promise<number> {
    return Promise.resolve(0);
  }

  get size(): number {
    return this.held.size;
  }
}
