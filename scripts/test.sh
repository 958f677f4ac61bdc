#!/usr/bin/env bash
# Sets up (idempotently), then runs every suite: lint, jest, the browser tests, pytest.
# Screenshots and logs go to artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
scripts/setup.sh
echo "[test] setup took $(( $(date +%s) - start )) s"
export PATH="${PVW_VENV:-$root/.venv}/bin:$PATH"
mkdir -p artifacts

echo "[test] lint"
scripts/lint.sh

echo "[test] jest"
npm test --silent -- --ci

echo "[test] browser (Debian Chromium via Playwright)"
scripts/with-display.sh npm run --silent test:ui

echo "[test] pytest (real ParaView in real MPI ranks under Xvfb)"
scripts/with-display.sh python -m pytest python/tests -p no:cacheprovider --junitxml=artifacts/pytest.xml
echo "[test] all suites passed in $(( $(date +%s) - start )) s"
