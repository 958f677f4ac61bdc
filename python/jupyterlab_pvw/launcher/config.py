"""Launcher configuration in the ParaViewWeb launcher's format (JSON with #, // and /* */ comments).

Sections: ``configuration`` (log_dir, host, port, endpoint, sessionURL, timeout, fields,
proxy_file, content, sanitize, and our idle_timeout, ssh and cors_origins), ``sessionData``, ``resources``
(hosts with port ranges), ``properties`` and ``apps`` (``cmd`` templates and ``ready_line``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|#[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


class ConfigError(ValueError):
    """The launcher configuration is not usable; the message says where."""


def strip_comments(text: str) -> str:
    """Remove #, // and /* */ comments outside strings, and trailing commas."""
    no_comments = _TOKENS.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    return _TRAILING_COMMA.sub(r"\1", no_comments)


def load(path) -> dict:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read launcher configuration {path}: {exc}") from None
    try:
        config = json.loads(strip_comments(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON (after removing comments): {exc}") from None
    return validate(config, source=str(path))


def validate(config: dict, source: str = "configuration") -> dict:
    if not isinstance(config, dict):
        raise ConfigError(f"{source}: the top level must be an object")
    conf = config.setdefault("configuration", {})
    for key in ("configuration", "apps"):
        if not isinstance(config.get(key), dict):
            raise ConfigError(f"{source}: needs an object {key!r}")
    if not isinstance(config.get("resources"), list) or not config["resources"]:
        raise ConfigError(f"{source}: needs a non-empty 'resources' list of {{host, port_range}}")
    for i, res in enumerate(config["resources"]):
        rng = res.get("port_range") if isinstance(res, dict) else None
        if not (isinstance(res, dict) and isinstance(res.get("host"), str) and isinstance(rng, list)
                and len(rng) == 2 and all(isinstance(p, int) for p in rng) and 0 < rng[0] <= rng[1] < 65536):  # fmt: skip
            raise ConfigError(
                f"{source}: resources[{i}] must be {{host, port_range: [first, last]}}"
            )
    for name, app in config["apps"].items():
        if not isinstance(app, dict) or not isinstance(app.get("cmd"), list) or not app["cmd"]:
            raise ConfigError(f"{source}: apps.{name} needs a non-empty 'cmd' list")
        if not all(isinstance(part, str) for part in app["cmd"]):
            raise ConfigError(f"{source}: apps.{name}.cmd must be a list of strings")
    for name, rule in (conf.get("sanitize") or {}).items():
        kind = rule.get("type") if isinstance(rule, dict) else None
        if kind == "regexp":
            try:
                rule["compiled"] = re.compile(rule["regexp"])
            except (KeyError, re.error) as exc:
                raise ConfigError(f"{source}: sanitize.{name}: bad regexp ({exc})") from None
        elif kind != "inList" or not isinstance(rule.get("list"), list):
            raise ConfigError(
                f"{source}: sanitize.{name} must be {{type: 'inList', list}} or {{type: 'regexp', regexp}}"
            )
    cors = conf.get("cors_origins", [])
    if not isinstance(cors, list) or not all(isinstance(o, str) for o in cors):
        raise ConfigError(
            f"{source}: configuration.cors_origins must be a list of origins such as 'https://site.example'"
        )
    conf.setdefault("endpoint", "paraview")
    conf.setdefault("timeout", 25)
    conf.setdefault("log_dir", "/tmp/pvw-launcher-logs")
    conf.setdefault("fields", [])
    config.setdefault("properties", {})
    config.setdefault("sessionData", {})
    return config
