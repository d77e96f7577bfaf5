// Overlapping requests for the same view: only the newest one's reply may be shown. A reply
// that comes back after a newer request started (a slow search overtaken by the next
// keystroke) is dropped, so an older answer never overwrites a newer one.

/** What [`LatestOnly.run`] resolves with: the reply, or word that it was overtaken. */
export type Outcome<T> = { stale: false; value: T } | { stale: true };

export class LatestOnly {
  private started = 0;

  /** Runs `request`; its reply is `stale` when another request started after it. */
  async run<T>(request: () => Promise<T>): Promise<Outcome<T>> {
    const ticket = ++this.started;
    const value = await request();
    return ticket === this.started ? { stale: false, value } : { stale: true };
  }
}
