#!/usr/bin/env bash
# `npm start`: installs the npm packages when missing, builds, and checks the bundled samples.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
node client/scripts/build.mjs
exec node client/out/cli.js check "$@"
