"""User text on the terminal (issue 10, finding 4, the command line's door).

An organisation name in a bundle, an action title, evidence: whatever was typed or sent is stored
exactly, and printed with every control character neutralised (core/text.shown); --json escapes
them (\\u009b), so a script gets the exact text and a terminal gets nothing it would act on.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfassess.cli import cli
from selfassess.core.text import json_text, shown
from tests.unit.test_framework_loader import MINIMAL

SMALL_YAML = MINIMAL + "      - id: q2\n        ref: \"1.2\"\n        text: Two?\n        source:\n          document: doc\n"
HOSTILE = "Evil\x1b]0;PWNED\x07 \x1b[2J\x1b[H\x9b31m Trust\u202e\u2066\r\x7f"
# Anything a terminal acts on: C0 but newline and tab, DEL, C1, bidi embeddings/overrides/isolates.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class Cli:
    def __init__(self, home: Path, frameworks: Path | None = None):
        self.home, self.frameworks = home, frameworks

    def __call__(self, *args: str):
        pre = ["--home", str(self.home)] + (["--frameworks", str(self.frameworks)] if self.frameworks else [])
        res = CliRunner().invoke(cli, [*pre, *map(str, args)], catch_exceptions=False,
                                 env={"SELFASSESS_TODAY": "2026-11-23", "SELFASSESS_ACTOR": "Tester"})
        for stream in (res.stdout, res.stderr):
            found = RAW.findall(stream)
            assert not found, f"raw {found!r} reached the terminal from: selfassess {' '.join(args)!r}\n{stream!r}"
        assert res.exit_code != 70, res.stderr
        return res


def test_shown_keeps_the_length_and_leaves_nothing_a_terminal_acts_on():
    assert shown("a\x1b[2Jb\x07\x9b\u202e\x7f") == "a␛[2Jb␇��␡"
    assert shown("line one\n\tline two") == "line one\n\tline two"
    assert shown("line one\n\tline two", multiline=False) == "line one␊␉line two"
    assert shown("Ysbyty Gwynedd · مستشفى · 病院") == "Ysbyty Gwynedd · مستشفى · 病院"
    assert json.loads(json_text({"name": HOSTILE})) == {"name": HOSTILE}
    assert "\\u009b" in json_text(HOSTILE) and "\\u202e" in json_text(HOSTILE)


def test_an_organisation_name_and_an_action_title_are_shown_never_raw(tmp_path):
    run = Cli(tmp_path / "home")
    res = run("new", "--framework", "board-health-inequalities", "--period", "2025/26", "--", HOSTILE)
    assert res.exit_code == 0 and "Evil␛]0;PWNED␇" in res.stdout
    a = res.stdout.split()[0][:8]
    assert run("action", "add", a, "--question", "1.1", f"--title=Fix {HOSTILE}", "--owner", HOSTILE,
               "--due", "2027-03-31").exit_code == 0
    assert run("answer", a, "1.1", "--rating", "2", f"--evidence={HOSTILE}").exit_code == 0
    for verb in (["assessments"], ["show", a], ["actions", a], ["audit", "log"]):
        assert "Evil␛]0;PWNED␇" in run(*verb).stdout
    # --json: the exact text, escaped, for scripts.
    data = json.loads(run("assessments", "--json").stdout)
    assert data["assessments"][0]["organisation"]["name"] == HOSTILE
    assert json.loads(run("actions", a, "--json").stdout)["actions"][0]["title"] == f"Fix {HOSTILE}"
    assert any(e["summary"].endswith(f"Fix {HOSTILE} (owner {HOSTILE}, due 2027-03-31)")
               for e in json.loads(run("audit", "log", "--json").stdout)["events"])
    # Click's own messages quote what was typed too.
    assert run("nosuchverb\x1b]0;x\x07").exit_code == 1
    assert run("--wait", "x\x9b", "assessments").exit_code == 1


def test_an_organisation_name_in_a_bundle_is_shown_never_raw(tmp_path):
    fws = tmp_path / "frameworks"
    fws.mkdir()
    (fws / "mini.yaml").write_text(SMALL_YAML, encoding="utf-8")
    trust, reg = Cli(tmp_path / "trust", fws), Cli(tmp_path / "regulator")
    a = trust("new", "--framework", "mini", "--period", "2025/26", "--ods", "RNG", "--", HOSTILE).stdout.split()[0][:8]
    assert trust("answer", a, "q1", "--rating", "high", "--state", "agreed").exit_code == 0
    assert trust("answer", a, "q2", "--rating", "low", "--state", "agreed").exit_code == 0
    assert trust("action", "add", a, "--question", "q2", f"--title=T {HOSTILE}", "--owner", "O", "--due", "2027-03-31").exit_code == 0
    assert trust("signoff", a, "--by", "Chair", "--role", "Chair").exit_code == 0
    assert trust("submit", a, "--out", f"{tmp_path}/out/").exit_code == 0
    fingerprint = trust("keys", "show").stdout.splitlines()[0]
    res = reg("verify", tmp_path / "out")
    assert res.exit_code == 1 and "Evil␛]0;PWNED␇" in res.stdout
    assert reg("keys", "trust", fingerprint, "--name", HOSTILE, "--ods", "RNG").exit_code == 0
    assert "Evil␛]0;PWNED␇" in reg("review", "import", tmp_path / "out").stdout
    assert "Evil␛]0;PWNED␇" in reg("review", "list").stdout
    assert "Evil␛]0;PWNED␇" in reg("review", "compare").stdout
    assert "Evil␛]0;PWNED␇" in reg("review", "history", "RNG").stdout
    assert "Evil␛]0;PWNED␇" in reg("keys", "list").stdout
    assert json.loads(reg("review", "list", "--json").stdout)["submissions"][0]["organisation"]["name"] == HOSTILE
    assert json.loads(reg("review", "compare", "--json").stdout)["trusts"][0]["organisation"] == HOSTILE
    assert json.loads(reg("verify", "--json", tmp_path / "out").stdout)["results"][0]["message"].startswith(HOSTILE)


HOSTILE_PIECES = ["\x1b", "\x1b[2J", "\x1b]0;PWNED\x07", "\x07", "\x9b", "\x85", "\x7f", "\r", "\x00", "\x08",
                  "\u202e", "\u2066", "\u2069", "\ud800", "\udc9b", "\n", "\t", "[b]", "-", "--"]
any_text = st.lists(st.one_of(st.text(st.characters(codec=None), max_size=12), st.sampled_from(HOSTILE_PIECES)),
                    max_size=8).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=any_text, title=any_text, evidence=any_text)
def test_no_control_character_reaches_the_terminal_whatever_is_typed(name, title, evidence):
    with tempfile.TemporaryDirectory() as folder:
        run = Cli(Path(folder) / "home")
        res = run("new", "--framework", "board-health-inequalities", "--period", "2025/26", "--", name)
        if res.exit_code != 0:
            assert res.exit_code == 1 and res.stderr.startswith("error: ")
            return
        a = res.stdout.split()[0][:8]
        run("answer", a, "1.1", "--rating", "2", f"--evidence={evidence}", f"--notes={evidence}")
        run("action", "add", a, "--question", "1.1", f"--title={title}", f"--owner={name}", "--due", "2027-03-31")
        for verb in (["assessments"], ["show", a], ["actions", a], ["audit", "log"], ["export", a, "--format", "md",
                     "--out", str(Path(folder) / "out")]):
            run(*verb)
        data = json.loads(run("assessments", "--json").stdout)
        assert data["assessments"][0]["organisation"]["name"] == name.strip()  # stored exactly, as typed
        for verb in (["actions", a, "--json"], ["audit", "log", "--json"], ["show", a, "--json"]):
            json.loads(run(*verb).stdout)


@pytest.mark.parametrize("text", ["plain", HOSTILE])
def test_shown_is_idempotent(text):
    assert shown(shown(text)) == shown(text) and len(shown(text)) == len(text)
