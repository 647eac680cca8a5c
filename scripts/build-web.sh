#!/usr/bin/env bash
# Builds the web client into web/dist when a source file is newer than the build.
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp=dist/index.html
if [[ -f $stamp ]] && [[ -z $(find src public index.html package.json vite.config.* -newer "$stamp" -print -quit 2>/dev/null) ]]; then
  exit 0
fi
echo "web: building the client"
npm run build --silent
