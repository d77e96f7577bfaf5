import { describe, expect, it } from 'vitest';
import { KEPT_PAGES, PagedList, type Page } from './pages.svelte';

/** A read whose reply the test releases by hand, in any order. */
function deferred<T>() {
  let release!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (release = resolve));
  return { promise, release };
}

const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('PagedList', () => {
  it('keeps the newest start when an older one answers last', async () => {
    const replies: ReturnType<typeof deferred<Page<number>>>[] = [];
    const list = new PagedList<number>(10, () => {
      const reply = deferred<Page<number>>();
      replies.push(reply);
      return reply.promise;
    }, String);
    const older = list.reset();
    const newer = list.reset();
    replies[1].release({ total: 3, items: [7, 8, 9] });
    await newer;
    replies[0].release({ total: 100, items: rows(0, 10) });
    await older;
    expect(list.total).toBe(3);
    expect(list.row(0)).toBe(7);
  });

  it('reads a page when one of its rows is drawn, once, and the neighbouring page it is nearer to', async () => {
    const asked: number[] = [];
    const list = new PagedList<number>(10, async (offset, limit) => {
      asked.push(offset);
      return { total: 45, items: rows(offset, Math.min(limit, 45 - offset)) };
    }, String);
    await list.reset();
    expect(list.row(22)).toBeUndefined();
    expect(list.row(23)).toBeUndefined();
    await settle();
    expect(list.row(22)).toBe(22);
    expect(asked).toEqual([0, 20, 10]); // and page 1, before row 22
    expect(list.row(26)).toBe(26);
    await settle();
    expect(asked).toEqual([0, 20, 10, 30]); // read before any of its rows is drawn
    expect(list.row(30)).toBe(30);
    list.row(45 - 1);
    await settle();
    expect(asked).toEqual([0, 20, 10, 30, 40]); // nothing beyond the last page
  });

  it('shows why a read failed and asks again next time', async () => {
    let fail = true;
    const list = new PagedList<number>(10, async (offset) => {
      if (fail && offset > 0) throw new Error('vault busy');
      return { total: 20, items: rows(offset, 10) };
    }, (error) => (error as Error).message);
    await list.reset();
    list.row(15);
    await settle();
    expect(list.failure).toBe('vault busy');
    fail = false;
    list.row(15);
    await settle();
    expect(list.row(15)).toBe(15);
    expect(list.failure).toBeNull();
  });

  it('re-reads after a change only the pages still drawn, showing the old rows meanwhile', async () => {
    const asked: number[] = [];
    let base = 0;
    const list = new PagedList<number>(10, async (offset, limit) => {
      asked.push(offset);
      return { total: 30, items: rows(base + offset, limit) };
    }, String);
    await list.reset();
    list.row(25);
    await settle();
    asked.length = 0;
    base = 100;
    list.refresh();
    expect(list.row(3)).toBe(3); // the old row until the new read is in
    await settle();
    expect(list.row(3)).toBe(103);
    expect(asked).toEqual([0]); // page 2 was read before, but is not drawn now
  });

  it('keeps only the pages nearest the one drawn, reading a dropped one again when drawn', async () => {
    const asked: number[] = [];
    const list = new PagedList<number>(10, async (offset, limit) => {
      asked.push(offset / 10);
      return { total: 1000, items: rows(offset, limit) };
    }, String);
    await list.reset();
    // Scrolled from the top to the end, a page at a time.
    for (let page = 0; page < 100; page += 1) {
      list.row(page * 10);
      await settle();
    }
    expect(list.row(990)).toBe(990);
    expect(list.row(985 - KEPT_PAGES * 10)).toBeUndefined(); // let go: asked for again
    await settle();
    expect(asked.filter((page) => page === 98 - KEPT_PAGES)).toHaveLength(2);
    expect(list.row(0)).toBeUndefined();
    await settle();
    expect(list.row(0)).toBe(0);
  });

  it('learns the total again after a change even when no row is drawn', async () => {
    let total = 0;
    const list = new PagedList<number>(10, async (offset, limit) => ({
      total,
      items: rows(offset, Math.min(limit, total - offset)),
    }), String);
    await list.reset();
    expect(list.total).toBe(0);
    total = 1;
    list.refresh();
    await settle();
    expect(list.total).toBe(1);
  });
});
