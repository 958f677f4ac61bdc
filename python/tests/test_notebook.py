"""The kernel side for real: the demo notebook in a real kernel with a 2-engine MPI cluster,
and %pvw's answers to bad input."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import require_paraview_env
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

EXAMPLES = Path(__file__).parents[2] / "examples"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def run_notebook(cells: list[str], cwd: Path = EXAMPLES, allow_errors=False):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(cwd)}})  # fmt: skip
    client.execute()
    return nb


def outputs_text(cell) -> str:
    parts = []
    for out in cell.outputs:
        parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
        parts.append(out.get("evalue", ""))
    return "\n".join(parts)


def test_demo_notebook_runs_and_leaves_a_live_viewport():
    require_paraview_env()
    nb = nbformat.read(EXAMPLES / "heat.ipynb", as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"the demo notebook failed: {exc}")
    code = [c for c in nb.cells if c.cell_type == "code"]
    start_outputs = [o for o in code[0].outputs if WIDGET_MIME in o.get("data", {})]
    assert start_outputs, f"%pvw start should display the viewport widget: {code[0].outputs}"
    status = json.loads(next(o["text"] for o in code[-2].outputs if o.get("name") == "stdout"))
    assert status["running"] and status["active"] == "temperature"
    assert status["datasets"] == {"0": ["temperature"], "1": ["temperature"]}
    assert status["timestep"] == 31  # 30 from the loop, one by hand


def test_magics_refuse_bad_input_and_keep_the_kernel():
    require_paraview_env()
    nb = run_notebook(
        [
            "%load_ext jupyterlab_pvw",
            "%pvw start -n 0",
            "%pvw",
            "%pvw frobnicate",
            "%pvw next",
            "%pvw start -n 2 --height 20",
            "%pvw start -n 2",
            "%pvw activate nosuch",
            "%pvw register 'bad name' x",
            "%pvw next soon",
            "%pvw stop",
            "print('kernel alive')",
        ],
        allow_errors=True,
    )
    texts = [outputs_text(c) for c in nb.cells]
    assert "at least 1, got 0" in texts[1]
    assert "needs a command" in texts[2]
    assert "unknown %pvw command 'frobnicate'" in texts[3]
    assert "run %pvw start first" in texts[4]
    assert "height must be between 100 and 4096" in texts[5]
    assert "ParaView ready on 2 ranks" in texts[6]
    assert "no dataset named 'nosuch'" in texts[7]
    # Quoted, the name is one word and reaches the dataset-name check (not argparse).
    assert "invalid dataset name 'bad name'" in texts[8]
    assert "expected a number, got 'soon'" in texts[9]
    assert "stopped" in texts[10]
    assert "kernel alive" in texts[11]
