"""Durable memory: question log (redacted), feedback, "did you mean" choices, event de-duplication.

One code path over SQLite (default, nothing to install) and PostgreSQL (`DATABASE_URL`, Heroku's
`postgres://` accepted), through SQLAlchemy Core. Writes go through a background queue so a slow or
unreachable database never delays an answer; they are retried until the database is back. De-duplication is
synchronous (it decides whether to answer) and falls back to memory, with a warning, when the database is down.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.privacy import redact

log = logging.getLogger("billing_bot.store")

DEFAULT_RETENTION_DAYS = 365
QUEUE_LIMIT = 10_000

metadata = sa.MetaData()

questions = sa.Table(
    "questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("channel_type", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("entry_id", sa.String(200)),
    sa.Column("confidence", sa.Float),
    sa.Column("latency_ms", sa.Float),
    sa.Column("knowledge_version", sa.String(40)),
)
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("entry_id", sa.String(200)),
    sa.Column("status", sa.String(16)),
    sa.Column("vote", sa.String(8), nullable=False),
    sa.Column("reason", sa.String(32)),
    sa.Column("comment", sa.Text),
)
choices = sa.Table(
    "choices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("entry_id", sa.String(200), nullable=False),
)
events = sa.Table(
    "events",
    metadata,
    sa.Column("event_key", sa.String(200), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
TABLES = (questions, feedback, choices)


def now() -> datetime:
    return datetime.now(UTC)


def default_sqlite_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "billing-bot" / "billing-bot.sqlite3"


def database_url(env: Mapping[str, str] | None = None) -> str:
    """DATABASE_URL (PostgreSQL, Heroku style), else BILLING_BOT_DATABASE_URL (URL or SQLite path), else a file."""
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL", "").strip() or env.get("BILLING_BOT_DATABASE_URL", "").strip()
    if not url:
        path = default_sqlite_path()
        return f"sqlite:///{path}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    return url


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 5, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: no corruption risk, no fsync per commit
            cur.close()

        return engine
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=3, connect_args={"connect_timeout": 3}
    )


@dataclass(frozen=True)
class QuestionRecord:
    question: str
    channel_type: str
    status: str
    entry_id: str | None
    confidence: float
    latency_ms: float
    knowledge_version: str


class Store:
    """Thread-safe. `close()` flushes the write queue."""

    def __init__(
        self, url: str | None = None, *, retention_days: int = DEFAULT_RETENTION_DAYS, background: bool = True
    ):
        self.url = url or database_url()
        self.retention_days = retention_days
        self.engine = _engine(self.url)
        self._queue: queue.Queue[tuple[sa.Table, dict[str, Any]]] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._memory_events: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._inflight = 0
        self.healthy = True
        self._schema_ready = False
        self._ensure_schema()
        self._background = background
        self._writer: threading.Thread | None = None
        self._pid = os.getpid()
        if background:
            self._ensure_writer()

    def _ensure_writer(self) -> None:
        """Start the writer thread (again in a forked server worker: threads and pooled connections do not survive)."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self.engine.dispose(close=False)
            self._writer = None
        if self._writer is None or not self._writer.is_alive():
            self._writer = threading.Thread(target=self._write_loop, name="store-writer", daemon=True)
            self._writer.start()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _ensure_schema(self) -> bool:
        """Create missing tables (start-up, or the first write after the database comes back)."""
        if self._schema_ready:
            return True
        try:
            metadata.create_all(self.engine)
            self._schema_ready = True
            self._mark(True)
        except SQLAlchemyError as exc:
            self._mark(False, exc)
        return self._schema_ready

    def _mark(self, ok: bool, exc: Exception | None = None) -> None:
        if ok and not self.healthy:
            log.warning("database is reachable again; logging resumes")
        elif not ok and self.healthy:
            log.warning("database unavailable (%s); answering without logging until it is back", type(exc).__name__)
        self.healthy = ok

    # --- writes (queued) -------------------------------------------------------------------------------
    def record_question(self, record: QuestionRecord) -> None:
        self._enqueue(
            questions,
            {
                "created_at": now(),
                "question": redact(record.question)[:4000],
                "channel_type": record.channel_type,
                "status": record.status,
                "entry_id": record.entry_id,
                "confidence": record.confidence,
                "latency_ms": record.latency_ms,
                "knowledge_version": record.knowledge_version,
            },
        )

    def record_feedback(
        self, entry_id: str | None, status: str | None, vote: str, reason: str | None = None, comment: str | None = None
    ) -> None:
        self._enqueue(
            feedback,
            {
                "created_at": now(),
                "entry_id": entry_id,
                "status": status,
                "vote": vote,
                "reason": reason,
                "comment": redact(comment)[:2000] if comment else None,
            },
        )

    def record_choice(self, question: str, entry_id: str) -> None:
        self._enqueue(choices, {"created_at": now(), "question": redact(question)[:4000], "entry_id": entry_id})

    def _enqueue(self, table: sa.Table, row: dict[str, Any]) -> None:
        if not self._background:
            self._write([(table, row)])
            return
        self._ensure_writer()
        with self._lock:
            self._inflight += 1
        try:
            self._queue.put_nowait((table, row))
        except queue.Full:
            log.warning("log queue full (%d rows waiting); dropping the oldest row", QUEUE_LIMIT)
            try:
                self._queue.get_nowait()
                with self._lock:
                    self._inflight -= 1
            except queue.Empty:
                pass
            self._queue.put_nowait((table, row))

    def _drain(self, first: tuple[sa.Table, dict[str, Any]]) -> list[tuple[sa.Table, dict[str, Any]]]:
        batch = [first]
        while len(batch) < 200:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write_loop(self) -> None:
        backoff = 0.5
        pending: list[tuple[sa.Table, dict[str, Any]]] = []
        while not (self._stop.is_set() and not pending and self._queue.empty()):
            if not pending:
                try:
                    pending = self._drain(self._queue.get(timeout=0.2))
                except queue.Empty:
                    continue
            if self._write(pending):
                with self._lock:
                    self._inflight -= len(pending)
                pending = []
                backoff = 0.5
            else:
                if self._stop.is_set():
                    return
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    def _write(self, batch: list[tuple[sa.Table, dict[str, Any]]]) -> bool:
        if not self._ensure_schema():
            return False
        try:
            with self.engine.begin() as conn:
                for table in {t for t, _ in batch}:
                    conn.execute(table.insert(), [row for t, row in batch if t is table])
            self._mark(True)
            return True
        except SQLAlchemyError as exc:
            self._mark(False, exc)
            return False

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued row is written (True) or the timeout passes (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._inflight == 0:
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self.flush(5)
        self._stop.set()
        if self._writer is not None:
            self._writer.join(timeout=5)
        self.engine.dispose()

    # --- de-duplication (synchronous) --------------------------------------------------------------------
    def first_time(self, key: str) -> bool:
        """True for the first delivery of an event key across all processes sharing the database."""
        key = key[:200]
        if self._pid != os.getpid():
            self._ensure_writer()
        try:
            if not self._ensure_schema():
                raise SQLAlchemyError("schema not ready")
            with self.engine.begin() as conn:
                conn.execute(events.insert().values(event_key=key, created_at=now()))
            self._mark(True)
            return True
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            self._mark(False, exc)
            with self._lock:
                if key in self._memory_events:
                    return False
                self._memory_events[key] = None
                if len(self._memory_events) > 10_000:
                    self._memory_events.popitem(last=False)
                return True

    # --- retention and reads ----------------------------------------------------------------------------
    def purge(self, days: int | None = None) -> int:
        cutoff = now() - timedelta(days=self.retention_days if days is None else days)
        removed = 0
        with self.engine.begin() as conn:
            for table in (*TABLES, events):
                removed += conn.execute(table.delete().where(table.c.created_at < cutoff)).rowcount or 0
        return removed

    def rows(self, table: sa.Table, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        stmt = sa.select(table)
        if since is not None:
            stmt = stmt.where(table.c.created_at >= since)
        with self.engine.connect() as conn:
            for row in conn.execute(stmt.order_by(table.c.created_at)):
                yield dict(row._mapping)


def open_store(env: Mapping[str, str] | None = None) -> Store | None:
    """The configured store, or None (with a warning) when it cannot be created at all."""
    env = os.environ if env is None else env
    days_raw = env.get("BILLING_BOT_RETENTION_DAYS", "").strip()
    try:
        days = int(days_raw) if days_raw else DEFAULT_RETENTION_DAYS
    except ValueError:
        raise ValueError(f"BILLING_BOT_RETENTION_DAYS is malformed: {days_raw!r} is not a whole number") from None
    try:
        return Store(database_url(env), retention_days=days)
    except (SQLAlchemyError, ImportError, OSError) as exc:
        log.warning("no question log: cannot open the database (%s)", type(exc).__name__)
        return None
