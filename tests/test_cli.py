from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import DEV_SET, MINI_FAQ


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_ask_json_contract_names_ga_and_cites_a_url():
    code, out, _ = run("ask", "--json", "Medicare ABN option 1 code?")
    data = json.loads(out)
    assert code == 0 and data["status"] == "answered"
    assert "GA" in data["answer"].split("*")[1] or " GA " in data["answer"]
    assert data["sources"][0]["url"].startswith("https://") or data["sources"][0]["url"].startswith("http://")


def test_ask_human_output_shows_sources_and_reviewed():
    code, out, _ = run("ask", "can PTs dry needle in NY")
    assert code == 0
    assert "Sources:" in out and "http" in out and "Reviewed: 20" in out


def test_batch_keeps_order_one_json_per_line():
    questions = "is 97530 timed\nwhat's the wifi password\nunits for 38 min\n"
    code, out, _ = run("batch", "--json", stdin=questions)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["question"] for r in rows] == questions.splitlines()
    assert [r["status"] for r in rows] == ["answered", "no_match", "answered"]


def test_chat_session_with_did_you_mean_choice():
    code, out, _ = run("chat", stdin="units for 38 min\nwhat's the wifi password\nquit\n")
    assert code == 0
    assert "3 units" in out and "can't answer" in out


def test_check_passes_on_shipped_knowledge():
    code, out, _ = run("check")
    assert code == 0 and out.strip().splitlines()[-1].startswith("0 errors")


def test_check_fails_with_file_and_line_on_broken_copy(shipped_copy: Path):
    target = shipped_copy / "faq" / "abn.yaml"
    target.write_text(target.read_text().replace("reviewed: 2026-11-25", "reviewed: 2026-02-30", 1))
    code, out, _ = run("check", str(shipped_copy))
    assert code == 1
    assert any(
        line.startswith("knowledge/faq/abn.yaml:") and "'reviewed' is not a valid date" in line
        for line in out.splitlines()
    )


def test_check_github_format(knowledge_tree):
    root = knowledge_tree(faq__abn=MINI_FAQ.replace("sources: [noridian-ga]", "sources: [nope]"))
    code, out, _ = run("check", str(root), "--format", "github")
    assert code == 1 and "::error file=knowledge/faq/abn.yaml,line=4::[abn-option-1-modifier] source 'nope'" in out


def test_invalid_knowledge_refuses_to_answer(knowledge_tree):
    root = knowledge_tree(faq__abn=MINI_FAQ.replace("sources: [noridian-ga]", "sources: [nope]"))
    code, out, err = run("--knowledge", str(root), "ask", "abn option 1")
    assert code == 2 and out == "" and "run `billing-bot check`" in err


def test_knowledge_flag_and_env_var(knowledge_tree, monkeypatch):
    root = knowledge_tree()
    code, out, _ = run("ask", "--knowledge", str(root), "--json", "is 97112 timed")
    assert json.loads(out)["entry_id"] == "neuro-reed-timed"
    monkeypatch.setenv("BILLING_BOT_KNOWLEDGE", str(root))
    code, out, _ = run("ask", "--json", "is 97110 timed")
    assert json.loads(out)["entry_id"] == "therex-timed"


def test_lookup_command():
    code, out, _ = run("lookup", "units", "97110:23", "97140:10")
    assert code == 0 and "2 units" in out
    code, out, _ = run("lookup", "code", "99999")
    assert code == 1 and "not in our code table" in out


@pytest.mark.skipif(not DEV_SET.exists(), reason="shared dev set not found (../shared is absent)")
def test_eval_prints_rates():
    code, out, _ = run("eval", str(DEV_SET), "--quiet")
    assert code == 0 and out.startswith("answered right ") and "out-of-scope declined" in out


def test_python_dash_m_and_console_script():
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "what does KX mean"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "answered"
