"""The Slack test transport: a fake Web API on 127.0.0.1 and the real `billing-bot serve` pointed at it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.slack.fake_slack import FakeSlack

SIGNING_SECRET = "test-signing-secret-8f2c"
BOT_TOKEN = "xoxb-test-0001"


@dataclass
class HttpResult:
    status: int
    body: str
    elapsed: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


class SlackServer:
    def __init__(self, base: str, proc: subprocess.Popen[bytes]):
        self.base = base
        self.proc = proc

    def post(
        self,
        body: str,
        *,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> HttpResult:
        ctype = content_type or ("application/json" if body.startswith("{") else "application/x-www-form-urlencoded")
        all_headers = {"Content-Type": ctype, **(sign(body, timestamp) if signed else {}), **(headers or {})}
        req = urllib.request.Request(
            self.base + "/slack/events", data=body.encode(), headers=all_headers, method="POST"
        )
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return HttpResult(resp.status, resp.read().decode(), time.monotonic() - start)
        except urllib.error.HTTPError as exc:
            return HttpResult(exc.code, exc.read().decode(), time.monotonic() - start)
        except OSError:  # refused or reset: the server is gone
            return HttpResult(0, "", time.monotonic() - start)

    def get(self, path: str) -> HttpResult:
        start = time.monotonic()
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as resp:
                return HttpResult(resp.status, resp.read().decode(), time.monotonic() - start)
        except urllib.error.HTTPError as exc:
            return HttpResult(exc.code, exc.read().decode(), time.monotonic() - start)


def start_server(fake: FakeSlack, extra_env: dict[str, str] | None = None, db_path: str | None = None) -> SlackServer:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BILLING_BOT_", "DATABASE_URL"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.url,
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "BILLING_BOT_CONTACT": "Dana in billing (ext. 204)",
            "BILLING_BOT_DATABASE_URL": db_path or f"/tmp/billing-bot-test-{port}.sqlite3",
            "BILLING_BOT_ADMINS": "U0ADMIN01",
        }
    )
    if os.environ.get("BILLING_BOT_KNOWLEDGE"):
        env["BILLING_BOT_KNOWLEDGE"] = os.environ["BILLING_BOT_KNOWLEDGE"]
    env.update(extra_env or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = SlackServer(f"http://127.0.0.1:{port}", proc)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited: " + proc.stdout.read().decode() if proc.stdout else "")
        try:
            if server.get("/healthz").status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not become healthy in 60 s")


def stop_server(server: SlackServer) -> str:
    server.proc.terminate()
    try:
        out, _ = server.proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        out, _ = server.proc.communicate()
    return out.decode() if out else ""


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def slack_server(fake_slack: FakeSlack) -> Iterator[SlackServer]:
    server = start_server(fake_slack)
    yield server
    stop_server(server)


@pytest.fixture
def slack(fake_slack: FakeSlack, slack_server: SlackServer) -> Iterator[tuple[SlackServer, FakeSlack]]:
    fake_slack.reset()
    yield slack_server, fake_slack
