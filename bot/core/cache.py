"""A compiled-knowledge cache: the validated, indexed Answerer pickled under a key of its inputs.

Parsing ~200 YAML entries and building the index takes about a second; a command-line `ask` or a server restart
should not pay that each time. The key covers every knowledge file's bytes, the engine's own source files and the
Python version, so any edit (or upgrade) rebuilds. Only knowledge that passed validation is ever cached.
`BILLING_BOT_CACHE=0` turns it off; `BILLING_BOT_CACHE_DIR` moves it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path

from bot.core.answerer import Answerer
from bot.core.knowledge import default_directory, load_knowledge

log = logging.getLogger("billing_bot.cache")
CORE_DIR = Path(__file__).resolve().parent


def cache_dir() -> Path:
    env = os.environ.get("BILLING_BOT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "billing-bot"


def cache_key(directory: Path) -> str:
    digest = hashlib.sha256(sys.version.encode())
    for root in (directory, CORE_DIR):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def load_answerer(directory: Path | str | None = None) -> Answerer:
    """The Answerer for a knowledge directory, from the cache when its inputs are unchanged."""
    directory = Path(directory) if directory else default_directory()
    if os.environ.get("BILLING_BOT_CACHE", "1") == "0" or not directory.is_dir():
        return Answerer(load_knowledge(directory))
    key = cache_key(directory)
    path = cache_dir() / f"answerer-{key}.pickle"
    try:
        with path.open("rb") as handle:
            answerer = pickle.load(handle)  # noqa: S301 - our own file, keyed by content
        if isinstance(answerer, Answerer) and answerer.kb.directory.resolve() == directory.resolve():
            return answerer
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass
    answerer = Answerer(load_knowledge(directory))  # raises KnowledgeError: nothing invalid is cached
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as tmp:
            pickle.dump(answerer, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, path)
        for old in path.parent.glob("answerer-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("knowledge cache not written: %s", exc)
    return answerer
