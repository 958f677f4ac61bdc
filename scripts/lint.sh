#!/usr/bin/env bash
# Lint and format checks: eslint + prettier for TypeScript, ruff for Python.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="${PVW_VENV:-$root/.venv}/bin:$PATH"
npm run --silent lint
ruff check python examples bench
ruff format --check python examples bench
