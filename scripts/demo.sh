#!/usr/bin/env bash
# The README's main job: a complete Sigstore round trip with no network. Starts the local
# Sigstore instance on 127.0.0.1, signs a file with an identity token from its OIDC provider,
# verifies the bundle, and shows what was verified. Everything lives in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
S=./bin/sigstore
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sigstore-ts-demo.XXXXXX")
IDENTITY=demo@example.com
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "sigstore instance serve --data-dir $WORK/instance --port 0 --identity $IDENTITY &"
$S instance serve --data-dir "$WORK/instance" --port 0 --identity "$IDENTITY" > "$WORK/instance.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 200); do
  [ -s "$WORK/instance/trust_config.json" ] && break
  kill -0 $PID 2>/dev/null || { cat "$WORK/instance.log"; exit 1; }
  sleep 0.05
done
[ -s "$WORK/instance/trust_config.json" ] || { echo "the instance did not start" >&2; cat "$WORK/instance.log"; exit 1; }
head -n 20 "$WORK/instance.log"

ISSUER=$(node -e 'const c=require(process.argv[1]);process.stdout.write(c.signingConfig.oidcUrls[0].url)' "$WORK/instance/trust_config.json")
echo "Hello, Sigstore!" > "$WORK/hello.txt"

say "TOKEN=\$(sigstore instance token --data-dir $WORK/instance)"
TOKEN=$($S instance token --data-dir "$WORK/instance")

say "sigstore --trust-config $WORK/instance/trust_config.json sign --identity-token \$TOKEN $WORK/hello.txt"
$S --trust-config "$WORK/instance/trust_config.json" sign --identity-token "$TOKEN" "$WORK/hello.txt"

say "sigstore --trust-config $WORK/instance/trust_config.json verify identity --cert-identity $IDENTITY --cert-oidc-issuer $ISSUER $WORK/hello.txt"
$S --trust-config "$WORK/instance/trust_config.json" verify identity --cert-identity "$IDENTITY" --cert-oidc-issuer "$ISSUER" "$WORK/hello.txt"

say "sigstore inspect $WORK/hello.txt.sigstore.json"
$S inspect "$WORK/hello.txt.sigstore.json"
