"""Load and validate the knowledge directory into an immutable KnowledgeBase.

Every problem is collected (not just the first) with file, line and entry id, so a billing lead can fix a
broken edit in one pass. A KnowledgeBase is built once and swapped whole on reload.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.models import Entry, Scope, Source
from bot.core.rules.tables import RuleTables, parse_basis, parse_codes, parse_modifiers, parse_pairs, parse_states
from bot.core.text import Synonyms, extract_codes, extract_modifiers, normalize, stem
from bot.core.yamlio import LINE_KEY, Problem, as_date, as_source_date, line_of, load_yaml

MAX_ANSWER_CHARS = 1200
MIN_PHRASINGS = 3
NEAR_DUPLICATE_SCORE = 96.0
DEFAULT_MAX_AGE_DAYS = 365
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SECTION_TITLE_RE = re.compile(r"\b(?:section|sec\.)\s*\d|§\s*\d", re.IGNORECASE)
PAYERS = ("medicare", "medicare_advantage", "medicaid", "commercial", "workers_comp", "tricare", "any")
DEPENDS = ("payer", "state", "plan")
ENTRY_FIELDS = {
    "id", "question", "phrasings", "answer", "sources", "codes", "applies_to", "depends_on", "tags", "reviewed",
    "effective", LINE_KEY,
}  # fmt: skip

REPO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


class KnowledgeError(Exception):
    """The knowledge directory has errors; `problems` lists all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the knowledge base; first: {errors[0].format() if errors else ''}")


@dataclass(frozen=True)
class KnowledgeBase:
    directory: Path
    entries: tuple[Entry, ...]
    sources: Mapping[str, Source]
    synonyms: Synonyms
    scope: Scope
    rules: RuleTables
    topics: Mapping[str, str]
    version: str
    problems: tuple[Problem, ...] = field(default=())

    @property
    def entries_by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}

    @property
    def last_reviewed(self) -> date | None:
        return max((e.reviewed for e in self.entries), default=None)


def default_directory() -> Path:
    """BILLING_BOT_KNOWLEDGE, else ./knowledge, else the knowledge/ shipped beside the package."""
    env = os.environ.get("BILLING_BOT_KNOWLEDGE")
    if env:
        return Path(env)
    cwd = Path.cwd() / "knowledge"
    if (cwd / "sources.yaml").exists():
        return cwd
    return REPO_KNOWLEDGE


def load_knowledge(directory: Path | str | None = None, *, today: date | None = None) -> KnowledgeBase:
    """Load and validate; raise KnowledgeError when there is any error (warnings are kept on the result)."""
    kb, problems = _load(Path(directory) if directory else default_directory(), today or date.today())
    if kb is None or any(p.severity == "error" for p in problems):
        raise KnowledgeError(problems)
    return kb


def check_knowledge(
    directory: Path | str | None = None, *, today: date | None = None, max_age_days: int = DEFAULT_MAX_AGE_DAYS
) -> list[Problem]:
    """Every error and warning, for `billing-bot check`."""
    _, problems = _load(Path(directory) if directory else default_directory(), today or date.today(), max_age_days)
    return problems


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def _load(
    directory: Path, today: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS
) -> tuple[KnowledgeBase | None, list[Problem]]:
    problems: list[Problem] = []
    if not directory.is_dir():
        return None, [Problem("error", str(directory), 0, None, "knowledge directory not found")]
    digest = hashlib.sha256()

    def read(path: Path) -> Any:
        if path.exists():
            digest.update(path.read_bytes())
        return load_yaml(path, _display(path, directory), problems)

    sources_path = directory / "sources.yaml"
    if not sources_path.exists():
        problems.append(Problem("error", _display(sources_path, directory), 0, None, "file is missing"))
    sources_display = _display(sources_path, directory)
    sources, source_lines = _parse_sources(read(sources_path), sources_display, problems)
    cited = _CitedSources(sources)

    syn_path = directory / "synonyms.yaml"
    synonyms = _parse_synonyms(read(syn_path) if syn_path.exists() else None, _display(syn_path, directory), problems)

    oos_path = directory / "out_of_scope.yaml"
    scope = _parse_out_of_scope(read(oos_path) if oos_path.exists() else None, _display(oos_path, directory), problems)

    entries: list[Entry] = []
    topics: dict[str, str] = {}
    faq_files = sorted((directory / "faq").glob("*.yaml"))
    if not faq_files:
        problems.append(Problem("error", _display(directory / "faq", directory), 0, None, "no faq/*.yaml files"))
    for path in faq_files:
        display = _display(path, directory)
        data = read(path)
        if data is None:
            continue
        topic, title, file_entries = _parse_faq_file(data, path.stem, display, cited, problems)
        if topic:
            topics[topic] = title
        entries.extend(file_entries)

    rules = _parse_rules(directory, read, cited, problems)
    _check_entries(entries, synonyms, problems, today, max_age_days)
    for sid in sorted(set(sources) - cited.used, key=lambda s: source_lines[s]):
        why = "source is cited by no entry or rule table: cite it or remove it"
        problems.append(Problem("warning", sources_display, source_lines[sid], sid, why))

    kb = KnowledgeBase(
        directory=directory,
        entries=tuple(entries),
        sources=sources,
        synonyms=synonyms,
        scope=scope,
        rules=rules,
        topics=topics,
        version=digest.hexdigest()[:12],
        problems=tuple(p for p in problems if p.severity != "error"),
    )
    return kb, problems


