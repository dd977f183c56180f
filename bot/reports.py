"""Knowledge-gap reports from the question log: terminal table, self-contained HTML with charts, Slack summary."""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, utils
from rapidfuzz.process import cdist

from bot.core.knowledge import DEFAULT_MAX_AGE_DAYS, KnowledgeBase
from bot.store import Store, choices, feedback, now, questions

CLUSTER_SCORE = 70.0


@dataclass(frozen=True)
class Cluster:
    example: str
    count: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    days: int
    per_day: list[tuple[date, int]]
    status_counts: dict[str, int]
    unanswered: list[Cluster]
    downvoted: list[tuple[str, int, dict[str, int]]]
    never_hit: list[str]
    stale: list[tuple[str, date]]
    choices: list[tuple[str, str]]

    @property
    def total(self) -> int:
        return sum(self.status_counts.values())

    def share(self, status: str) -> float:
        return 100.0 * self.status_counts.get(status, 0) / self.total if self.total else 0.0


def cluster(texts: list[str], threshold: float = CLUSTER_SCORE) -> list[Cluster]:
    """Group similar questions (rapidfuzz token_set_ratio, single link to the group's first member)."""
    if not texts:
        return []
    scores = cdist(texts, texts, scorer=fuzz.token_set_ratio, processor=utils.default_process, workers=1)
    assigned = [-1] * len(texts)
    groups: list[list[int]] = []
    for i in range(len(texts)):
        if assigned[i] >= 0:
            continue
        members = [j for j in range(i, len(texts)) if assigned[j] < 0 and scores[i][j] >= threshold]
        for j in members:
            assigned[j] = len(groups)
        groups.append(members)
    out = [Cluster(texts[g[0]], len(g), tuple(texts[j] for j in g)) for g in groups]
    return sorted(out, key=lambda c: -c.count)


def build_report(store: Store, kb: KnowledgeBase, days: int = 30, today: date | None = None) -> Report:
    since: datetime = now() - timedelta(days=days)
    rows = list(store.rows(questions, since))
    per_day_counter: Counter[date] = Counter(r["created_at"].date() for r in rows)
    start = (today or date.today()) - timedelta(days=days - 1)
    per_day = [(start + timedelta(days=i), per_day_counter.get(start + timedelta(days=i), 0)) for i in range(days)]
    status_counts = Counter(r["status"] for r in rows)
    unanswered = cluster([r["question"] for r in rows if r["status"] != "answered"])
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    downs: Counter[str] = Counter()
    for f in store.rows(feedback, since):
        if f["vote"] == "down" and f["entry_id"]:
            downs[f["entry_id"]] += 1
            votes[f["entry_id"]][f["reason"] or "no reason"] += 1
    hit = {r["entry_id"] for r in rows if r["entry_id"]}
    never_hit = sorted(e.id for e in kb.entries if e.id not in hit)
    cutoff = (today or date.today()) - timedelta(days=DEFAULT_MAX_AGE_DAYS)
    stale = sorted(((e.id, e.reviewed) for e in kb.entries if e.reviewed < cutoff), key=lambda x: x[1])
    picked = [(c["question"], c["entry_id"]) for c in store.rows(choices, since)]
    return Report(
        days=days,
        per_day=per_day,
        status_counts=dict(status_counts),
        unanswered=unanswered[:20],
        downvoted=[(e, n, dict(votes[e])) for e, n in downs.most_common(10)],
        never_hit=never_hit,
        stale=stale,
        choices=picked,
    )


def render_text(report: Report) -> str:
    lines = [f"Billing Bot report, last {report.days} days: {report.total} questions"]
    for status in ("answered", "suggest", "no_match"):
        lines.append(f"  {status:<9} {report.status_counts.get(status, 0):>6}  {report.share(status):5.1f}%")
    lines.append("\nQuestions per day")
    peak = max((n for _, n in report.per_day), default=0) or 1
    for day, n in report.per_day[-14:]:
        lines.append(f"  {day.isoformat()}  {n:>5}  {'#' * round(30 * n / peak)}")
    lines.append("\nTop unanswered questions (grouped)")
    lines += [f"  {c.count:>4} x  {c.example[:90]}" for c in report.unanswered[:10]] or ["  none"]
    lines.append("\nMost 👎 answers")
    lines += [f"  {n:>4} x  {e}  ({', '.join(f'{k}: {v}' for k, v in r.items())})" for e, n, r in report.downvoted] or [
        "  none"
    ]
    lines.append(f"\nEntries never hit: {len(report.never_hit)}")
    lines += [f"  {e}" for e in report.never_hit[:15]]
    if len(report.never_hit) > 15:
        lines.append(f"  ... and {len(report.never_hit) - 15} more")
    lines.append(f"\nStale entries (reviewed over a year ago): {len(report.stale)}")
    lines += [f"  {e} (reviewed {d.isoformat()})" for e, d in report.stale[:15]]
    return "\n".join(lines)


def summary_lines(report: Report) -> list[str]:
    """The headline numbers, for /billing report and the admin part of App Home."""
    top = report.unanswered[0].example[:80] if report.unanswered else "none"
    return [
        f"*Last {report.days} days:* {report.total} questions — {report.share('answered'):.0f}% answered, "
        f"{report.share('suggest'):.0f}% did-you-mean, {report.share('no_match'):.0f}% not matched",
        f"*Top unanswered:* {top}",
        f"*Most 👎:* {report.downvoted[0][0] if report.downvoted else 'none'}",
        f"*Entries never hit:* {len(report.never_hit)} · *stale:* {len(report.stale)}",
    ]


