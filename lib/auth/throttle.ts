// Login throttling: after too many failed attempts for one username within a window, further attempts are
// refused until the window passes (slows online password guessing; bcrypt already slows offline guessing).
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly maxFailures = 5, private readonly windowMs = 5 * 60_000) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds until another attempt is allowed (0 = allowed now). */
  retryAfter(username: string, now = Date.now()): number {
    const list = this.recent(username.toLowerCase(), now);
    if (list.length < this.maxFailures) return 0;
    return Math.ceil((list[0]! + this.windowMs - now) / 1000);
  }

  fail(username: string, now = Date.now()): void {
    const key = username.toLowerCase();
    this.failures.set(key, [...this.recent(key, now), now]);
  }

  succeed(username: string): void {
    this.failures.delete(username.toLowerCase());
  }
}

const holder = globalThis as unknown as { __groundtrackLoginThrottle?: LoginThrottle };

/** The process-wide throttle (shared across route bundles). */
export function loginThrottle(): LoginThrottle {
  holder.__groundtrackLoginThrottle ??= new LoginThrottle();
  return holder.__groundtrackLoginThrottle;
}
