"""The wire's constants for Python, read from ``wire.json`` (the single source).

The frontend's ``src/wire.ts`` and the settings schema are checked against the same file by
tests, so topic names, ids, limits and defaults are defined once for both languages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_WIRE = json.loads((Path(__file__).with_name("wire.json")).read_text())

IMAGE_TOPIC: str = _WIRE["imageTopic"]
PIPELINE_TOPIC: str = _WIRE["pipelineTopic"]
RUN_TOPIC: str = _WIRE["runTopic"]  # pause/step/history state, published when it changes
VIEW_ID: str = _WIRE["viewId"]
CHUNK_HEADER_BYTES: int = _WIRE["chunkHeaderBytes"]
HELLO_LIMIT: int = _WIRE["helloLimitBytes"]  # wslink drops larger messages before a hello
MIN_SIZE: int = _WIRE["viewSize"]["min"]
MAX_SIZE: int = _WIRE["viewSize"]["max"]
DEFAULT_SIZE: tuple[int, int] = tuple(_WIRE["viewSize"]["default"])
ZOOM_BASE: float = _WIRE["zoom"]["base"]
ZOOM_MOTION: float = _WIRE["zoom"]["motion"]
MAX_SPIN: float = _WIRE["zoom"]["maxSpin"]
DATASET_NAME = re.compile(_WIRE["datasetName"]["pattern"])
DATASET_NAME_MAX: int = _WIRE["datasetName"]["maxLength"]
STILL_QUALITY: int = _WIRE["quality"]["still"]
INTERACTIVE_QUALITY: int = _WIRE["quality"]["interactive"]
QUALITY_RANGE: tuple[int, int] = (_WIRE["quality"]["min"], _WIRE["quality"]["max"])
MAX_FPS: float = _WIRE["maxFps"]["default"]
MAX_FPS_RANGE: tuple[float, float] = (_WIRE["maxFps"]["min"], _WIRE["maxFps"]["max"])
# While interacting: ParaView's LOD above this much geometry, frames sized for targetFps;
# while the simulation steps, rendering takes at most `budget` of the wall clock.
RENDER_BUDGET: float = _WIRE["render"]["budget"]
TARGET_FPS: float = _WIRE["render"]["targetFps"]
INTERACTIVE_LOD: bool = _WIRE["render"]["lod"]
LOD_THRESHOLD_MB: float = _WIRE["render"]["lodThresholdMB"]
# How finely ParaView decimates (its LODResolution, 0..1): coarse, as drag frames are small.
LOD_RESOLUTION: float = _WIRE["render"]["lodResolution"]
PRESENCE_TOPIC: str = _WIRE["presenceTopic"]
IDENTIFY_METHOD: str = _WIRE["identifyMethod"]  # only the Jupyter proxy's reaches the engine
DRIVER_IDLE_S: float = _WIRE["driverIdleSeconds"]