def _bar_chart(data: list[tuple[str, int]], width: int = 720, height: int = 220, color: str = "#1d6fa5") -> str:
    peak = max((n for _, n in data), default=0) or 1
    n = max(len(data), 1)
    bar_w = (width - 40) / n
    bars = []
    for i, (label, value) in enumerate(data):
        h = (height - 40) * value / peak
        x = 30 + i * bar_w
        bars.append(
            f'<rect x="{x:.1f}" y="{height - 20 - h:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="{color}"><title>{html.escape(label)}: {value}</title></rect>'
        )
    axis = f'<line x1="28" y1="{height - 20}" x2="{width - 5}" y2="{height - 20}" stroke="#555"/>'
    labels = (
        f'<text x="30" y="{height - 5}" font-size="11">{html.escape(data[0][0]) if data else ""}</text>'
        f'<text x="{width - 80}" y="{height - 5}" font-size="11">{html.escape(data[-1][0]) if data else ""}</text>'
        f'<text x="2" y="20" font-size="11">{peak}</text>'
    )
    return f'<svg width="{width}" height="{height}" role="img" xmlns="http://www.w3.org/2000/svg">{axis}{"".join(bars)}{labels}</svg>'


def _pie(shares: list[tuple[str, int, str]], size: int = 200) -> str:
    import math

    total = sum(v for _, v, _ in shares) or 1
    r = size / 2 - 5
    cx = cy = size / 2
    angle = -math.pi / 2
    parts = []
    for label, value, color in shares:
        if not value:
            continue
        if value == total:
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{color}"><title>{label}: {value}</title></circle>')
            continue
        end = angle + 2 * math.pi * value / total
        large = 1 if end - angle > math.pi else 0
        x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
        x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
        parts.append(
            f'<path d="M{cx},{cy} L{x1:.1f},{y1:.1f} A{r},{r} 0 {large} 1 {x2:.1f},{y2:.1f} Z" fill="{color}">'
            f"<title>{label}: {value}</title></path>"
        )
        angle = end
    return f'<svg width="{size}" height="{size}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'


def render_html(report: Report, generated: datetime | None = None) -> str:
    colors = {"answered": "#2e8b57", "suggest": "#e0a800", "no_match": "#c0392b"}
    pie = _pie([(s, report.status_counts.get(s, 0), c) for s, c in colors.items()])
    legend = "".join(
        f'<li><span class="sw" style="background:{c}"></span>{s}: {report.status_counts.get(s, 0)} '
        f"({report.share(s):.1f}%)</li>"
        for s, c in colors.items()
    )
    per_day = _bar_chart([(d.isoformat(), n) for d, n in report.per_day])

    def rows(items: list[tuple[Any, ...]]) -> str:
        return "".join("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in item) + "</tr>" for item in items)

    unanswered = rows([(c.count, c.example, len(c.members)) for c in report.unanswered]) or "<tr><td>none</td></tr>"
    down = rows([(e, n, ", ".join(f"{k}: {v}" for k, v in r.items())) for e, n, r in report.downvoted])
    stale = rows([(e, d.isoformat()) for e, d in report.stale])
    when = (generated or now()).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Billing Bot report</title>
<style>
body{{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;background:#fff}}
h1{{font-size:22px}} h2{{font-size:17px;margin-top:28px}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:13px}} .sw{{display:inline-block;width:12px;
height:12px;margin-right:6px}} .row{{display:flex;gap:40px;align-items:center}} ul{{list-style:none;padding:0}}
</style></head><body>
<h1>Billing Bot report — last {report.days} days</h1>
<p>{report.total} questions. Generated {when}. Questions are stored with patient identifiers removed.</p>
<h2>Outcomes</h2><div class="row">{pie}<ul>{legend}</ul></div>
<h2>Questions per day</h2>{per_day}
<h2>Top unanswered questions (grouped by similarity)</h2>
<table><tr><th>count</th><th>example</th><th>variants</th></tr>{unanswered}</table>
<h2>Answers with the most thumbs-down</h2>
<table><tr><th>entry</th><th>thumbs-down</th><th>reasons</th></tr>{down}</table>
<h2>Entries never hit ({len(report.never_hit)})</h2><p>{html.escape(", ".join(report.never_hit)) or "none"}</p>
<h2>Stale entries ({len(report.stale)})</h2><table><tr><th>entry</th><th>reviewed</th></tr>{stale}</table>
</body></html>
"""


def phrasing_suggestions(report: Report, kb: KnowledgeBase) -> str:
    """YAML snippets a curator can paste: chosen did-you-mean phrasings per entry, and unanswered clusters."""
    by_entry: dict[str, list[str]] = defaultdict(list)
    for question, entry_id in report.choices:
        if question not in by_entry[entry_id]:
            by_entry[entry_id].append(question)
    out = ["# New phrasings from 'did you mean' choices: add under the entry's `phrasings:`"]
    entries = kb.entries_by_id
    for entry_id, qs in sorted(by_entry.items()):
        where = f"  # {entries[entry_id].file}:{entries[entry_id].line}" if entry_id in entries else ""
        out.append(f"- id: {entry_id}{where}\n  phrasings:")
        out += [f"    - {_yaml_str(q)}" for q in qs]
    out.append("\n# Unanswered questions, grouped: candidates for new entries (write the answer and sources)")
    for c in report.unanswered:
        out.append(f"# asked {c.count} time(s)\n- question: {_yaml_str(c.example)}\n  phrasings:")
        out += [f"    - {_yaml_str(m)}" for m in list(dict.fromkeys(c.members))[1:6]]
    return "\n".join(out)


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
