/** Time is injected so tests can control it; production uses wall-clock milliseconds. */
export abstract class Clock {
  abstract now(): number;
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}
