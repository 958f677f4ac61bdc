"""The live pipeline: ParaView filters on 2 real MPI ranks' pieces, checked by the pixels of
the composited frames a real wslink client receives. One MPI run for the whole module."""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest
from conftest import Viewer, close_cleanly, engine_run, jpeg_pixels

from jupyterlab_pvw.wslink_client import WslinkError

BACKGROUND = np.array([82, 87, 110])  # ParaView's default background


@pytest.fixture(scope="module")
def run():
    sim = engine_run(timeout=180)
    yield sim
    close_cleanly(sim)


@pytest.fixture(scope="module")
def viewer(run):
    v = Viewer(run.info["url"], run.info["secret"])
    yield v
    v.close()


def call(run, expr: str):
    """Evaluate an engine call on every rank (collective); rank 0's result."""
    out = run.command("call " + expr, timeout=180)
    if out and out[0].startswith("ERROR"):
        raise AssertionError(out[0])
    return json.loads(out[0].removeprefix("RESULT "))


def errors(run, expr: str) -> list:
    """Every rank's error from a collective call that must fail."""
    return call(run, f"__import__('pipeline_data').errors_of(lambda: {expr})")


def data_mask(pixels):
    return np.abs(pixels - BACKGROUND).sum(axis=2) > 40


def frame(viewer):
    """A frame rendered after everything asked so far (the call before this returned)."""
    count = len(viewer.frames)
    viewer.call("viewport.image.push.invalidate.cache", ["-1"])
    viewer.frame_after(count, timeout=120)
    return viewer.settle(quiet=1.0, timeout=120)


def pixels(viewer):
    return jpeg_pixels(frame(viewer)["image"])


