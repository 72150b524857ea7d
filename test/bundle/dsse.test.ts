/**
 * DSSE envelopes for signing: the PAE, and an empty payload type refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEnvelope, pae } from '../../src/bundle/dsse.js';

describe('DSSE', () => {
  it('PAE is DSSEv1 with byte lengths', () => {
    assert.equal(pae('t€', Buffer.from('ab')).toString(), 'DSSEv1 4 t€ 2 ab');
  });
  it('an empty payload type is refused; any other is signed over its PAE', () => {
    assert.throws(() => createEnvelope('', Buffer.from('{}'), (d) => d), TypeError);
    const env = createEnvelope('text/plain', Buffer.from('x'), (d) => Buffer.from(d));
    assert.equal(env.signature.toString(), 'DSSEv1 10 text/plain 1 x');
  });
});
