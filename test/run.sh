#!/usr/bin/env bash
# Runs every test: type check, build, unit, language server over stdio, and the lab tests
# against real nginx. Called by `npm test` and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/setup.sh
npx tsc -b
node client/scripts/build.mjs

mapfile -t tests < <(find test -name '*.test.ts' -not -path '*/node_modules/*' -not -path 'test/e2e/*' | sort)
echo "running ${#tests[@]} test files" >&2
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${tests[@]}"
