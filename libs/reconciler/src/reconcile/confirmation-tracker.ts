interface Sighting {
  firstSeen: number;
  passes: number;
  lastPass: number;
  fromOs: boolean;
}

/**
 * The two-pass guard: remembers which racy findings were seen in the previous pass. A finding
 * counts as confirmed when it was seen in `passes` passes *in a row* — one pass without it
 * forgets it. Findings that a pass could not observe at all (OS-based ones while the OS view is
 * untrusted) are carried over unchanged instead of forgotten.
 */
export class ConfirmationTracker {
  private readonly seen = new Map<string, Sighting>();
  private pass = 0;

  begin(): void {
    this.pass++;
  }

  /** Records a sighting in the current pass; returns how many passes in a row and since when. */
  observe(key: string, now: number, fromOs: boolean): { passes: number; firstSeen: number } {
    const s = this.seen.get(key);
    if (s && s.lastPass === this.pass) return s;
    if (s && s.lastPass === this.pass - 1) {
      s.passes++;
      s.lastPass = this.pass;
      return s;
    }
    const fresh = { firstSeen: now, passes: 1, lastPass: this.pass, fromOs };
    this.seen.set(key, fresh);
    return fresh;
  }

  /** Forgets a finding once it has been acted on: if it comes back, it starts again. */
  forget(key: string): void {
    this.seen.delete(key);
  }

  /** Ends the pass: drops what was not seen, except OS-based sightings when `osUnobservable`. */
  end(osUnobservable: boolean): void {
    for (const [key, s] of this.seen) {
      if (s.lastPass === this.pass) continue;
      if (osUnobservable && s.fromOs && s.lastPass === this.pass - 1) s.lastPass = this.pass;
      else this.seen.delete(key);
    }
  }

  get size(): number {
    return this.seen.size;
  }
}
