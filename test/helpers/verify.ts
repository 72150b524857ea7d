/**
 * Assertions for crafted-input tests: a verification must be refused at one step with one code.
 */
import assert from 'node:assert/strict';
import { SigstoreError, VerificationError, type VerificationStep } from '../../src/errors.js';
import type { KeyPolicy } from '../../src/verify/verifier.js';
import { Verifier } from '../../src/verify/verifier.js';
import type { VerificationPolicy } from '../../src/verify/policy.js';
import type { TrustMaterial } from '../../src/trust/trusted-root.js';
import type { Artifact } from '../../src/verify/types.js';
import type { Forged } from './forge.js';

/** Asserts `p` rejects with a VerificationError at `step` with `code` (and a message matching `message`). */
export async function refusedAt(p: Promise<unknown>, step: VerificationStep, code: string, message?: RegExp): Promise<VerificationError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof VerificationError, `expected a VerificationError ${code}, got ${err === undefined ? 'success' : String(err)}`);
  assert.equal(err.code, code, `${err.step}: ${err.message}`);
  assert.equal(err.step, step, err.message);
  if (message) assert.match(err.message, message);
  return err;
}

/** Asserts `f` throws (or rejects with) a SigstoreError with `code`. */
export async function refusedWith(f: () => unknown, code: string, message?: RegExp): Promise<SigstoreError> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof SigstoreError, `expected a SigstoreError ${code}, got ${err === undefined ? 'success' : String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return err;
}

/** Verifies a forged bundle (its own artifact and policy unless given). */
export function verifyForged(
  trust: TrustMaterial,
  b: Forged,
  o: { artifact?: Artifact; policy?: VerificationPolicy | KeyPolicy; now?: Date } = {},
): Promise<unknown> {
  return new Verifier(trust, o.now ? { now: o.now } : {}).verify(b.text, o.artifact ?? { data: b.artifact }, o.policy ?? b.policy);
}
