#!/usr/bin/env bash
# One idempotent setup for demo, tests and benchmarks: Debian packages, the project venv,
# npm packages, the labextension build, and the extensions enabled. Each step is skipped
# when its inputs have not changed since it last ran (stamps in .setup-stamps/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stamps=.setup-stamps
mkdir -p "$stamps"
venv=${PVW_VENV:-$root/.venv}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# A step is current when its stamp is newer than every input file given.
current() {
  local stamp=$stamps/$1; shift
  [ -f "$stamp" ] || return 1
  local f
  for f in "$@"; do [ "$f" -nt "$stamp" ] && return 1; done
  return 0
}

# --- Debian packages (STACK.md says why each is needed) -----------------------------------
apt_packages=(paraview python3-paraview paraview-dev openmpi-bin libopenmpi-dev python3-mpi4py
  xvfb xauth python3-venv mesa-utils libgl1-mesa-dri chromium g++)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=(); [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# --- venv: Debian's python owns ParaView, mpi4py and numpy; the rest comes from PyPI -------
if [ ! -x "$venv/bin/python" ]; then
  say "creating venv $venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
export PATH="$venv/bin:$PATH"
if ! current pip-deps python/pyproject.toml; then
  say "installing Python dependencies"
  python -m pip install -q --upgrade pip
  # Dependencies first: the labextension build below needs jupyterlab from the venv.
  python -m pip install -q hatchling hatch-jupyter-builder hatch-nodejs-version editables \
    "jupyterlab==4.5.11" "notebook==7.5.8" "jupyter_server>=2.4,<3" "wslink>=2.2.2,<3" "aiohttp>=3.9" msgpack \
    "ipyparallel>=8.6,<9" "ipywidgets>=8,<9" "pytest>=8" pytest-timeout \
    "pytest-jupyter[server]>=0.10" "ruff>=0.6" pillow
  touch "$stamps/pip-deps"
fi

# --- npm packages and the labextension ----------------------------------------------------
if [ ! -d node_modules ] || ! current npm package-lock.json; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamps/npm"
fi
if [ ! -f python/jupyterlab_pvw/labextension/package.json ] || \
   [ -n "$(find src style schema package.json tsconfig.json -newer "$stamps/build" 2>/dev/null | head -n 1)" ] || \
   [ ! -f "$stamps/build" ]; then
  say "building the labextension"
  npm run --silent build
  touch "$stamps/build"
fi

# --- the package itself, editable, with the labextension linked and the server extension on --
if ! current pip-editable python/pyproject.toml || ! python -c 'import jupyterlab_pvw' 2>/dev/null; then
  say "installing jupyterlab-pvw (editable)"
  python -m pip install -q --no-build-isolation --no-deps -e "python[dev]"
  touch "$stamps/pip-editable"
fi
link=$venv/share/jupyter/labextensions/jupyterlab-pvw
if [ "$(readlink -f "$link" 2>/dev/null)" != "$root/python/jupyterlab_pvw/labextension" ]; then
  say "linking the labextension into the venv"
  jupyter labextension develop --overwrite python >/dev/null
fi
if ! jupyter server extension list 2>&1 | grep -q "jupyterlab_pvw.*enabled"; then
  jupyter server extension enable --sys-prefix jupyterlab_pvw >/dev/null
fi

# --- the native render shim (renders without holding the GIL; see engine/native.py) -------
python -m jupyterlab_pvw.engine.native --build

say "ready: venv $venv"
