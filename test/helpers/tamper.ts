/**
 * Helpers for the tests that flip a check: a tampered copy of some bytes, and the assertion that
 * a verification step refuses it.
 */
import assert from 'node:assert/strict';
import { VerificationError, type VerificationStep } from '../../src/errors.js';

/** Asserts that `f` throws a VerificationError at `step`, with `code` and a message matching `message` when given. */
export function rejectsAt(step: VerificationStep, f: () => unknown, code?: string, message?: RegExp): VerificationError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof VerificationError, `expected a VerificationError, got ${err === undefined ? 'success' : String(err)}`);
  assert.equal(err.step, step);
  if (code) assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return err;
}

/** A copy of `buf` with the byte at `offset` XORed with `mask` (the input is left as it is). */
export function flip(buf: Buffer, offset: number, mask = 0x01): Buffer {
  const out = Buffer.from(buf);
  out[offset]! ^= mask;
  return out;
}
