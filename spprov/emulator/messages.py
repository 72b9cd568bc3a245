"""Requests and responses as plain values, so each part of the emulator is a function."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Request:
    """One request, already split by the routing rule: ``/HOST/PATH?QUERY``."""

    method: str
    host: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes = field(default=b"", repr=False)

    def params(self) -> dict[str, str]:
        """The body's fields, JSON or form-encoded (both are accepted by LWA)."""
        content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
        text = self.body.decode("utf-8", errors="replace")
        if content_type == "application/json":
            try:
                data = json.loads(text or "{}")
            except ValueError:
                return {}
            if not isinstance(data, dict):
                return {}
            return {str(k): str(v) for k, v in data.items() if v is not None}
        return dict(parse_qsl(text, keep_blank_values=True))

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (controls); raises ValueError otherwise."""
        data = json.loads(self.body.decode("utf-8") or "{}")
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


@dataclass(frozen=True)
class Response:
    """What to send back; ``drop`` closes the connection without any answer."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False


DROP = Response(status=0, drop=True)


def json_response(status: int, data: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """A JSON answer."""
    return Response(status, json.dumps(data).encode(), "application/json", headers)


def html_response(status: int, title: str, body_html: str) -> Response:
    """A small HTML page; ``body_html`` must already be escaped."""
    page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title></head><body>{body_html}</body></html>")
    return Response(status, page.encode(), "text/html; charset=utf-8")


def redirect(location: str) -> Response:
    """A 302 to ``location``."""
    return Response(302, b"", "text/plain", (("Location", location),))


def lwa_error(status: int, error: str, description: str) -> Response:
    """LWA's error body: ``{"error": ..., "error_description": ...}``."""
    return json_response(status, {"error": error, "error_description": description})


def sp_api_error(status: int, code: str, message: str, details: str = "") -> Response:
    """SP-API's error body: ``{"errors": [{"code", "message", "details"}]}``."""
    return json_response(status, {"errors": [
        {"code": code, "message": message, "details": details}]})


NOT_FOUND = json_response(404, {"error": "not_found",
                                 "error_description": "no such resource on this host"})
