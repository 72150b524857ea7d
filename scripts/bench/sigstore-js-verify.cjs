// sigstore-js doing what `sigstore verify identity --bundle B --trusted-root R FILE` does: its
// @sigstore/verify behind a small script (as the sigstore package's verify() does it, without
// TUF). The artifact is read whole with fs.readFileSync, as sigstore-js takes it: one buffer.
//   node sigstore-js-verify.cjs BUNDLE ARTIFACT TRUSTED_ROOT IDENTITY ISSUER
const { readFileSync } = require('node:fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [bundlePath, artifactPath, rootPath, identity, issuer] = process.argv.slice(2);
try {
  const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, 'utf8'))));
  const entity = toSignedEntity(bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8'))), readFileSync(artifactPath));
  new Verifier(trust).verify(entity, { subjectAlternativeName: identity, extensions: { issuer } });
  process.stderr.write(`OK: ${artifactPath}\n`);
} catch (e) {
  process.stderr.write(`FAIL: ${artifactPath}: ${e.code ?? ''} ${e.message}\n`);
  process.exitCode = 1;
}
