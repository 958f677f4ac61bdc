"""The package a user installs: sdist and wheel built from a clean export, installed in a
fresh venv, checked from outside the source tree.

The export is ``git archive`` of the work tree's files as committed or changed (nothing built
or ignored comes along); the sdist is built from it (npm builds the labextension), the wheel
from the sdist with pip's isolated build (so the sdist must be complete on its own), and the
wheel installed with JupyterLab into ``/usr/bin/python3 -m venv --system-site-packages``
(ParaView and mpi4py come from Debian), dependencies from pip's cache or the registry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = Path(sys.executable)
SYSTEM_PYTHON = "/usr/bin/python3"
VERSION = json.loads((REPO / "package.json").read_text())["version"]

pytestmark = pytest.mark.timeout(900)


def run(cmd, cwd, env=None, timeout=600) -> str:
    """Run a command; fail with its output when it fails."""
    result = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout + result.stderr


def export_worktree(target: Path) -> None:
    """The work tree's tracked files as they are now (a stash-like tree, not only HEAD)."""
    tree = run(["git", "stash", "create"], REPO).strip() or "HEAD"
    archive = target.with_suffix(".tar")
    run(["git", "archive", "--format=tar", "-o", archive, tree], REPO)
    target.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(target)
    # npm's packages, hard-linked: the build runs `npm install`, which then has nothing to fetch.
    modules = REPO / "node_modules"
    if modules.is_dir():
        run(["cp", "-al", modules, target / "node_modules"], REPO)
        lock = target / "node_modules" / ".package-lock.json"
        if lock.exists():  # npm rewrites it: a copy, so the work tree's stays untouched
            data = lock.read_bytes()
            lock.unlink()
            lock.write_bytes(data)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """sdist, wheel and a venv with the wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    export_worktree(source)
    assert not (source / "python" / "jupyterlab_pvw" / "labextension").exists()
    dist = tmp / "dist"
    env = {**os.environ, "PATH": f"{VENV_PYTHON.parent}{os.pathsep}{os.environ['PATH']}"}
    run(
        [VENV_PYTHON, "-m", "hatchling", "build", "-t", "sdist", "-d", dist], source / "python", env
    )
    (sdist,) = dist.glob("*.tar.gz")
    run([VENV_PYTHON, "-m", "pip", "wheel", "--no-deps", "-w", dist, sdist], tmp, env)
    (wheel,) = dist.glob("*.whl")

    venv = tmp / "venv"
    run([SYSTEM_PYTHON, "-m", "venv", "--system-site-packages", venv], tmp)
    # As a user does: the extension beside the JupyterLab it is built for.
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, "jupyterlab==4.5.11"], tmp)
    return {"sdist": sdist, "wheel": wheel, "venv": venv, "outside": tmp}


def in_venv(built, *cmd: str) -> str:
    """Run a command of the fresh venv, from outside the source tree, with its own config."""
    venv = built["venv"]
    home = built["outside"] / "home"
    home.mkdir(exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "IPYTHON"))
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}",
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        IPYTHONDIR=str(home / ".ipython"),
    )
    return run([venv / "bin" / cmd[0], *cmd[1:]], built["outside"], env)


def test_the_wheel_carries_the_labextension_and_the_server_config(built):
    assert built["wheel"].name == f"jupyterlab_pvw-{VERSION}-py3-none-any.whl"
    names = zipfile.ZipFile(built["wheel"]).namelist()
    data = f"jupyterlab_pvw-{VERSION}.data/data/"
    labext = f"{data}share/jupyter/labextensions/jupyterlab-pvw/"
    assert f"{labext}package.json" in names
    assert f"{labext}install.json" in names
    assert f"{labext}schemas/jupyterlab-pvw/plugin.json" in names
    assert any(n.startswith(f"{labext}static/remoteEntry.") for n in names)
    assert f"{data}etc/jupyter/jupyter_server_config.d/jupyterlab_pvw.json" in names
    # The native shim travels as source and is compiled on first use (see native.py).
    assert "jupyterlab_pvw/engine/_native/pvw_render.cpp" in names
    assert not [n for n in names if n.endswith(".so")]


def test_the_sdist_carries_the_built_labextension(built):
    with tarfile.open(built["sdist"]) as tar:
        names = tar.getnames()
    root = f"jupyterlab_pvw-{VERSION}/"
    assert f"{root}jupyterlab_pvw/labextension/package.json" in names
    assert f"{root}PKG-INFO" in names


def test_every_version_is_package_json_s(built):
    code = "import jupyterlab_pvw, json; print(json.dumps(jupyterlab_pvw.__version__))"
    assert json.loads(in_venv(built, "python", "-c", code)) == VERSION
    with zipfile.ZipFile(built["wheel"]) as wheel:
        labext = next(n for n in wheel.namelist() if n.endswith("jupyterlab-pvw/package.json"))
        assert json.loads(wheel.read(labext))["version"] == VERSION


def test_jupyter_lists_the_labextension_enabled_and_ok(built):
    out = in_venv(built, "jupyter", "labextension", "list")
    line = next((ln for ln in out.splitlines() if "jupyterlab-pvw" in ln), "")
    assert "enabled" in line and "OK" in line and VERSION in line, out
    assert "(python, jupyterlab-pvw)" in line, out


def test_jupyter_lists_the_server_extension_enabled(built):
    out = in_venv(built, "jupyter", "server", "extension", "list")
    assert any("jupyterlab_pvw" in ln and "enabled" in ln for ln in out.splitlines()), out
    assert "jupyterlab_pvw" in out and "OK" in out.split("jupyterlab_pvw", 1)[1], out


def test_the_ipython_extension_loads(built):
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'jupyterlab_pvw')\n"
        "assert 'pvw' in ip.magics_manager.magics['line'], 'no %pvw magic'\n"
        "import jupyterlab_pvw, os\n"
        "print(os.path.dirname(jupyterlab_pvw.__file__))\n"
    )
    out = in_venv(built, "python", "-c", code)
    # Imported from the venv, not from the source tree.
    assert str(built["venv"]) in out.strip().splitlines()[-1]


def test_the_native_shim_builds_on_first_use_or_says_why_not(built):
    code = (
        "from jupyterlab_pvw.engine import native\n"
        "try:\n"
        "    print('built', native.build())\n"
        "except RuntimeError as exc:\n"
        "    print('not built:', exc)\n"
    )
    out = in_venv(built, "python", "-c", code).strip()
    if shutil.which("g++") and Path("/usr/include/paraview-5.11/vtkSMViewProxy.h").exists():
        assert out.startswith("built ") and str(built["venv"]) in out, out
    else:
        assert "install" in out, out
