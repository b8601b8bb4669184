#!/usr/bin/env bash
# Runs every test: type check, build, unit, language server over stdio, and the lab tests
# against real nginx. Called by `npm test` and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/setup.sh
npx tsc -b
node client/scripts/build.mjs

# test/e2e/suite/ runs inside VS Code (test/e2e/run.ts), not under node's test runner.
mapfile -t tests < <(find test -name '*.test.ts' -not -path '*/node_modules/*' -not -path 'test/e2e/suite/*' -not -path 'test/.work/*' | sort)
echo "running ${#tests[@]} test files" >&2
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${tests[@]}"

# End to end in a real VS Code (code-server + Chromium, installed by test/setup.sh); NGX502_E2E=0 skips it.
node --import tsx test/e2e/run.ts