def halves(px):
    """Mean colour of the data in the upper and lower half of the central column band."""
    h, w, _ = px.shape
    band = px[:, w // 2 - w // 10 : w // 2 + w // 10]
    mask = data_mask(band)
    top, bottom = band[: h // 2][mask[: h // 2]], band[h // 2 :][mask[h // 2 :]]
    return top, bottom


def assert_only_rank_1_painted(viewer):
    """Rank 1's piece (the upper half) is painted, rank 0's (the lower) is thresholded away."""
    px = pixels(viewer)
    h, w, _ = px.shape
    mask = data_mask(px[:, w // 4 : w // 2])  # left of the legend
    assert mask[: h // 2 - 10].sum() > 1000, "rank 1's cells (value 1) stay"
    assert mask[h // 2 + 30 :].sum() < 50, "rank 0's cells (value 0) are thresholded away"


def names(run):
    return [i["name"] for i in call(run, "engine.pipeline()")]


def test_slice_composites_both_ranks_and_follows_its_origin(run, viewer):
    call(run, "engine.hide('grid')")
    name = call(run, "engine.add_filter('Slice', 'grid', 'cut', **{'SliceType.Normal': [0, 0, 1]})")
    assert name == "cut"
    top, bottom = halves(pixels(viewer))
    assert len(top) > 500 and len(bottom) > 500, "the slice must cover both ranks' halves"
    # Rank 1 (value 1: red) owns the upper slab, rank 0 (value 0: blue) the lower one.
    assert top.mean(axis=0)[0] > top.mean(axis=0)[2] + 60
    assert bottom.mean(axis=0)[2] > bottom.mean(axis=0)[0] + 60
    # On the smooth field, moving the origin along the normal changes the colours.
    call(run, "engine.register('field', __import__('pipeline_data').field())")
    call(run, "engine.add_filter('Slice', 'field', 'zcut', **{'SliceType.Normal': [0, 0, 1]})")
    call(run, "engine.hide('cut')")
    call(run, "engine.color_by('zcut', 'T', range=[0, 20])")
    before = pixels(viewer)
    call(run, "engine.set_properties('zcut', **{'SliceType.Origin': [11.5, 11.5, 2]})")
    after = pixels(viewer)
    assert np.abs(after - before).mean() > 3, "moving the slice origin must change the frame"
    item = next(i for i in call(run, "engine.pipeline()") if i["name"] == "zcut")
    assert item["properties"]["SliceType.Origin"] == [11.5, 11.5, 2]
    call(run, "engine.remove('zcut')")


def test_contour_follows_its_value_and_the_timestep(run, viewer):
    call(
        run,
        "engine.add_filter('Contour', 'field', 'iso', ContourBy=['POINTS', 'T'], Isosurfaces=[4])",
    )
    small = data_mask(pixels(viewer)).sum()
    call(run, "engine.set_properties('iso', Isosurfaces=[9])")
    large = data_mask(pixels(viewer)).sum()
    assert large > small * 1.5, (
        f"a larger contour value must grow the silhouette ({small} -> {large})"
    )
    # A new step shifts T by 3: the same contour value is now a smaller sphere.
    call(
        run,
        "engine.register('field', __import__('pipeline_data').field(3.0)) or "
        "engine.next_timestep(0.5)",
    )
    stepped = frame(viewer)
    assert stepped["time"] == 0.5
    shrunk = data_mask(jpeg_pixels(stepped["image"])).sum()
    assert shrunk < large * 0.8, f"the contour must follow the new data ({large} -> {shrunk})"
    assert any(c["item"] == "iso" and c["array"] == "T" for c in stepped["coloring"])
    call(run, "engine.remove('iso')")


def test_threshold_removes_cells(run, viewer):
    call(
        run,
        "engine.add_filter('Threshold', 'grid', 'hot', Scalars=['POINTS', 'value'], LowerThreshold=0.5, UpperThreshold=10)",
    )
    call(run, "engine.hide('cut')")
    assert_only_rank_1_painted(viewer)
    call(run, "engine.remove('hot')")
    call(run, "engine.show('cut')")


def test_preset_and_legend(run, viewer):
    call(run, "engine.color_by('cut', 'value', preset='Inferno (matplotlib)')")
    top, bottom = halves(pixels(viewer))
    t, b = top.mean(axis=0), bottom.mean(axis=0)
    # Inferno's top is light yellow (shaded by the light); Cool to Warm's would be red.
    assert t[0] > 150 and t[1] > 150 and t[2] < t[0] - 40, f"expected yellow, got {t}"
    assert b.sum() < 120, f"Inferno's bottom is near black, got {b}"
    with_bar = pixels(viewer)
    call(run, "engine.scalar_bar('cut', False)")
    without = pixels(viewer)
    diff = np.abs(with_bar - without).sum(axis=2) > 60
    h, w = diff.shape
    assert diff[h // 2 :, 3 * w // 4 :].sum() > 200, "the legend sits in the lower right corner"
    assert diff[:, : w // 2].sum() < 50, "nothing else changes"
    call(run, "engine.scalar_bar('cut', True)")
    call(run, "engine.color_by('cut', preset='Cool to Warm')")


def test_unstructured_cell_array_gives_per_rank_colours(run, viewer):
    call(run, "engine.register('ug', __import__('pipeline_data').ugrid())")
    call(run, "engine.activate('ug')")
    coloring = call(run, "engine.color_by('ug', 'owner', 'CELLS', preset='Cool to Warm')")
    assert coloring["association"] == "CELLS" and coloring["range"] == [0.0, 1.0]
    call(run, "engine.scalar_bar('ug', False)")
    top, bottom = halves(pixels(viewer))
    assert top.mean(axis=0)[0] > top.mean(axis=0)[2] + 60, "rank 1's cells are red"
    assert bottom.mean(axis=0)[2] > bottom.mean(axis=0)[0] + 60, "rank 0's cells are blue"
    call(run, "engine.hide('ug')")
    call(run, "engine.show('cut')")


def test_filters_on_a_numpy_unstructured_grid(run, viewer):
    """engine.unstructured()'s grid is safe for any filter: its index arrays were temporaries
    and the simulation reused freed memory (this segfaulted Threshold/Clip before)."""
    data = "__import__('pipeline_data')"
    call(run, f"engine.register('hexes', {data}.ugrid())")
    call(run, f"{data}.churn()")
    cells = call(run, f"__import__('mpi4py').MPI.COMM_WORLD.allgather({data}.ugrid_cells())")
    shown = [i["name"] for i in call(run, "engine.pipeline()") if i["visible"]]
    for name in shown:
        call(run, f"engine.hide({name!r})")
    call(
        run,
        "engine.add_filter('Threshold', 'hexes', 'hexhot', Scalars=['CELLS', 'owner'], "
        "LowerThreshold=0.5, UpperThreshold=10)",
    )
    assert call(run, f"{data}.local_cells('hexhot')") == [0, cells[1]], "rank 1's cells only"
    assert_only_rank_1_painted(viewer)
    call(run, "engine.hide('hexhot')")
    # A crinkle clip at x = 11.5 keeps whole hexahedra: columns 0..11 of 23.
    call(
        run,
        "engine.add_filter('Clip', 'hexes', 'hexclip', Crinkleclip=1, "
        "**{'ClipType.Origin': [11.5, 11.5, 11.5], 'ClipType.Normal': [1, 0, 0]})",
    )
    assert call(run, f"{data}.local_cells('hexclip')") == [c * 12 // 23 for c in cells]
    assert data_mask(pixels(viewer)).sum() > 2000, "the clipped grid is painted"
    call(
        run,
        "engine.add_filter('Slice', 'hexes', 'hexcut', Triangulatetheslice=0, "
        "**{'SliceType.Normal': [0, 0, 1]})",
    )
    assert call(run, f"{data}.local_cells('hexcut')") == [c // 23 for c in cells]
    call(
        run,
        "engine.add_filter('Contour', 'hexes', 'hexiso', ContourBy=['POINTS', 'T'], "
        "Isosurfaces=[6])",
    )
    assert all(n > 100 for n in call(run, f"{data}.local_cells('hexiso')")), "both ranks' shells"
    for name in ("hexhot", "hexclip", "hexcut", "hexiso"):
        call(run, f"engine.remove({name!r})")
    for name in shown:
        call(run, f"engine.show({name!r})")


def test_default_colouring_skips_normals(run):
    call(run, "engine.register('ball', __import__('pipeline_data').sphere())")
    call(run, "engine.activate('ball')")
    ball = next(i for i in call(run, "engine.pipeline()") if i["name"] == "ball")
    assert ball["coloring"]["array"] == "pressure" and ball["coloring"]["association"] == "CELLS"
    call(run, "engine.activate('grid')")
    call(run, "engine.hide('grid')")


def test_outline_slice_contour_glyph_calculator_subset_at_once(run, viewer):
    for expr in (
        "engine.add_filter('Outline', 'field', 'box')",
        "engine.add_filter('Calculator', 'field', 'calc', Function='T*2', ResultArrayName='T2')",
        "engine.add_filter('Contour', 'calc', 'iso2', ContourBy=['POINTS', 'T2'], Isosurfaces=[12])",
        "engine.add_filter('ExtractSubset', 'field', 'sub', VOI=[0, 10, 0, 23, 0, 23])",
        "engine.add_filter('Glyph', 'sub', 'arrows', OrientationArray=['POINTS', 'velocity'])",
    ):
        call(run, expr)
    call(run, "engine.representation('iso2', 'Surface', 0.5)")
    items = {i["name"]: i for i in call(run, "engine.pipeline()")}
    assert items["iso2"]["coloring"]["array"] == "T2" and items["iso2"]["opacity"] == 0.5
    assert items["box"]["coloring"] is None and items["box"]["solid"]
    assert {"association": "POINTS", "name": "T2", "components": 1} in items["calc"]["arrays"]
    assert data_mask(pixels(viewer)).sum() > 2000
    code = call(run, "engine.pipeline_code()")
    compile(code, "pipeline", "exec")
    assert "Contour(registrationName='iso2', Input=calc)" in code
    assert "iso2.Isosurfaces = [12]" in code


def test_bad_input_is_refused_everywhere_and_loses_nothing(run):
    before = call(run, "engine.pipeline()")
    # Every ParaView proxy of the session, counted on the render service.
    proxies = "engine.run_pipeline(lambda simple, sources: len(simple.GetSources()))"
    count = call(run, proxies)

    def refused(expr, *fragments):
        errs = errors(run, expr)
        assert errs[0] is not None and errs[0] == errs[1], f"every rank raises the same: {errs}"
        for fragment in fragments:
            assert fragment in errs[0], errs[0]
        assert call(run, "engine.pipeline()") == before, f"{expr} changed the pipeline"
        assert call(run, proxies) == count, f"{expr} left a ParaView proxy behind"
        return errs[0]

    refused(
        "engine.add_filter('Slise', 'field')", "unknown filter kind 'Slise'", "Slice", "Contour"
    )
    refused("engine.add_filter('Slice', 'nosuch')", "no pipeline item or dataset named 'nosuch'")
    refused("engine.add_filter('Slice', 'field', Colour=1)", "no property 'Colour'", "SliceType")
    refused("engine.set_properties('iso2', Isosurfaces=['high'])", "Isosurfaces takes numbers")
    refused("engine.set_properties('calc', Function=3)", "Function takes text")
    refused(
        "engine.add_filter('Slice', 'field', **{'SliceType.Origin': [1, 2]})",
        "takes 3 value(s), got 2",
    )
    refused("engine.set_properties('calc', Function='T*(2')", "Calculator 'calc' failed")
    refused("engine.remove('calc')", "['iso2'] take 'calc' as input", "recursive=True")
    refused(
        "engine.color_by('iso2', preset='Nope')",
        "unknown colour-map preset 'Nope'",
        "Viridis (matplotlib)",
    )
    refused("engine.color_by('iso2', 'nosuch')", "no point or cell array named 'nosuch'")
    # An array on rank 1 only: rank 0 says so, and both ranks raise that.
    call(run, "engine.register('odd', __import__('pipeline_data').only_on_rank(1))")
    call(run, "engine.add_filter('Outline', 'odd', 'oddbox')")
    before, count = call(run, "engine.pipeline()"), call(run, proxies)
    msg = refused(
        "engine.add_filter('Contour', 'odd', ContourBy=['POINTS', 'extra'], Isosurfaces=[1])",
        "rank 0:",
        "no point array named 'extra'",
    )
    assert "rank 1" not in msg
    # A filter that fails on one rank only (the formula names rank 1's array): same error
    # on both, and the filter is gone from both.
    msg = refused("engine.add_filter('Calculator', 'odd', Function='extra*2')", "rank 0:", "extra")
    # The same call through another rank's eyes: recursive removal works and is listed.
    assert call(run, "engine.remove('calc', recursive=True)") == ["calc", "iso2"]


def test_run_pipeline_code_and_save_load(run):
    call(
        run,
        "engine.run_pipeline_code(\"ball = Sphere(registrationName='ball2', Radius=3)\\nShow(ball)\")",
    )
    assert "ball2" in names(run)
    before = names(run)
    errs = errors(
        run,
        "engine.run_pipeline_code(\"Cone(registrationName='cone')\\nraise ValueError('boom')\")",
    )
    assert errs[0] == errs[1] and "boom" in errs[0]
    assert names(run) == before, "a failing run_pipeline leaves no proxies behind"
    saved = [i for i in call(run, "engine.pipeline()") if not i["custom"]]
    call(run, "engine.remove('sub', recursive=True)")
    assert "arrows" not in names(run)
    text = json.dumps(json.dumps(saved))
    result = call(run, f"engine.load_pipeline(__import__('json').loads({text}), replace=True)")
    assert "arrows" in result["loaded"]
    again = {i["name"]: i for i in call(run, "engine.pipeline()")}
    assert again["arrows"]["properties"]["OrientationArray"] == ["POINTS", "velocity"]


def test_rpcs_and_the_topic(run, viewer):
    other = Viewer(run.info["url"], run.info["secret"])
    published = []
    other.client.subscribe("pvw.pipeline", published.append)
    try:
        assert "Viridis (matplotlib)" in viewer.call("pvw.presets")
        added = viewer.call("pvw.pipeline.add", ["Slice", "field", "webcut"])
        assert added == {"name": "webcut"}
        props = {p["name"]: p for p in viewer.call("pvw.pipeline.properties", ["webcut"])}
        assert props["SliceType"]["type"] == "proxy" and "Plane" in props["SliceType"]["choices"]
        assert props["SliceType.Normal"]["length"] == 3
        assert props["SliceType.Normal"]["value"] == [1.0, 0.0, 0.0]
        viewer.call("pvw.pipeline.set", ["webcut", {"SliceType.Normal": [0, 1, 0]}])
        viewer.call("pvw.pipeline.color_by", ["webcut", {"array": "velocity", "component": "X"}])
        with pytest.raises(WslinkError, match="no property 'Nope'"):
            viewer.call("pvw.pipeline.set", ["webcut", {"Nope": 1}])
        listed = viewer.call("pvw.pipeline.list")
        web = next(i for i in listed if i["name"] == "webcut")
        assert web["coloring"]["component"] == 0
        other.run(asyncio.sleep(0.5))
        assert published and any(i["name"] == "webcut" for i in published[-1]), published
        viewer.call("pvw.pipeline.remove", ["webcut"])
    finally:
        other.close()


def test_the_dataset_rpcs_publish_the_pipeline_too(run, viewer):
    """pvw.color_by / pvw.representation (the toolbar's) change a pipeline item: every
    panel's pipeline view must hear of it like of a pvw.pipeline.* change."""
    other = Viewer(run.info["url"], run.info["secret"])
    published = []
    other.client.subscribe("pvw.pipeline", published.append)

    def field_item():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            other.run(asyncio.sleep(0.2))
            if published:
                return next(i for i in published[-1] if i["name"] == "field")
        pytest.fail("nothing was published on the pipeline topic")

    try:
        viewer.call("pvw.representation", ["Wireframe", "field"])
        assert field_item()["representation"] == "Wireframe"
        published.clear()
        viewer.call("pvw.color_by", ["velocity", "POINTS", "field"])
        assert field_item()["coloring"]["array"] == "velocity"
    finally:
        viewer.call("pvw.representation", ["Surface", "field"])
        other.close()