class _CitedSources(Mapping[str, Source]):
    """The source table, remembering which ids entries and rule tables looked up (to report uncited sources)."""

    def __init__(self, sources: Mapping[str, Source]) -> None:
        self._sources = sources
        self.used: set[str] = set()

    def __getitem__(self, sid: str) -> Source:
        source = self._sources[sid]
        self.used.add(sid)
        return source

    def __iter__(self) -> Any:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


def _names_a_section(title: str, other_title: str) -> bool:
    """A source for one section of a long document (e.g. a manual chapter) may share the document's URL."""
    return title != other_title and any(SECTION_TITLE_RE.search(t) for t in (title, other_title))


def _parse_sources(data: Any, display: str, problems: list[Problem]) -> tuple[dict[str, Source], dict[str, int]]:
    sources: dict[str, Source] = {}
    lines: dict[str, int] = {}
    first_with_url: dict[str, str] = {}
    if data is None:
        return sources, lines
    table = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        problems.append(Problem("error", display, line_of(data, 1), None, "expected a top-level 'sources:' mapping"))
        return sources, lines
    for sid, raw in table.items():
        if sid == LINE_KEY:
            continue
        if not isinstance(raw, dict):
            problems.append(Problem("error", display, line_of(table), str(sid), "a source must be a mapping"))
            continue
        line = line_of(raw)
        missing = [k for k in ("title", "publisher", "url") if not isinstance(raw.get(k), str) or not raw.get(k)]
        for key in missing:
            severity = "warning" if key == "url" else "error"
            problems.append(Problem(severity, display, line, str(sid), f"source has no '{key}'"))
        url = str(raw.get("url") or "")
        if url and not re.match(r"^https?://\S+$", url):
            problems.append(Problem("error", display, line, str(sid), f"url is not an http(s) address: {url!r}"))
        when, shown = None, ""
        if raw.get("date") is not None:
            when, shown = as_source_date(raw.get("date"))
            if when is None:
                why = f"date is not valid (YYYY-MM-DD, YYYY-MM or YYYY): {raw.get('date')!r}"
                problems.append(Problem("error", display, line, str(sid), why))
        else:
            problems.append(Problem("warning", display, line, str(sid), "source has no date"))
        if not ID_RE.match(str(sid)):
            problems.append(Problem("error", display, line, str(sid), "source id must be lowercase-with-dashes"))
        page = url.rstrip("/")
        other = first_with_url.get(page, "") if page else ""
        if other and not _names_a_section(str(raw.get("title") or ""), sources[other].title):
            why = f"same url as source '{other}' (line {lines[other]}): cite one id for one page"
            problems.append(Problem("warning", display, line, str(sid), why))
        if "title" in missing or "publisher" in missing:
            continue
        sources[str(sid)] = Source(str(sid), str(raw["title"]).strip(), str(raw["publisher"]).strip(), url, when, shown)
        lines[str(sid)] = line
        if page:
            first_with_url.setdefault(page, str(sid))
    return sources, lines


