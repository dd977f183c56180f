"""Faults: a hanging Slack API, SIGTERM during load. (429/5xx: test_http.py; database loss: test_store.py;
a broken knowledge reload: test_memory.py.)"""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid

from tests.slack import payloads as p
from tests.slack.conftest import start_server


def ts() -> str:
    return f"{time.time():.6f}"


def test_hanging_web_api_does_not_block_other_answers(slack):
    server, fake = slack
    fake.hang_next("chat.postMessage", 12)
    first = server.post(
        p.event_callback(p.direct_message("what does KX mean", ts=ts()), event_id="Ev" + uuid.uuid4().hex)
    )
    assert first.status == 200 and first.elapsed < 3
    time.sleep(0.3)
    second = server.post(
        p.event_callback(p.direct_message("is 97530 timed", ts=ts()), event_id="Ev" + uuid.uuid4().hex)
    )
    assert second.status == 200 and second.elapsed < 3
    calls = fake.wait_for("chat.postMessage", count=2, timeout=8)
    assert any("97530" in json.dumps(c.body.get("blocks")) for c in calls)


def test_sigterm_mid_load_finishes_in_flight_requests_then_exits(fake_slack, tmp_path):
    server = start_server(fake_slack, db_path=str(tmp_path / "log.sqlite3"))
    statuses: list[int] = []
    lock = threading.Lock()

    def fire(i: int) -> None:
        res = server.post(p.slash_command(f"units for {10 + i} min", fake_slack.webhook_base + f"t{i}"))
        with lock:
            statuses.append(res.status)

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    server.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(timeout=30)
    code = server.proc.wait(timeout=30)
    # Requests accepted before shutdown are answered (200); later ones are refused at connect (status 0 / error),
    # never cut off half-way with a 5xx.
    assert all(s in (200, 0) for s in statuses), statuses
    assert statuses.count(200) >= 1
    assert code == 0
