// A fixed amount of in-process verification in one process: run once alone and twice at once, it
// shows how far this machine's two cores scale for this work with no coordination overhead at
// all (the ceiling for any batch API). With no argument: the 5 conformance bundles, 100 times
// each. With a JSON file { trustedRoot, identity, issuer, items: [{ bundle, artifact }], rounds }
// (paths): those bundles, `rounds` times each, so the ceiling is measured on the same work as the
// batch it is compared with.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const lib = await import(join(ROOT, 'dist/index.js'));
const C = join(ROOT, 'test/fixtures/conformance');
const names = ['happy-path-v0.1', 'happy-path-v0.2', 'happy-path-v0.3', 'happy-path-v0.3-new-mediaType', 'happy-path-intoto-in-dsse-v3'];
const spec = process.argv[2]
  ? JSON.parse(readFileSync(process.argv[2], 'utf8'))
  : {
      trustedRoot: join(ROOT, 'trust/production/trusted_root.json'),
      identity: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
      issuer: 'https://token.actions.githubusercontent.com',
      items: names.map((n) => ({ bundle: join(C, n, 'bundle.sigstore.json'), artifact: join(C, 'a.txt') })),
      rounds: 100,
    };
const verifier = new lib.Verifier(lib.parseTrustedRoot(readFileSync(spec.trustedRoot, 'utf8')));
const items = spec.items.map((i) => ({ bundle: readFileSync(i.bundle, 'utf8'), artifact: { data: readFileSync(i.artifact) } }));
const policy = new lib.Identity({ identity: spec.identity, issuer: spec.issuer });
for (let i = 0; i < spec.rounds; i++) for (const b of items) await verifier.verify(b.bundle, b.artifact, policy);
