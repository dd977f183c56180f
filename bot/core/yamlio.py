"""YAML reading that keeps line numbers, so every knowledge problem can point at file:line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

LINE_KEY = "__line__"


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
    mapping = yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """An impossible date (2026-13-01) stays text, so validation can report it with its line."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth a look (warning) in the knowledge."""

    severity: str  # "error" | "warning"
    file: str
    line: int
    entry_id: str | None
    message: str

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" [{self.entry_id}]" if self.entry_id else ""
        return f"{where}: {self.severity}{who}: {self.message}"

    def format_github(self) -> str:
        level = "error" if self.severity == "error" else "warning"
        msg = (f"[{self.entry_id}] " if self.entry_id else "") + self.message
        msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{level} file={self.file},line={max(self.line, 1)}::{msg}"


def load_yaml(path: Path, display: str, problems: list[Problem]) -> Any:
    """Parse one file; on a syntax error record a problem with its line and return None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem("error", display, 0, None, f"cannot read file: {exc}"))
        return None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problems.append(Problem("error", display, line, None, f"YAML syntax error: {exc.problem or exc}"))
    except yaml.YAMLError as exc:
        problems.append(Problem("error", display, 0, None, f"YAML error: {exc}"))
    return None


def line_of(node: Any, default: int = 0) -> int:
    if isinstance(node, dict):
        return int(node.get(LINE_KEY, default))
    return default


def as_date(value: Any) -> date | None:
    """YAML gives a date for 2026-11-25 and a str for anything else; accept only real calendar dates."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def as_source_date(value: Any) -> tuple[date | None, str]:
    """A source's date as precise as the source shows it: YYYY-MM-DD, YYYY-MM or YYYY -> (first day, as written)."""
    full = as_date(value)
    if full is not None:
        return full, full.isoformat()
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text)
    if match is None:
        return None, ""
    try:
        return date(int(match[1]), int(match[2] or 1), 1), text
    except ValueError:
        return None, ""
