"""Load test: `billing-bot serve` on 127.0.0.1 against a fake Slack Web API, with signed Slack traffic.

Sends N signed requests (mentions, DMs, slash commands, and a share of Slack retries of events already sent) at C
concurrent connections, then checks that every event was answered exactly once and every ack came in under 3 s.

    python bench/load.py [--events 2000] [--concurrency 50] [--store sqlite|postgres|both] [--json]

PostgreSQL comes from BILLING_BOT_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.slack import payloads as p  # noqa: E402
from tests.slack.conftest import SIGNING_SECRET, sign, start_server, stop_server  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402

QUESTIONS = [
    "Medicare ABN option 1 code?",
    "units for 38 min",
    "can PTs dry needle in NY",
    "what does KX mean",
    "is 97530 timed",
    "97140 and 97530 same day?",
    "PTA did the ther ex alone, CQ?",
    "what's the wifi password",
    "dry needling cpt code",
    "when is the progress report due",
    "GP or GO for OT eval",
    "timely filing medicare",
]


@dataclass
class Sent:
    kind: str
    key: str  # what identifies the expected reply
    status: int
    elapsed: float
    retry: bool = False


def _post(base: str, body: str, headers: dict[str, str]) -> tuple[int, float, str]:
    req = urllib.request.Request(base + "/slack/events", data=body.encode(), headers=headers, method="POST")
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, time.monotonic() - start, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, time.monotonic() - start, ""
    except OSError:
        return 0, time.monotonic() - start, ""


def run(store: str, events: int, concurrency: int, seed: int = 7) -> dict[str, object]:
    rng = random.Random(seed)
    fake = FakeSlack()
    env: dict[str, str] = {
        "BILLING_BOT_THREADS": str(max(16, concurrency)),
        "LOG_LEVEL": "ERROR",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
    }
    tmp = tempfile.mkdtemp(prefix="billing-bot-load-")
    db_path = None
    if store == "postgres":
        url = os.environ.get("BILLING_BOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
        env["DATABASE_URL"] = url
        from bot.store import Store, database_url, questions
        from bot.store import events as events_table

        s = Store(database_url({"DATABASE_URL": url}), background=False)
        with s.engine.begin() as conn:
            conn.execute(events_table.delete())
            conn.execute(questions.delete())
        s.close()
    else:
        db_path = str(Path(tmp) / "load.sqlite3")
    server = start_server(fake, env, db_path=db_path)
    plan: list[tuple[str, str, str, bool]] = []  # kind, body, key, retry
    sent_events: list[tuple[str, str]] = []
    for i in range(events):
        roll = rng.random()
        q = rng.choice(QUESTIONS)
        if roll < 0.1 and sent_events:
            body, key = rng.choice(sent_events)
            plan.append(("retry", body, key, True))
        elif roll < 0.45:
            ts = f"1700{i:06d}.000100"
            body = p.event_callback(p.mention(q, ts=ts), event_id=f"EvL{i}")
            plan.append(("mention", body, ts, False))
            sent_events.append((body, ts))
        elif roll < 0.8:
            channel = f"DL{i:08d}"
            body = p.event_callback(p.direct_message(q, ts=f"1701{i:06d}.000100", channel=channel), event_id=f"EvL{i}")
            plan.append(("dm", body, channel, False))
            sent_events.append((body, channel))
        else:
            plan.append(("command", p.slash_command(q, fake.webhook_base + f"cmd{i}"), f"cmd{i}", False))

    results: list[Sent] = []
    lock = threading.Lock()

    def headers_for(body: str, retry: bool) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json" if body.startswith("{") else "application/x-www-form-urlencoded",
            **sign(body),
        }
        if retry:
            headers.update({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
        return headers

    signed = [(item, headers_for(item[1], item[3])) for item in plan]  # sign before the clock starts

    def fire(work: tuple[tuple[str, str, str, bool], dict[str, str]]) -> None:
        (kind, body, key, retry), headers = work
        status, elapsed, _ = _post(server.base, body, headers)
        with lock:
            results.append(Sent(kind, key, status, elapsed, retry))

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(fire, signed))
    duration = time.monotonic() - start
    expected = [key for kind, _, key, retry in plan if kind in ("mention", "dm") and not retry]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(fake.posted("chat.postMessage")) < len(expected):
        time.sleep(0.2)
    time.sleep(1.5)
    # a mention's reply is threaded under it (thread_ts = its ts); a DM's reply goes to its own DM channel
    replies = [
        c.body.get("thread_ts") if c.body.get("channel") == p.CHANNEL else c.body.get("channel")
        for c in fake.posted("chat.postMessage")
    ]
    stop_server(server)
    fake.close()

    acks = sorted(r.elapsed for r in results)
    bad_status = [r for r in results if r.status != 200]
    lost = set(expected) - set(replies)
    duplicated = len(replies) - len(set(replies))
    return {
        "store": store,
        "requests": len(results),
        "retries": sum(r.retry for r in results),
        "duration_s": round(duration, 2),
        "acks_per_s": round(len(results) / duration, 1),
        "ack_p50_ms": round(statistics.median(acks) * 1000, 1),
        "ack_p99_ms": round(acks[int(len(acks) * 0.99) - 1] * 1000, 1),
        "ack_max_ms": round(acks[-1] * 1000, 1),
        "acks_over_3s": sum(a >= 3 for a in acks),
        "non_200": len(bad_status),
        "non_200_by_status": dict(
            sorted({str(r.status): sum(1 for b in bad_status if b.status == r.status) for r in bad_status}.items())
        ),
        "events_expected": len(expected),
        "lost": len(lost),
        "duplicated": duplicated,
        "slash_acks_with_answer": sum(1 for r in results if r.kind == "command" and r.status == 200),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    rows = [run(s, args.events, args.concurrency) for s in stores]
    ok = all(r["lost"] == 0 and r["duplicated"] == 0 and r["acks_over_3s"] == 0 and r["non_200"] == 0 for r in rows)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            print(
                f"{r['store']:>8}: {r['requests']} requests ({r['retries']} retries) at {args.concurrency} concurrent: "
                f"{r['acks_per_s']} acks/s, ack p50 {r['ack_p50_ms']} ms, p99 {r['ack_p99_ms']} ms, max "
                f"{r['ack_max_ms']} ms; {r['events_expected']} events: {r['lost']} lost, {r['duplicated']} duplicated; "
                f"{r['acks_over_3s']} acks over 3 s; {r['non_200']} non-200 {r['non_200_by_status']}"
            )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