def _parse_synonyms(data: Any, display: str, problems: list[Problem]) -> Synonyms:
    if data is None:
        return Synonyms({})
    table = data.get("synonyms") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        problems.append(Problem("error", display, line_of(data, 1), None, "expected a top-level 'synonyms:' mapping"))
        return Synonyms({})
    mapping: dict[str, str] = {}
    for key, value in table.items():
        if key == LINE_KEY:
            continue
        if not isinstance(value, (str, int)) or not str(value).strip():
            problems.append(Problem("error", display, line_of(table), str(key), "a synonym must map to a word"))
            continue
        mapping[str(key)] = str(value)
    return Synonyms(mapping)


def _parse_out_of_scope(data: Any, display: str, problems: list[Problem]) -> Scope:
    if data is None:
        return Scope()
    if not isinstance(data, dict):
        problems.append(Problem("error", display, 1, None, "expected a mapping with 'examples' and the term lists"))
        return Scope()
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("examples", "domain_terms", "advice_terms", "billing_action_terms", "advice_patterns"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(e, (str, int)) for e in value):
            problems.append(Problem("error", display, line_of(data, 1), None, f"expected '{key}:' as a list of text"))
            value = []
        lists[key] = tuple(str(e).strip() for e in value if str(e).strip())
    patterns = []
    for pattern in lists["advice_patterns"]:
        try:
            re.compile(pattern)
            patterns.append(pattern)
        except re.error as exc:
            problems.append(Problem("error", display, line_of(data, 1), None, f"bad advice pattern {pattern!r}: {exc}"))

    def stems(words: tuple[str, ...]) -> frozenset[str]:
        return frozenset(stem(w.lower()) for w in words)

    return Scope(
        lists["examples"],
        stems(lists["domain_terms"]),
        stems(lists["advice_terms"]),
        stems(lists["billing_action_terms"]),
        tuple(patterns),
    )


def _parse_faq_file(
    data: Any, stem: str, display: str, sources: Mapping[str, Source], problems: list[Problem]
) -> tuple[str, str, list[Entry]]:
    if not isinstance(data, dict):
        problems.append(Problem("error", display, 1, None, "expected a mapping with 'topic', 'title' and 'entries'"))
        return "", "", []
    topic = data.get("topic")
    if topic != stem:
        problems.append(Problem("error", display, line_of(data, 1), None, f"'topic' must be '{stem}' (the file name)"))
    title = data.get("title") if isinstance(data.get("title"), str) else stem.replace("_", " ")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list):
        problems.append(Problem("error", display, line_of(data, 1), None, "missing 'entries:' list"))
        return stem, title, []
    entries = []
    for raw in raw_entries:
        entry = _parse_entry(raw, stem, display, sources, problems, line_of(data, 1))
        if entry is not None:
            entries.append(entry)
    return stem, title, entries


