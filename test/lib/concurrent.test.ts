/**
 * mapConcurrent: results in order, the limit is never exceeded, the first failure stops new
 * calls, and the ramp (slow start) opens the window on answers or, when none comes, on a timer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapConcurrent } from '../../src/lib/concurrent.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs fn under mapConcurrent, recording how many calls were in flight when each began. */
function tracked(delay: (i: number) => number) {
  let inFlight = 0;
  const atStart: number[] = [];
  const fn = async (x: number, i: number) => {
    atStart[i] = ++inFlight;
    await sleep(delay(i));
    inFlight--;
    return x * 2;
  };
  return { fn, atStart };
}

describe('mapConcurrent', () => {
  it('returns the results in order and never runs more than the limit', async () => {
    const { fn, atStart } = tracked((i) => (i * 7) % 5);
    const out = await mapConcurrent([...Array(40).keys()], 6, fn);
    assert.deepEqual(out, [...Array(40).keys()].map((x) => x * 2));
    assert.equal(Math.max(...atStart), 6);
  });

  it('starts no call after a failure, waits for the running ones, and throws the first error', async () => {
    let started = 0;
    let settled = 0;
    const err = await mapConcurrent([...Array(20).keys()], 4, async (i) => {
      started++;
      await sleep(i === 2 ? 1 : 20);
      settled++;
      if (i === 2) throw new Error('two');
      if (i === 3) throw new Error('three');
      return i;
    }).catch((e: Error) => e);
    assert.equal((err as Error).message, 'two');
    assert.equal(started, 4);
    assert.equal(settled, 4);
  });

  it('with a ramp, begins with `start` calls and opens one more beside each answer', async () => {
    const { fn, atStart } = tracked(() => 5);
    const out = await mapConcurrent([...Array(30).keys()], 8, fn, { start: 2, everyMs: 10_000 });
    assert.deepEqual(out, [...Array(30).keys()].map((x) => x * 2));
    assert.deepEqual(atStart.slice(0, 2), [1, 2]);
    // Answers double the window per round: 2, 4, 8, then it stays at the limit.
    assert.ok(Math.max(...atStart.slice(2, 6)) <= 4, `second round ${atStart.slice(2, 6)}`);
    assert.equal(Math.max(...atStart), 8);
  });

  it('with a ramp, doubles the window on the timer while no answer comes', async () => {
    const { fn, atStart } = tracked(() => 1000);
    await mapConcurrent([...Array(16).keys()], 16, fn, { start: 2, everyMs: 5 });
    // 2, 4, 8, 16 in flight after three ticks, long before the first answer.
    assert.deepEqual(atStart, [...Array(16).keys()].map((i) => i + 1));
  });

  it('handles empty lists and a ramp larger than the list', async () => {
    assert.deepEqual(await mapConcurrent([], 4, async (x: number) => x), []);
    assert.deepEqual(await mapConcurrent([1, 2], 8, async (x) => x + 1, { start: 32, everyMs: 1 }), [2, 3]);
  });
});
