#!/usr/bin/env bash
# Runs every test suite and ends with the one line CI reads:
#   tests: N passed, M failed
# Suites: C++ unit tests (ctest, sanitizer build), web client tests (vitest),
# black-box tests against the real binary (node:test), and the web client's
# end-to-end tests in headless Chromium against the real binary (node:test +
# playwright-core, in a loopback-only network namespace: scripts/run-e2e.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
: "${SAMWAAD_BIN:?}" "${TEST_BUILD_DIR:?}"
export SAMWAAD_BIN
passed=0
failed=0
report="$(mktemp -d)"

echo "== C++ unit tests"
ctest --test-dir "$TEST_BUILD_DIR" --output-on-failure -j2 --output-junit "$report/ctest.xml" 2>&1 | tail -n 40
if [[ -f "$report/ctest.xml" ]]; then
  read -r t f s < <(node -e '
    const x = require("fs").readFileSync(process.argv[1], "utf8");
    const m = /<testsuite[^>]*tests="(\d+)"[^>]*failures="(\d+)"[^>]*skipped="(\d+)"/.exec(x) || [];
    console.log(m[1]||0, m[2]||0, m[3]||0)' "$report/ctest.xml")
  passed=$((passed + t - f - s)); failed=$((failed + f))
else
  echo "ctest produced no report"; failed=$((failed + 1))
fi

if [[ -f web/package.json ]]; then
  echo "== web client tests"
  (cd web && npx vitest run --reporter=default --reporter=json --outputFile="$report/vitest.json") 2>&1 | tail -n 25
  if [[ -f "$report/vitest.json" ]]; then
    read -r p f < <(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(r.numPassedTests, r.numFailedTests + (r.success || r.numFailedTests ? 0 : 1))' "$report/vitest.json")
    passed=$((passed + p)); failed=$((failed + f))
  else
    echo "vitest produced no report"; failed=$((failed + 1))
  fi
fi

echo "== functional tests against the real binary"
node --test --test-concurrency=2 --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$report/functional.tap" \
  server/tests/functional/*.test.mjs 2>&1 | grep -vE '^\s*$' | tail -n 150
p=$(grep -E '^# pass ' "$report/functional.tap" | awk '{print $3}')
f=$(grep -E '^# fail ' "$report/functional.tap" | awk '{print $3}')
if [[ -z $p ]]; then echo "functional tests produced no report"; f=$((${f:-0} + 1)); fi
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))

echo "== end-to-end tests in Chromium against the real binary"
E2E_TAP="$report/e2e.tap" scripts/run-e2e.sh 2>&1 | grep -vE '^\s*$' | tail -n 80
p=$(grep -E '^# pass ' "$report/e2e.tap" 2>/dev/null | awk '{print $3}')
f=$(grep -E '^# fail ' "$report/e2e.tap" 2>/dev/null | awk '{print $3}')
# A test cancelled because its suite's set-up failed did not pass either.
c=$(grep -E '^# cancelled ' "$report/e2e.tap" 2>/dev/null | awk '{print $3}')
f=$((${f:-0} + ${c:-0}))
if [[ -z $p ]]; then echo "end-to-end tests produced no report"; f=$((f + 1)); fi
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))

rm -rf "$report"
echo "tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
