/**
 * VerifierPool refusals that need no worker: a pool without workers or the calling thread, and
 * worker counts that are not counts.
 */
import { describe, it } from 'node:test';
import { VerifierPool } from '../../src/verify/pool.js';
import { ForgedPki } from '../helpers/forge.js';
import { refusedWith } from '../helpers/verify.js';

const trust = new ForgedPki().trust();

describe('VerifierPool.start', () => {
  it('USAGE: no worker and not the calling thread, a negative or fractional count', async () => {
    await refusedWith(() => VerifierPool.start(trust, { workers: 0, callingThread: false }), 'USAGE', /at least one worker/);
    await refusedWith(() => VerifierPool.start(trust, { workers: -1, callingThread: true }), 'USAGE');
    await refusedWith(() => VerifierPool.start(trust, { workers: 1.5, callingThread: true }), 'USAGE');
  });

  it('zero workers with the calling thread is a pool', async () => {
    const pool = await VerifierPool.start(trust, { workers: 0, callingThread: true });
    await pool.close();
  });
});
