/**
 * Room for packet copies that must outlive the call that delivered them (a packet that
 * straddled two socket reads lives in the deframer's reused frame buffer; a packet without
 * an RFC 4571 prefix in front of it needs one). Copies are laid end to end in one 64 KiB
 * slab, so a run of them is written with one Buffer and no allocation per packet; a full slab
 * is replaced, never reused, because writes still queued in a socket may point into it.
 */
export class PacketSlab {
  buf: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly size = 64 * 1024) {}

  /** Reserves `n` bytes of `this.buf` (read `buf` after the call) and returns where they start. */
  reserve(n: number): number {
    if (this.offset + n > this.buf.length) {
      this.buf = Buffer.allocUnsafe(Math.max(this.size, n));
      this.offset = 0;
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }
}
