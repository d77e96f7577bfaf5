import { describe, expect, it } from 'vitest';
import { LatestOnly } from './latest';

/** A request whose reply the test releases by hand, in any order. */
function deferred<T>() {
  let release!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (release = resolve));
  return { promise, release };
}

describe('LatestOnly', () => {
  it('drops a reply overtaken by a newer request, whatever order they finish in', async () => {
    const latest = new LatestOnly();
    const slow = deferred<string>();
    const fast = deferred<string>();
    const first = latest.run(() => slow.promise);
    const second = latest.run(() => fast.promise);
    fast.release('newer');
    slow.release('older');
    expect(await second).toEqual({ stale: false, value: 'newer' });
    expect(await first).toEqual({ stale: true });
  });

  it('keeps a reply no other request overtook', async () => {
    const latest = new LatestOnly();
    expect(await latest.run(async () => 1)).toEqual({ stale: false, value: 1 });
    expect(await latest.run(async () => 2)).toEqual({ stale: false, value: 2 });
  });

  it('passes a failure on to the caller', async () => {
    const latest = new LatestOnly();
    await expect(latest.run(() => Promise.reject(new Error('locked')))).rejects.toThrow('locked');
  });
});
