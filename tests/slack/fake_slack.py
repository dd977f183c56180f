"""A fake Slack Web API on 127.0.0.1 that records every call: the test transport, used as a fixture.

Any `xoxb-` token is accepted. `auth.test` returns a bot identity; every other method returns {"ok": true}.
`fail_next(method, status, times, retry_after)` makes the next calls of a method answer with an HTTP error
(429 with Retry-After, 500...), `hang_next(method, seconds)` delays them. `/webhook/...` paths stand in for
`response_url`s.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"


@dataclass
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)

    @property
    def method(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._failures: dict[str, list[tuple[int, int | None]]] = {}
        self._hangs: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                if raw.startswith("{"):
                    body = json.loads(raw)
                else:
                    body = dict(parse_qsl(raw))
                    for key in ("blocks", "view"):
                        if isinstance(body.get(key), str):
                            body[key] = json.loads(body[key])
                fake._serve(self, Call(self.path, body, {k.lower(): v for k, v in self.headers.items()}))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.webhook_base = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _serve(self, handler: BaseHTTPRequestHandler, call: Call) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            self._respond(handler, call)

    def _respond(self, handler: BaseHTTPRequestHandler, call: Call) -> None:
        method = call.method
        with self._lock:
            hang = self._hangs.get(method, []).pop(0) if self._hangs.get(method) else 0.0
            failure = self._failures.get(method, []).pop(0) if self._failures.get(method) else None
            self.calls.append(call)
        if hang:
            time.sleep(hang)
        if failure is not None:
            status, retry_after = failure
            handler.send_response(status)
            if retry_after is not None:
                handler.send_header("Retry-After", str(retry_after))
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            handler.wfile.write(
                json.dumps({"ok": False, "error": "ratelimited" if status == 429 else "fatal"}).encode()
            )
            return
        if method == "auth.test":
            payload = {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Clinic",
                "user": "billingbot",
                "team_id": "T0001",
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        elif call.path.startswith("/webhook/"):
            payload = {"ok": True}
        else:
            payload = {"ok": True, "channel": call.body.get("channel"), "ts": f"{time.time():.6f}"}
        data = json.dumps(payload).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def fail_next(self, method: str, status: int, times: int = 1, retry_after: int | None = None) -> None:
        with self._lock:
            self._failures.setdefault(method, []).extend([(status, retry_after)] * times)

    def hang_next(self, method: str, seconds: float, times: int = 1) -> None:
        with self._lock:
            self._hangs.setdefault(method, []).extend([seconds] * times)

    def posted(self, method: str = "chat.postMessage") -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def webhooks(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path.startswith("/webhook/")]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.posted(method) if not method.startswith("/webhook") else self.webhooks()
            if len(calls) >= count:
                return calls
            time.sleep(0.02)
        return self.posted(method) if not method.startswith("/webhook") else self.webhooks()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._hangs.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
