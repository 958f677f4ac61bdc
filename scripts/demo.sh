#!/usr/bin/env bash
# JupyterLab on loopback with the demo notebook open (run through with-display.sh, so the
# kernel's MPI engines inherit an X display for ParaView).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/examples"
export PATH="${PVW_VENV:-$root/.venv}/bin:$PATH"
exec jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port="${PVW_PORT:-8888}" \
  --ServerApp.root_dir="$root/examples" --PvwLauncher.config_file="$root/examples/launcher.json" \
  "${PVW_DEMO_NOTEBOOK:-heat.ipynb}" "$@"