def _parse_entry(
    raw: Any, topic: str, display: str, sources: Mapping[str, Source], problems: list[Problem], file_line: int
) -> Entry | None:
    if not isinstance(raw, dict):
        problems.append(Problem("error", display, file_line, None, "an entry must be a mapping"))
        return None
    line = line_of(raw)
    entry_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    ok = True

    def error(message: str) -> None:
        nonlocal ok
        ok = False
        problems.append(Problem("error", display, line, entry_id, message))

    if entry_id is None:
        error("missing or non-text 'id'")
    elif not ID_RE.match(entry_id):
        error("id must be lowercase-with-dashes")
    for key in sorted(set(raw) - ENTRY_FIELDS):
        error(f"unknown field '{key}'")

    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        error("missing or non-text 'question'")
        question = ""
    phrasings = raw.get("phrasings")
    if not isinstance(phrasings, list) or not all(isinstance(p, str) and p.strip() for p in phrasings):
        error("'phrasings' must be a list of text")
        phrasings = []
    elif len(phrasings) < MIN_PHRASINGS:
        error(f"needs at least {MIN_PHRASINGS} phrasings besides the question (has {len(phrasings)})")
    answer = raw.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        error("missing or non-text 'answer'")
        answer = ""
    elif len(answer.strip()) > MAX_ANSWER_CHARS:
        error(f"answer is {len(answer.strip())} characters; the limit is {MAX_ANSWER_CHARS}")

    source_ids = raw.get("sources")
    entry_sources: list[Source] = []
    if not isinstance(source_ids, list) or not source_ids or not all(isinstance(s, str) for s in source_ids):
        error("'sources' must be a non-empty list of source ids")
    else:
        for sid in source_ids:
            if sid not in sources:
                error(f"source '{sid}' is not in sources.yaml")
            else:
                entry_sources.append(sources[sid])

    codes = raw.get("codes", [])
    if not isinstance(codes, list) or not all(isinstance(c, (str, int)) for c in codes):
        error("'codes' must be a list")
        codes = []
    codes = [str(c).strip().upper() for c in codes]

    applies = raw.get("applies_to", {})
    payers: list[str] = []
    states: list[str] = []
    if not isinstance(applies, dict):
        error("'applies_to' must be a mapping with 'payers' and 'states'")
    else:
        payers = applies.get("payers") or []
        states = applies.get("states") or []
        if not isinstance(payers, list) or any(p not in PAYERS for p in payers):
            error(f"'applies_to.payers' must be a list drawn from: {', '.join(PAYERS)}")
            payers = []
        if not isinstance(states, list) or any(not isinstance(s, str) or len(s) != 2 for s in states):
            error("'applies_to.states' must be a list of postal codes")
            states = []
    depends = raw.get("depends_on", []) or []
    if not isinstance(depends, list) or any(d not in DEPENDS for d in depends):
        error(f"'depends_on' must be a list drawn from: {', '.join(DEPENDS)}")
        depends = []
    tags = raw.get("tags", []) or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        error("'tags' must be a list of text")
        tags = []
    reviewed = as_date(raw.get("reviewed"))
    if raw.get("reviewed") is None:
        error("missing 'reviewed' date")
    elif reviewed is None:
        error(f"'reviewed' is not a valid date (YYYY-MM-DD): {raw.get('reviewed')!r}")
    if not ok or entry_id is None or reviewed is None:
        return None
    return Entry(
        id=entry_id,
        topic=topic,
        question=question.strip(),
        phrasings=tuple(p.strip() for p in phrasings),
        answer=answer.strip(),
        sources=tuple(entry_sources),
        codes=tuple(codes),
        payers=tuple(payers),
        states=tuple(s.upper() for s in states),
        depends_on=tuple(depends),
        tags=tuple(tags),
        reviewed=reviewed,
        file=display,
        line=line,
    )


def _check_entries(
    entries: list[Entry], synonyms: Synonyms, problems: list[Problem], today: date, max_age_days: int
) -> None:
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in seen:
            first = seen[entry.id]
            problems.append(
                Problem("error", entry.file, entry.line, entry.id, f"duplicate id (first at {first.file}:{first.line})")
            )
        else:
            seen[entry.id] = entry
        if entry.reviewed > today:
            problems.append(Problem("error", entry.file, entry.line, entry.id, "'reviewed' date is in the future"))
        elif today - entry.reviewed > timedelta(days=max_age_days):
            problems.append(
                Problem(
                    "warning",
                    entry.file,
                    entry.line,
                    entry.id,
                    f"reviewed {entry.reviewed.isoformat()}, more than {max_age_days} days ago: re-check it",
                )
            )
        if not any(s.date and s.url for s in entry.sources):
            problems.append(
                Problem("warning", entry.file, entry.line, entry.id, "no cited source has both a URL and a date")
            )
        mentioned = set(extract_codes(entry.answer, expand_ranges=False)) | set(extract_modifiers(entry.answer))
        unlisted = sorted(mentioned - set(entry.codes))
        if unlisted:
            problems.append(
                Problem(
                    "warning",
                    entry.file,
                    entry.line,
                    entry.id,
                    f"answer mentions {', '.join(unlisted)} but 'codes' does not list them",
                )
            )
    _check_near_duplicates(entries, synonyms, problems)
    _check_conflicts(entries, problems)


