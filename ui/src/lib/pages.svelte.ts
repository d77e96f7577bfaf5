// A long list read a page at a time: the inventory and the audit log. The list knows its total
// at once (so a virtual list can size its scrollbar), asks for a page when one of its rows is
// about to be drawn (and for the neighbouring page nearest to it), and keeps the pages nearest
// the one drawn last: scrolling through 100,000 rows holds a few thousand, not all of them.
// Starting over (new filters) keeps the old rows on screen until the new first page is in, and
// a reply to an older start is dropped; reading again after a change re-reads only the pages
// still drawn.

/** One page as a command returns it. */
export interface Page<T> {
  total: number;
  items: T[];
}

/** How many pages a list keeps: several screens either side of the one drawn. */
export const KEPT_PAGES = 12;

export class PagedList<T> {
  /** Rows the query selects, on every page. */
  total = $state(0);
  /** Whether the first page of the current query is in. */
  ready = $state(false);
  /** Why the last read failed, if it did. */
  failure = $state<string | null>(null);
  // Raw: a page is replaced whole, never changed in place, so its rows need no proxies.
  private pages = $state.raw<Record<number, T[]>>({});
  /** The pages before a refresh, shown until their new reads are in. */
  private stale = $state.raw<Record<number, T[]>>({});
  /** Pages asked for and not yet in, of the current generation. */
  private asked = new Set<number>();
  private generation = 0;
  /** The page drawn last: the pages farthest from it are the first let go. */
  private drawn = 0;

  constructor(
    readonly pageSize: number,
    private readonly read: (offset: number, limit: number) => Promise<Page<T>>,
    private readonly describe: (error: unknown) => string,
  ) {}

  /**
   * Starts over from the first page (new filters or order). Resolves once it is shown, true;
   * or false when a newer start or a failed read came first.
   */
  async reset(): Promise<boolean> {
    const generation = ++this.generation;
    this.asked.clear();
    const first = await this.fetch(0, generation);
    if (!first) return false;
    this.pages = { 0: first.items };
    this.stale = {};
    this.total = first.total;
    this.ready = true;
    return true;
  }

  /**
   * Reads again, after a change, the first page (for the total, even when no row is drawn)
   * and the pages drawn from now on: they keep their old rows until the new ones are in;
   * pages read earlier and no longer drawn are dropped, not re-read.
   */
  refresh() {
    this.generation += 1;
    this.asked.clear();
    this.stale = this.nearest({ ...this.stale, ...this.pages });
    this.pages = {};
    this.load(0);
  }

  /**
   * The row at `index`, or undefined while its page is read (asking for it). The neighbouring
   * page the row is nearer to is asked for too, so that scrolling on finds it read already
   * instead of drawing placeholders and then every row again.
   */
  row(index: number): T | undefined {
    const number = Math.floor(index / this.pageSize);
    this.drawn = number;
    this.load(number);
    const neighbour = index % this.pageSize < this.pageSize / 2 ? number - 1 : number + 1;
    if (neighbour >= 0 && neighbour * this.pageSize < this.total) this.load(neighbour);
    return (this.pages[number] ?? this.stale[number])?.[index % this.pageSize];
  }

  /** Asks for page `number` unless it is in or asked for already. */
  private load(number: number) {
    if (number in this.pages || this.asked.has(number)) return;
    this.asked.add(number);
    const generation = this.generation;
    // Not awaited here: `row` is called while drawing, and state changes only once it is in.
    void this.fetch(number, generation).then((reply) => {
      if (!reply) return;
      this.pages = this.nearest({ ...this.pages, [number]: reply.items });
      delete this.stale[number];
      this.total = reply.total;
    });
  }

  /** The `KEPT_PAGES` of `pages` nearest the page drawn last; the others are read again if drawn again. */
  private nearest(pages: Record<number, T[]>): Record<number, T[]> {
    const numbers = Object.keys(pages).map(Number);
    if (numbers.length <= KEPT_PAGES) return pages;
    const distance = (number: number) => Math.abs(number - this.drawn);
    numbers.sort((a, b) => distance(a) - distance(b));
    for (const number of numbers.slice(KEPT_PAGES)) this.asked.delete(number);
    return Object.fromEntries(numbers.slice(0, KEPT_PAGES).map((number) => [number, pages[number]]));
  }

  /** A page, or null when a newer generation started meanwhile or the read failed. */
  private async fetch(number: number, generation: number): Promise<Page<T> | null> {
    try {
      const reply = await this.read(number * this.pageSize, this.pageSize);
      if (generation !== this.generation) return null;
      this.failure = null;
      return reply;
    } catch (error) {
      if (generation === this.generation) {
        this.failure = this.describe(error);
        this.asked.delete(number);
      }
      return null;
    }
  }
}
