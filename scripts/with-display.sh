#!/usr/bin/env bash
# Runs a command with what ParaView needs here, shared by tests, demo and benchmarks:
# an X display (a private Xvfb when DISPLAY is unset) and MPI allowed to run as root and
# to oversubscribe 2 cores. Usage: scripts/with-display.sh CMD [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="${PVW_VENV:-$root/.venv}/bin:$PATH"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Idle MPI waits yield the core instead of spinning (ranks share 2 cores with their renders).
export OMPI_MCA_mpi_yield_when_idle=1

xvfb_pid=
cleanup() { [ -z "$xvfb_pid" ] || kill "$xvfb_pid" 2>/dev/null || true; }
trap cleanup EXIT
if [ -z "${DISPLAY:-}" ]; then
  # -noreset: without it Xvfb resets when its last client leaves and MPI runs abort at random.
  for n in $(seq 90 140); do
    [ -e "/tmp/.X$n-lock" ] && continue
    Xvfb ":$n" -screen 0 1280x1024x24 -nolisten tcp -noreset >/dev/null 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
    if kill -0 "$xvfb_pid" 2>/dev/null && [ -e "/tmp/.X11-unix/X$n" ]; then
      export DISPLAY=":$n"; break
    fi
    xvfb_pid=
  done
  [ -n "${DISPLAY:-}" ] || { echo "with-display: could not start Xvfb" >&2; exit 1; }
fi
"$@"