_FACT_PATTERNS = {
    "amount": re.compile(r"\$\d[\d,]*(?:\.\d+)?"),
    "percent": re.compile(r"\b\d+(?:\.\d+)?\s?%"),
    "days": re.compile(r"\b\d+\s+(?:calendar\s+|business\s+|treatment\s+)?days\b"),
    "indicator": re.compile(r"\bindicator\s+[019]\b"),
}


def _facts(answer: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for kind, pattern in _FACT_PATTERNS.items():
        values = {
            re.sub(r"[^\d.$%]", "", m.group(0)) if kind == "days" else " ".join(m.group(0).replace(",", "").split())
            for m in pattern.finditer(answer)
        }
        if values:
            found[kind] = values
    return found


def _check_conflicts(entries: list[Entry], problems: list[Problem]) -> None:
    """Entries about the same thing (a shared tag, or the same code pair) whose numbers share nothing."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        for tag in entry.tags:
            groups.setdefault(f"tag '{tag}'", []).append(entry)
        cpts = sorted(c for c in entry.codes if len(c) == 5)
        if 2 <= len(cpts) <= 3:
            for i, a in enumerate(cpts):
                for b in cpts[i + 1 :]:
                    groups.setdefault(f"code pair {a} + {b}", []).append(entry)
    reported: set[tuple[str, str]] = set()
    for label, members in groups.items():
        facts = [(e, _facts(e.answer)) for e in members]
        for i, (a, fa) in enumerate(facts):
            for b, fb in facts[i + 1 :]:
                if a.id == b.id or (a.id, b.id) in reported:
                    continue
                clash = [k for k in fa.keys() & fb.keys() if len(fa[k]) == len(fb[k]) == 1 and fa[k] != fb[k]]
                if clash:
                    kind = clash[0]
                    reported.add((a.id, b.id))
                    problems.append(
                        Problem(
                            "warning",
                            b.file,
                            b.line,
                            b.id,
                            f"possible conflict with '{a.id}' ({label}): "
                            f"{kind} {sorted(fb[kind])} vs {sorted(fa[kind])}",
                        )
                    )


def _check_near_duplicates(entries: list[Entry], synonyms: Synonyms, problems: list[Problem]) -> None:
    texts: list[str] = []
    owners: list[Entry] = []
    for entry in entries:
        for phrasing in entry.all_phrasings:
            texts.append(normalize(phrasing, synonyms)[0])
            owners.append(entry)
    if len(texts) < 2:
        return
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=NEAR_DUPLICATE_SCORE, workers=1)
    reported: set[tuple[str, str]] = set()
    rows, cols = (scores >= NEAR_DUPLICATE_SCORE).nonzero()
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        a, b = owners[i], owners[j]
        if i >= j or a.id == b.id or (a.id, b.id) in reported:
            continue
        reported.add((a.id, b.id))
        problems.append(
            Problem(
                "error",
                b.file,
                b.line,
                b.id,
                f"phrasing {texts[j]!r} is (nearly) identical to one of '{a.id}' ({a.file}:{a.line}): ambiguous",
            )
        )


def _parse_rules(directory: Path, read: Any, sources: Mapping[str, Source], problems: list[Problem]) -> RuleTables:
    rules_dir = directory / "rules"

    def table(name: str) -> tuple[Any, str]:
        path = rules_dir / name
        display = _display(path, directory)
        return (read(path) if path.exists() else None), display

    data, display = table("rules.yaml")
    basis = parse_basis(data, display, sources, problems)
    data, display = table("codes.yaml")
    codes = parse_codes(data, display, sources, problems)
    data, display = table("modifiers.yaml")
    modifiers = parse_modifiers(data, display, sources, problems)
    data, display = table("code_pairs.yaml")
    pairs = parse_pairs(data, display, sources, problems)
    data, display = table("dry_needling_states.yaml")
    states, note = parse_states(data, display, sources, problems)
    return RuleTables(basis=basis, codes=codes, modifiers=modifiers, pairs=pairs, states=states, states_note=note)
