#!/usr/bin/env bash
# Runs the web client's end-to-end tests (web/e2e/*.test.mjs: node:test +
# playwright-core + Debian's Chromium) against the real samwaad binary, inside
# a network namespace of their own that has only loopback, so no browser
# packet (WebRTC included) ever leaves the machine (shared/TESTING.md).
#
#   scripts/run-e2e.sh [test files...]       default: every web/e2e/*.test.mjs
#
# Environment: SAMWAAD_BIN (default build/test/samwaad), CHROMIUM_BIN
# (default /usr/bin/chromium), E2E_TAP (also write a TAP report there).
# Needs root (ip netns), the built client (web/dist) and web/node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export SAMWAAD_BIN="${SAMWAAD_BIN:-$root/build/test/samwaad}"
export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
[[ -x $SAMWAAD_BIN ]] || { echo "e2e: no samwaad binary at $SAMWAAD_BIN" >&2; exit 2; }
[[ -x $CHROMIUM_BIN ]] || { echo "e2e: no Chromium at $CHROMIUM_BIN (Debian package 'chromium')" >&2; exit 2; }
[[ -f web/dist/index.html ]] || { echo "e2e: web/dist is not built (cd web && npm run build)" >&2; exit 2; }
[[ -d web/node_modules/playwright-core ]] || { echo "e2e: web/node_modules is missing (cd web && npm ci)" >&2; exit 2; }
command -v ip >/dev/null || { echo "e2e: needs 'ip' (iproute2)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "e2e: needs root for ip netns" >&2; exit 2; }

if (($#)); then files=("$@"); else files=(web/e2e/*.test.mjs); fi

# A name no other run uses, deleted however this script ends.
ns="samwaad-e2e-$$-$RANDOM"
cleanup() { ip netns delete "$ns" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

reporters=(--test-reporter=spec --test-reporter-destination=stdout)
if [[ -n ${E2E_TAP:-} ]]; then reporters+=(--test-reporter=tap "--test-reporter-destination=$E2E_TAP"); fi

# One file at a time: each starts its own server and browser, and the two
# shared cores are enough for one WebRTC call, not for several.
# timeout(1) bounds the whole run, whatever hangs.
ip netns exec "$ns" timeout --kill-after=10 "${E2E_TIMEOUT_S:-420}" \
  node --test --test-concurrency=1 "${reporters[@]}" "${files[@]}"
