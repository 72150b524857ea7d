/**
 * Every error code the verification sources can throw (src/verify, src/bundle, src/lib/der.ts,
 * x509.ts, cms.ts) is asserted, by code, by at least one test: a new code without a crafted-input
 * test fails here. There is no allow-list: a code no input can reach is dead code to delete.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeHelpers, collectAssertedCodes, collectThrownCodes, thrownCodes } from '../helpers/error-codes.js';

describe('error codes', () => {
  it('the scanner finds codes in every pattern the sources use', () => {
    const src = `
      function fail(code: string, message: string): never { throw new VerificationError('tlog', code, message); }
      const note = (r: number, c: string, reason: string): void => { if (r) code = c; };
      class C { fail(code: string, m: string): never { throw new UsageError(code, m); } }
      fail('A_CODE', 'x');
      this.fail('METHOD_CODE', 'x');
      note(2, 'NOTE_CODE', 'x');
      throw new VerificationError('body', 'CTOR_CODE', 'x');
      throw new UsageError('USAGE', 'x');
      return { rank: 0, code: 'ATTEMPT_CODE', message: 'x' };
      let code = 'INITIAL_CODE';
      // fail('COMMENTED_CODE', 'x');
      el.expect(Tag.BOOLEAN, 'BOOLEAN');
      const h = { SHA2_256: 'sha256' }[x] ?? 'SHA2_384';
    `;
    assert.deepEqual([...codeHelpers(src)].sort(), ['fail', 'note']);
    assert.deepEqual(
      thrownCodes(src).map((c) => c.code).sort(),
      ['ATTEMPT_CODE', 'A_CODE', 'CTOR_CODE', 'INITIAL_CODE', 'METHOD_CODE', 'NOTE_CODE', 'USAGE'],
    );
  });

  it('finds the codes of the verification sources', () => {
    const codes = new Set(collectThrownCodes().map((c) => c.code));
    // A sample from each kind of throw site, so the scan cannot silently find nothing.
    for (const c of ['BUNDLE_INVALID', 'TLOG_INCLUSION_PROOF_INVALID', 'SCT_UNTRUSTED_LOG', 'TIMESTAMP_SIGNER_NOT_FOUND', 'NO_POLICY', 'BODY_KEY_MISMATCH', 'POLICY_NONE_MATCHED']) {
      assert.ok(codes.has(c), `${c} is found`);
    }
    assert.ok(codes.size >= 70, `${codes.size} codes`);
  });

  it('every thrown code is asserted by at least one test', () => {
    const thrown = collectThrownCodes();
    const asserted = collectAssertedCodes(undefined, ['test/verify/error-codes.test.ts', 'test/helpers/error-codes.ts']);
    const missing = [...new Set(thrown.map((t) => t.code))]
      .filter((c) => !asserted.has(c))
      .map((c) => `${c} (${thrown.filter((t) => t.code === c).map((t) => `${t.file}:${t.line}`).join(', ')})`);
    assert.deepEqual(missing, [], `codes no test asserts:\n  ${missing.join('\n  ')}`);
  });
});
