/**
 * Policies on a forged leaf: AnyOf passes errors that are not policy refusals through untouched;
 * Fulcio extension OIDs by field name.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { Certificate } from '../../src/lib/x509.js';
import { certificateSigner, fulcioOid } from '../../src/verify/extensions.js';
import { AnyOf, ExtensionPolicy, Identity, type VerificationPolicy } from '../../src/verify/policy.js';
import { FORGED_IDENTITY, FORGED_ISSUER, ForgedPki } from '../helpers/forge.js';

const pki = new ForgedPki();
const signer = certificateSigner(new Certificate(pki.leaf(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey)));

describe('policies', () => {
  it('AnyOf: an error that is not a policy refusal propagates as it is', () => {
    const broken: VerificationPolicy = {
      check: () => {
        throw new TypeError('broken policy');
      },
      describe: () => 'broken',
    };
    assert.throws(() => new AnyOf([broken, new Identity({ identity: FORGED_IDENTITY, issuer: FORGED_ISSUER })]).check(signer), TypeError);
  });

  it('the forged signer matches its identity and issuer', () => {
    new Identity({ identity: FORGED_IDENTITY, issuer: FORGED_ISSUER }).check(signer);
    new ExtensionPolicy('issuer', { regexp: 'https://issuer\\.forged\\.test' }).check(signer);
  });

  it('fulcioOid: the OID of each Fulcio extension field (issuer is 1.8, not the legacy 1.1)', () => {
    assert.equal(fulcioOid('issuer'), '1.3.6.1.4.1.57264.1.8');
    assert.equal(fulcioOid('githubWorkflowTrigger'), '1.3.6.1.4.1.57264.1.2');
    assert.equal(fulcioOid('sourceRepositoryURI'), '1.3.6.1.4.1.57264.1.12');
    assert.equal(fulcioOid('sourceRepositoryVisibilityAtSigning'), '1.3.6.1.4.1.57264.1.22');
  });
});
