/**
 * Room for packet copies that must outlive the call that delivered them. Copies are laid end
 * to end in one 64 KiB slab, so a run of them is written with one Buffer and no allocation per
 * packet. A full slab is replaced, never overwritten, because writes still queued in a socket
 * may point into it; its owner may `rewind()` it once it knows no write does.
 */
export class PacketSlab {
  buf: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly size = 64 * 1024) {}

  /**
   * Reserves `n` bytes of `this.buf` (read `buf` after the call) and returns where they start.
   * A full slab is replaced by one of `spare` (buffers the owner knows nothing points into any
   * more) when one is large enough, else by a new one.
   */
  reserve(n: number, spare?: Buffer[]): number {
    if (this.offset + n > this.buf.length) {
      const reused = spare?.pop();
      this.buf = reused !== undefined && reused.length >= n ? reused : Buffer.allocUnsafe(Math.max(this.size, n));
      this.offset = 0;
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  /** Bytes of `buf` reserved so far: the next reservation starts here when it fits. */
  get used(): number {
    return this.offset;
  }

  /** Reuses the slab from its start: only when nothing (a queued write, a view) still points into it. */
  rewind(): void {
    this.offset = 0;
  }
}
