// In-process verification throughput: sigstore-ts's Verifier against sigstore-js's
// @sigstore/verify Verifier on the same bundles, one thread, alternating rounds.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);

/**
 * A verification case: bundle JSON text, the artifact bytes, the expected identity and issuer,
 * and the trusted root JSON text (cases sharing a root share one verifier).
 */
export function loadCase({ bundle, artifact, identity, issuer, trustedRoot }) {
  return { bundleText: readFileSync(bundle, 'utf8'), artifact: readFileSync(artifact), identity, issuer, rootText: readFileSync(trustedRoot, 'utf8') };
}

/** sigstore-ts: one Verifier per trusted root, the bundle parsed from text each time. */
export async function tsVerifier(dist) {
  const lib = await import(`${dist}/index.js`);
  const verifiers = new Map();
  return async (c) => {
    let v = verifiers.get(c.rootText);
    if (!v) {
      v = new lib.Verifier(lib.parseTrustedRoot(c.rootText));
      verifiers.set(c.rootText, v);
    }
    await v.verify(c.bundleText, { data: c.artifact }, new lib.Identity({ identity: c.identity, issuer: c.issuer }));
  };
}

/** sigstore-js: one Verifier per trusted root (as sigstore's own verify() builds it), same work. */
export function jsVerifier() {
  const { bundleFromJSON } = require('@sigstore/bundle');
  const { TrustedRoot } = require('@sigstore/protobuf-specs');
  const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
  const verifiers = new Map();
  return async (c) => {
    let v = verifiers.get(c.rootText);
    if (!v) {
      v = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(c.rootText))));
      verifiers.set(c.rootText, v);
    }
    const entity = toSignedEntity(bundleFromJSON(JSON.parse(c.bundleText)), c.artifact);
    v.verify(entity, { subjectAlternativeName: c.identity, extensions: { issuer: c.issuer } });
  };
}

/** Runs every case through each verifier, alternating rounds; ms per bundle for each round. */
export async function alternateRounds(verifiers, cases, rounds) {
  const out = Object.fromEntries(Object.keys(verifiers).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    const names = Object.keys(verifiers);
    if (r % 2) names.reverse();
    for (const n of names) {
      const t0 = performance.now();
      for (const c of cases) await verifiers[n](c);
      out[n].push((performance.now() - t0) / cases.length);
    }
  }
  return out;
}
