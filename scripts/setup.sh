#!/usr/bin/env bash
# Installs what Samwaad needs and is missing: Debian packages (only when one is
# absent, so a built tree starts in seconds), a Node new enough for Vite, and the
# npm packages of the web client and the tests. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  build-essential cmake pkg-config ccache git ca-certificates
  libboost1.81-dev libsqlite3-dev zlib1g-dev libssl-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libcrypt-dev libgtest-dev libvips-dev libjemalloc-dev
  coturn  # turnserver + turnutils: the TURN tests run a real coturn on loopback
  chromium iproute2  # the web client's end-to-end tests: headless Chromium in a loopback-only network namespace
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

npm_install() {  # dir
  local dir=$1
  [[ -f "$dir/package.json" ]] || return 0
  if [[ ! -d "$dir/node_modules" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install web
npm_install server/tests
