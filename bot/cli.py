"""The `billing-bot` command line: ask, batch, chat, check, eval, lookup, serve, socket."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.core.answerer import Answerer
from bot.core.knowledge import DEFAULT_MAX_AGE_DAYS, KnowledgeBase, KnowledgeError, check_knowledge, load_knowledge
from bot.core.models import Answer

LOOKUP_KINDS = ("code", "mod", "modifier", "units", "pair", "state")
DECLINE = (
    "I can't answer that one: it is outside the billing and coding knowledge I have. "
    "Ask your billing lead, or rephrase with the code, modifier or payer you mean."
)


def _knowledge_arg(parser: argparse.ArgumentParser, top: bool = False) -> None:
    parser.add_argument(
        "--knowledge",
        metavar="DIR",
        default=None if top else argparse.SUPPRESS,
        help="knowledge directory (default: $BILLING_BOT_KNOWLEDGE or ./knowledge)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billing-bot", description="Rehab therapy billing answers, with sources.")
    _knowledge_arg(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true", help="print the JSON answer contract")
    _knowledge_arg(p)

    p = sub.add_parser("batch", help="one question per stdin line -> one answer per line")
    p.add_argument("--json", action="store_true", help="JSON lines (the default and only format)")
    _knowledge_arg(p)

    p = sub.add_parser("chat", help="interactive terminal session (no Slack needed)")
    _knowledge_arg(p)

    p = sub.add_parser("check", help="validate the knowledge; exit 1 on any error")
    p.add_argument("directory", nargs="?", default=None)
    p.add_argument("--format", choices=("text", "github"), default="text")
    p.add_argument(
        "--max-age-days",
        type=int,
        default=DEFAULT_MAX_AGE_DAYS,
        help=f"warn when an entry's reviewed date is older (default {DEFAULT_MAX_AGE_DAYS})",
    )
    _knowledge_arg(p)

    p = sub.add_parser("eval", help="score a question set (dev.yaml format)")
    p.add_argument("file", type=Path)
    p.add_argument("--quiet", action="store_true", help="only the summary line")
    _knowledge_arg(p)

    p = sub.add_parser(
        "lookup", help="table lookups: code 97530 | mod KX | units 97110:23 97140:10 | pair A B | state NY"
    )
    p.add_argument("kind", choices=LOOKUP_KINDS)
    p.add_argument("args", nargs="*")
    p.add_argument("--json", action="store_true")
    _knowledge_arg(p)

    p = sub.add_parser("report", help="questions, outcomes, unanswered clusters, 👎, never-hit and stale entries")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--html", metavar="FILE", type=Path, default=None, help="also write a self-contained HTML page")
    _knowledge_arg(p)

    p = sub.add_parser("suggest-phrasings", help="did-you-mean choices and unanswered clusters as YAML snippets")
    p.add_argument("--days", type=int, default=90)
    _knowledge_arg(p)

    p = sub.add_parser("purge", help="delete logged rows older than BILLING_BOT_RETENTION_DAYS (default 365)")

    p = sub.add_parser("serve", help="run the Slack app over HTTP (production server)")
    p.add_argument("--port", type=int, default=None, help="default: $PORT or 3000")
    p.add_argument("--host", default=None, help="default: 0.0.0.0")
    _knowledge_arg(p)

    p = sub.add_parser("socket", help="run the Slack app in Socket Mode (needs SLACK_APP_TOKEN)")
    _knowledge_arg(p)
    return parser


def _knowledge_dir(args: argparse.Namespace) -> str | None:
    return args.knowledge or os.environ.get("BILLING_BOT_KNOWLEDGE")


def _problems(exc: KnowledgeError, err: TextIO) -> None:
    errors = [p for p in exc.problems if p.severity == "error"]
    print(f"billing-bot: the knowledge base has {len(errors)} error(s); run `billing-bot check`:", file=err)
    for problem in errors[:10]:
        print("  " + problem.format(), file=err)


def _load(args: argparse.Namespace, err: TextIO) -> KnowledgeBase | None:
    try:
        return load_knowledge(_knowledge_dir(args))
    except KnowledgeError as exc:
        _problems(exc, err)
        return None


def _answerer(args: argparse.Namespace, err: TextIO) -> Answerer | None:
    from bot.core.cache import load_answerer

    try:
        return load_answerer(_knowledge_dir(args))
    except KnowledgeError as exc:
        _problems(exc, err)
        return None


def format_answer(answer: Answer) -> str:
    """Plain-text rendering for the terminal: the answer, its sources with links, the reviewed date."""
    lines: list[str] = []
    if answer.status == "answered":
        lines.append(answer.answer or "")
        if "payer" in answer.depends_on or "plan" in answer.depends_on:
            lines.append("Note: this depends on the payer/plan; check its policy.")
        if "state" in answer.depends_on:
            lines.append("Note: this depends on the state; confirm with the state board.")
        if answer.sources:
            lines.append("Sources:")
            for s in answer.sources:
                date = f", {s.when}" if s.when else ""
                lines.append(f"  - {s.title} ({s.publisher}{date}) {s.url}".rstrip())
        if answer.reviewed:
            lines.append(f"Reviewed: {answer.reviewed.isoformat()}")
    elif answer.status == "suggest":
        if answer.answer:
            lines.append(answer.answer)
        lines.append("I'm not sure which question you mean. Did you mean:")
        for i, alt in enumerate(answer.alternatives, 1):
            lines.append(f"  {i}. {alt.question}")
    else:
        lines.append(answer.answer or DECLINE)
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    answerer = _answerer(args, err)
    if answerer is None:
        return 2
    answer = answerer.ask(" ".join(args.question))
    print(json.dumps(answer.to_dict()) if args.json else format_answer(answer), file=out)
    return 0


def cmd_batch(args: argparse.Namespace, inp: TextIO, out: TextIO, err: TextIO) -> int:
    answerer = _answerer(args, err)
    if answerer is None:
        return 2
    for line in inp:
        question = line.rstrip("\n")
        print(json.dumps(answerer.ask(question).to_dict()), file=out, flush=True)
    return 0


def cmd_chat(args: argparse.Namespace, inp: TextIO, out: TextIO, err: TextIO) -> int:
    answerer = _answerer(args, err)
    if answerer is None:
        return 2
    kb = answerer.kb
    print(
        f"Billing Bot — {len(kb.entries)} answers on {len(kb.topics)} topics, knowledge reviewed up to "
        f"{kb.last_reviewed}. Ask a billing question; 'quit' to leave.",
        file=out,
    )
    pending: Answer | None = None
    while True:
        print("> ", end="", file=out, flush=True)
        line = inp.readline()
        if not line:
            print("", file=out)
            return 0
        text = line.strip()
        if text.lower() in ("quit", "exit", "q"):
            return 0
        if not text:
            continue
        if pending and text.isdigit() and 1 <= int(text) <= len(pending.alternatives):
            chosen = answerer.answer_entry(pending.alternatives[int(text) - 1].entry_id, pending.question)
            answer = chosen or answerer.ask(text)
        else:
            parts = text.split(None, 1)
            if parts[0].lower() in LOOKUP_KINDS and len(parts) == 2:
                answer = answerer.lookup(parts[0], parts[1])
            else:
                answer = answerer.ask(text)
        pending = answer if answer.status == "suggest" else None
        print(format_answer(answer), file=out)
        if pending:
            print("Type 1-3 to pick one.", file=out)


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    directory = args.directory or _knowledge_dir(args)
    problems = check_knowledge(directory, max_age_days=args.max_age_days)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for p in errors + warnings:
        print(p.format_github() if args.format == "github" else p.format(), file=out)
    entries = ""
    if not errors:
        kb = load_knowledge(directory)
        entries = f"; {len(kb.entries)} entries in {len(kb.topics)} topics, {len(kb.sources)} sources"
    print(f"{len(errors)} errors, {len(warnings)} warnings{entries}", file=out)
    return 1 if errors else 0


def cmd_eval(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from bot.core.evaluation import Report, evaluate, load_cases

    answerer = _answerer(args, err)
    if answerer is None:
        return 2
    try:
        cases = load_cases(args.file)
    except (OSError, ValueError) as exc:
        print(f"billing-bot eval: {exc}", file=err)
        return 2
    report: Report = evaluate(answerer, cases)
    if not args.quiet:
        for o in report.outcomes:
            if o.right:
                continue
            what = "answered (should decline)" if o.case.kind == "out_of_scope" else o.answer.status
            detail = f" missing {list(o.missing)}" if o.missing and o.answer.status == "answered" else ""
            print(f"MISS [{o.case.topic}] {o.case.q!r}: {what} {o.answer.entry_id or ''}{detail}", file=out)
    print(report.summary(), file=out)
    return 0


def cmd_lookup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    answerer = _answerer(args, err)
    if answerer is None:
        return 2
    answer = answerer.lookup(args.kind, " ".join(args.args))
    print(json.dumps(answer.to_dict()) if args.json else format_answer(answer), file=out)
    return 0 if answer.status == "answered" else 1


def cmd_store(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot import reports
    from bot.store import open_store

    try:
        store = open_store()
    except ValueError as exc:
        print(f"billing-bot: {exc}", file=err)
        return 2
    if store is None or not store.healthy:
        print("billing-bot: the question log database is unavailable (check DATABASE_URL)", file=err)
        return 2
    try:
        if args.command == "purge":
            print(f"purged {store.purge()} rows older than {store.retention_days} days", file=out)
            return 0
        kb = _load(args, err)
        if kb is None:
            return 2
        report = reports.build_report(store, kb, days=args.days)
        if args.command == "suggest-phrasings":
            print(reports.phrasing_suggestions(report, kb), file=out)
            return 0
        print(reports.render_text(report), file=out)
        if args.html:
            args.html.write_text(reports.render_html(report), encoding="utf-8")
            print(f"wrote {args.html}", file=out)
        return 0
    except SQLAlchemyError as exc:
        print(f"billing-bot: the question log database failed ({type(exc).__name__})", file=err)
        return 2
    finally:
        store.close()


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    inp, out, err = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        if args.command == "ask":
            return cmd_ask(args, out, err)
        if args.command == "batch":
            return cmd_batch(args, inp, out, err)
        if args.command == "chat":
            return cmd_chat(args, inp, out, err)
        if args.command == "check":
            return cmd_check(args, out)
        if args.command == "eval":
            return cmd_eval(args, out, err)
        if args.command == "lookup":
            return cmd_lookup(args, out, err)
        if args.command in ("report", "suggest-phrasings", "purge"):
            return cmd_store(args, out, err)
        from bot.server import run_command

        return run_command(args, out, err)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
