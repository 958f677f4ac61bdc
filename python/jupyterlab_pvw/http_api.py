"""What the HTTP front ends (the Jupyter server extension and the standalone launcher) share:
the error a request ends with, and one strict reader of JSON request bodies."""

from __future__ import annotations

import json

MAX_BODY = 64 * 1024  # a launch or announce request is a few hundred bytes
MAX_DEPTH = 32  # deeper JSON is no request of ours (and would cost a RecursionError)


class RequestError(Exception):
    """A request that cannot be served; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra

    def payload(self) -> dict:
        """The JSON answer: the message under ``error`` (and ``message``, Jupyter's key)."""
        return {"error": self.message, "message": self.message, **self.extra}


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range for a JSON number")
    return value


def _depth(text: str) -> int:
    """Deepest nesting of [ and { outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json_object(body: bytes | None, max_bytes: int = MAX_BODY) -> dict:
    """The request body as a JSON object, or a RequestError (413 too large, 400 otherwise)."""
    body = body or b""
    if len(body) > max_bytes:
        raise RequestError(
            413, f"the request body has {len(body)} bytes; at most {max_bytes} are accepted"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(400, f"the request body is not UTF-8: {exc}") from None
    if _depth(text) > MAX_DEPTH:
        raise RequestError(400, f"the JSON is nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text or "null", parse_constant=_no_constant, parse_float=_finite)
    except ValueError as exc:
        raise RequestError(400, f"malformed JSON: {exc}") from None
    if not isinstance(value, dict):
        raise RequestError(400, "the request body must be a JSON object")
    return value
