"""`billing-bot serve` (HTTP, gunicorn) and `billing-bot socket` (Socket Mode): settings, knowledge, app."""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import sys
import threading
import time
from typing import Any, TextIO

from bot.config import ConfigError, Settings, load_settings
from bot.core.knowledge import KnowledgeError
from bot.slack.handlers import AnswererHolder, Services

log = logging.getLogger("billing_bot")


def build_services(settings: Settings, knowledge_dir: str | None, store: Any = None) -> Services:
    from bot.core.cache import load_answerer

    directory = knowledge_dir or settings.knowledge_dir
    services = Services(
        answerers=AnswererHolder(load_answerer(directory)),
        contact=settings.contact,
        admins=settings.admins,
        knowledge_dir=directory,
        store=store,
    )
    if store is not None:
        services.dedupe = store
    return services


def _start_store() -> Any:
    """The question log; purged of rows past retention at start and daily. None when it cannot be opened."""
    from bot.store import open_store

    store = open_store()
    if store is None:
        return None

    def purge_daily() -> None:
        while True:
            try:
                removed = store.purge()
                if removed:
                    log.info("retention: purged %d old rows", removed)
            except Exception as exc:
                log.warning("retention purge failed: %s", type(exc).__name__)
            time.sleep(24 * 3600)

    threading.Thread(target=purge_daily, name="retention", daemon=True).start()
    atexit.register(store.close)
    return store


def _configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def run_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    knowledge_dir = getattr(args, "knowledge", None)
    try:
        if args.command == "serve":
            settings = load_settings(need_http=True, port=args.port)
        else:
            settings = load_settings(need_socket=True)
    except ConfigError as exc:
        print(f"billing-bot: {exc}", file=err)
        return 2
    _configure_logging()
    try:
        store = _start_store()
    except ValueError as exc:
        print(f"billing-bot: {exc}", file=err)
        return 2
    try:
        services = build_services(settings, knowledge_dir, store)
    except KnowledgeError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        print(f"billing-bot: refusing to start, the knowledge base has {len(errors)} error(s):", file=err)
        for problem in errors[:20]:
            print("  " + problem.format(), file=err)
        return 2
    from bot.slack.app import create_app

    try:
        app = create_app(settings, services)
    except Exception as exc:  # auth.test failed: bad token or Slack unreachable
        print(f"billing-bot: could not start the Slack app ({type(exc).__name__}: {exc})", file=err)
        return 2
    if args.command == "serve":
        return _serve(app, services, settings, host=args.host or "0.0.0.0")
    return _socket(app, settings)


def _serve(app: Any, services: Services, settings: Settings, host: str) -> int:
    from gunicorn.app.base import BaseApplication

    from bot.slack.web import create_wsgi

    wsgi = create_wsgi(app, services)

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{settings.port}")
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("workers", int(os.environ.get("WEB_CONCURRENCY", "1")))
            self.cfg.set("threads", int(os.environ.get("BILLING_BOT_THREADS", "16")))
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", None)

        def load(self) -> Any:
            return wsgi

    log.info("serving /slack/events and /healthz on %s:%s", host, settings.port)
    _Server().run()
    return 0


def _socket(app: Any, settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("connecting to Slack in Socket Mode")
    SocketModeHandler(app, settings.app_token).start()
    return 0


if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main(["serve"]))
