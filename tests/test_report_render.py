"""The HTML report renders in headless Chromium with its charts (a screenshot that is not blank)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from bot import reports
from bot.store import QuestionRecord, Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def png_colors(path: Path) -> dict[tuple[int, ...], int]:
    """Pixel colour counts of an 8-bit RGB/RGBA PNG (enough of a decoder for a screenshot)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    counts: dict[tuple[int, ...], int] = {}
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        for x in range(0, stride, channels * 4):  # sample every 4th pixel
            px = tuple(line[x : x + 3])
            counts[px] = counts.get(px, 0) + 1
        prev = line
    return counts


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_report_page_renders_charts_in_headless_chromium(kb, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    statuses = ["answered"] * 30 + ["suggest"] * 8 + ["no_match"] * 12
    for i, status in enumerate(statuses):
        store.record_question(
            QuestionRecord(
                f"question {i % 7} about wifi",
                "channel",
                status,
                kb.entries[i % 5].id if status == "answered" else None,
                0.5,
                1.0,
                "v",
            )
        )
    store.record_feedback(kb.entries[0].id, "answered", "down", "outdated")
    assert store.flush()
    page = tmp_path / "report.html"
    page.write_text(reports.render_html(reports.build_report(store, kb, days=14)), encoding="utf-8")
    store.close()
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=900,1200",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 5000
    colors = png_colors(shot)
    total = sum(colors.values())
    top_share = max(colors.values()) / total
    assert top_share < 0.97, "screenshot is (nearly) one colour: blank page"
    greens = sum(n for (r, g, b), n in colors.items() if g > 110 and r < 90 and b < 120)  # the answered slice
    blues = sum(n for (r, g, b), n in colors.items() if b > 140 and r < 60)  # the per-day bars
    assert greens > 50 and blues > 20
