// A fixed amount of in-process verification (the 5 conformance bundles, 100 times each) in one
// process: run once alone and twice at once, it shows how far this machine's two cores scale
// for this work with no coordination overhead at all (the ceiling for any batch API).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const lib = await import(join(ROOT, 'dist/index.js'));
const C = join(ROOT, 'test/fixtures/conformance');
const names = ['happy-path-v0.1', 'happy-path-v0.2', 'happy-path-v0.3', 'happy-path-v0.3-new-mediaType', 'happy-path-intoto-in-dsse-v3'];
const verifier = new lib.Verifier(lib.parseTrustedRoot(readFileSync(join(ROOT, 'trust/production/trusted_root.json'), 'utf8')));
const artifact = { data: readFileSync(join(C, 'a.txt')) };
const bundles = names.map((n) => readFileSync(join(C, n, 'bundle.sigstore.json'), 'utf8'));
const policy = new lib.Identity({
  identity: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
});
for (let i = 0; i < 100; i++) for (const b of bundles) await verifier.verify(b, artifact, policy);
