#!/usr/bin/env bash
# Installs the headless browser the interactive OIDC tests drive (Debian's `chromium`, used
# through playwright-core with executablePath /usr/bin/chromium). Nothing is downloaded outside
# the distribution's package manager: playwright's own browser downloads are never used.
#
# Usage: bash scripts/install-browser.sh        (idempotent; a no-op when chromium is present)
# Exit status: 0 when /usr/bin/chromium is usable afterwards (or was already), 1 otherwise.
# Set SIGSTORE_SKIP_BROWSER_INSTALL=1 to skip (the browser tests then skip themselves).
set -euo pipefail

CHROMIUM="${SIGSTORE_CHROMIUM:-/usr/bin/chromium}"

if [ -n "${SIGSTORE_SKIP_BROWSER_INSTALL:-}" ]; then
  echo "install-browser: skipped (SIGSTORE_SKIP_BROWSER_INSTALL is set)" >&2
  exit 0
fi

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  echo "install-browser: $CHROMIUM is missing; install it as root with:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends chromium" >&2
  echo "(the interactive-login browser tests skip themselves until then)" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: $CHROMIUM is missing and apt-get is not available; install Chromium by hand" >&2
  exit 1
fi

echo "install-browser: installing Debian chromium..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null

if [ ! -x "$CHROMIUM" ]; then
  echo "install-browser: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed" >&2
