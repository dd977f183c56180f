"""WSGI entry for the production server: Bolt's handler at /slack/events plus GET /healthz.

Bodies are checked before Bolt sees them, so a malformed request gets a 4xx instead of an exception: not UTF-8,
not JSON when it claims (or looks) to be JSON, or over 1 MB.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack.handlers import Services

log = logging.getLogger("billing_bot.web")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_BODY = 1_000_000


def _reply(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _body_problem(raw: bytes, content_type: str) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if "application/json" in content_type or text.startswith("{"):
        try:
            json.loads(text)
        except ValueError:
            return "body is not valid JSON"
    return None


def create_wsgi(app: App, services: Services) -> WSGIApp:
    slack = SlackRequestHandler(app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in ("GET", "HEAD"):
            kb = services.answerer.kb
            return _reply(
                start_response, "200 OK", {"status": "ok", "entries": len(kb.entries), "knowledge_version": kb.version}
            )
        if path == "/slack/events" and method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return _reply(start_response, "400 Bad Request", {"error": "bad content-length"})
            if length > MAX_BODY:
                return _reply(start_response, "413 Payload Too Large", {"error": "body too large"})
            raw = environ["wsgi.input"].read(length) if length > 0 else b""
            problem = _body_problem(raw, str(environ.get("CONTENT_TYPE") or ""))
            if problem:
                return _reply(start_response, "400 Bad Request", {"error": problem})
            environ["wsgi.input"] = io.BytesIO(raw)
        try:
            return slack(environ, start_response)
        except Exception as exc:  # a request Bolt cannot parse: the sender's problem, not a server error
            log.warning("rejected a malformed request: %s", type(exc).__name__)
            return _reply(start_response, "400 Bad Request", {"error": "malformed request"})

    return application
