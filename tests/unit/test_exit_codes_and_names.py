"""File names from user text stay inside the chosen folder (finding 9), and the exit codes are
the README's: 1 bad input, 5 could not save (finding 10, the parts outside the store)."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfassess import files
from selfassess.cli import cli
from selfassess.core.audit import Change
from selfassess.core.errors import InvalidInput
from selfassess.files import inside, safe_name
from selfassess.reports.data import gather
from selfassess.reports.export import FORMATS, export
from selfassess.storage import store as store_module
from tests.helpers import BOARD_ID, open_workspace


def run(home: Path, *args):
    res = CliRunner().invoke(cli, ["--home", str(home), *map(str, args)], catch_exceptions=False,
                             env={"SELFASSESS_TODAY": "2026-11-23", "SELFASSESS_ACTOR": "Tester"})
    assert res.exit_code != 70, res.stderr
    return res


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


# --- finding 9: names from user text ------------------------------------------------------------


@pytest.mark.parametrize("text, name", [("../../x", "x"), ("RVH", "RVH"), ("a/b\\c", "a-b-c"), ("..", "trust"),
                                         ("", "trust"), ("\x1b[2J", "2J"), ("Ysbyty Gwynedd", "Ysbyty-Gwynedd"),
                                         (".hidden", "hidden"), ("مستشفى", "trust")])
def test_safe_name_is_letters_digits_dash_and_underscore_only(text, name):
    assert safe_name(text, "trust") == name


def test_inside_refuses_a_name_that_leaves_the_folder(tmp_path):
    assert inside(tmp_path, "a.md") == tmp_path / "a.md"
    for bad in ("../a.md", "..", "sub/a.md", "/etc/passwd", ""):
        with pytest.raises(InvalidInput, match="not a file name inside"):
            inside(tmp_path, bad)


def test_an_ods_code_of_dot_dot_cannot_send_an_export_outside_its_folder(tmp_path):
    """A store written before ODS codes were checked (or by hand) still exports inside the folder."""
    store, ws = open_workspace(tmp_path / "store")
    try:
        a = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26", ods_code="RNG").assessment
        org = ws.organisation(a.organisation_id)
        ws.commit("test", "an old ODS code", [Change("organisations", org.id, org.to_record(),
                                                      dict(org.to_record(), ods_code="../../X"))])
        data = gather(ws, ws.assessment(a.id))
    finally:
        store.close()
    inner = tmp_path / "odsout" / "inner"
    for fmt in FORMATS:
        done = export(data, fmt, inner)
        assert done.path.parent == inner and done.path.name.startswith("X-2025-26-")
    assert sorted(p.parent for p in tmp_path.rglob("*-annual-report-section.md")) == [inner]


def test_new_refuses_an_ods_code_that_is_not_one(tmp_path):
    res = run(tmp_path, "new", "Northgate NHS Trust", "--framework", BOARD_ID, "--period", "2025/26", "--ods", "../../x")
    assert res.exit_code == 1
    assert "'../../x' is not an ODS code, expected 3 to 5 letters or digits such as RXX, RVH or R0A" in res.stderr
    assert run(tmp_path, "assessments", "--json").stdout.count('"id"') == 0  # nothing was made
    res = run(tmp_path, "new", "Northgate NHS Trust", "--framework", BOARD_ID, "--period", "2025/26", "--ods", "r0a")
    assert res.exit_code == 0
    assert json.loads(run(tmp_path, "assessments", "--json").stdout)["assessments"][0]["organisation"]["ods_code"] == "R0A"


def test_help_says_how_to_give_a_name_that_starts_with_a_dash(tmp_path):
    assert '-- "-Northgate NHS Trust"' in run(tmp_path, "new", "--help").stdout
    assert '-- "-Northgate NHS Trust"' in run(tmp_path, "review", "history", "--help").stdout
    res = run(tmp_path, "new", "--framework", BOARD_ID, "--period", "2025/26", "--", "-Northgate NHS Trust")
    assert res.exit_code == 0 and "-Northgate NHS Trust 2025/26" in res.stdout


# --- finding 10: exit codes -----------------------------------------------------------------------


def fill_the_disk(m):
    """Every atomic write fails as a full disk would: the outside writers' and the store's own."""
    m.setattr(files, "atomic_write", disk_full)
    m.setattr(store_module, "atomic_write", disk_full)


@pytest.fixture
def demo(tmp_path):
    home = tmp_path / "trust"
    assert run(home, "demo").exit_code == 0
    data = json.loads(run(home, "assessments", "--json").stdout)["assessments"]
    return home, {a["period"]: a["id"][:8] for a in data}


def test_a_full_disk_while_exporting_exits_5(demo, tmp_path, monkeypatch):
    home, ids = demo
    fill_the_disk(monkeypatch)
    res = run(home, "export", ids["2025/26"], "--format", "md", "--out", tmp_path / "out")
    assert res.exit_code == 5 and "the disk is full" in res.stderr and "Nothing was written" in res.stderr


def test_a_full_disk_while_submitting_exits_5_and_nothing_is_submitted(demo, tmp_path, monkeypatch):
    home, ids = demo
    with monkeypatch.context() as m:  # the first submission makes the signing key: that cannot be saved either
        fill_the_disk(m)
        res = run(home, "submit", ids["2025/26"], "--out", f"{tmp_path}/outbox/")
    assert res.exit_code == 5 and "cannot save a new signing key" in res.stderr and "the disk is full" in res.stderr
    assert run(home, "keys", "show").exit_code == 0
    with monkeypatch.context() as m:
        fill_the_disk(m)
        res = run(home, "submit", ids["2025/26"], "--out", f"{tmp_path}/outbox/")
    assert res.exit_code == 5 and "the disk is full" in res.stderr and "Nothing was submitted" in res.stderr
    status = {a["period"]: a["status"] for a in json.loads(run(home, "assessments", "--json").stdout)["assessments"]}
    assert status["2025/26"] == "signed_off"


def test_a_full_disk_writing_feedback_or_a_comparison_exits_5(demo, tmp_path, monkeypatch):
    home, ids = demo
    reg = tmp_path / "regulator"
    assert run(home, "submit", ids["2025/26"], "--out", f"{tmp_path}/outbox/").exit_code == 0
    fingerprint = run(home, "keys", "show").stdout.splitlines()[0]
    assert run(reg, "keys", "trust", fingerprint, "--name", "Riverside", "--ods", "RVH").exit_code == 0
    with monkeypatch.context() as m:  # the regulator's disk is full: the bundle cannot be kept, nothing is imported
        fill_the_disk(m)
        res = run(reg, "review", "import", tmp_path / "outbox")
    assert res.exit_code == 5 and "could not keep a copy: the disk is full" in res.stdout
    assert json.loads(run(reg, "review", "list", "--json").stdout)["submissions"] == []
    assert run(reg, "review", "import", tmp_path / "outbox").exit_code == 0
    sub = json.loads(run(reg, "review", "list", "--json").stdout)["submissions"][0]["id"][:8]
    assert run(reg, "review", "mark", sub, "--domain", "1", "--accept").exit_code == 0
    with monkeypatch.context() as m:
        fill_the_disk(m)
        res = run(reg, "review", "feedback", sub, "--out", f"{tmp_path}/fb/")
        assert res.exit_code == 5 and "the disk is full" in res.stderr
        res = run(reg, "review", "compare", "--xlsx", tmp_path / "trusts.xlsx")
        assert res.exit_code == 5 and "the disk is full" in res.stderr
    assert not (tmp_path / "trusts.xlsx").exists()
    assert not any((tmp_path / "fb").iterdir())


def test_a_folder_that_cannot_be_made_for_the_output_exits_5(demo, tmp_path):
    home, ids = demo
    (tmp_path / "afile").write_text("x")
    res = run(home, "submit", ids["2025/26"], "--out", f"{tmp_path}/afile/outbox/")
    assert res.exit_code == 5 and "cannot create the folder" in res.stderr


@pytest.mark.parametrize("rating", ["9" * 5000, "²", "٣", "3" * 300, "1e3", "-1", "0"],
                         ids=["5000-digits", "superscript-2", "arabic-3", "300-digits", "1e3", "-1", "0"])
def test_an_odd_rating_is_refused_with_exit_1(demo, rating):
    home, ids = demo
    assert run(home, "reopen", ids["2025/26"], "--reason", "test").exit_code == 0
    current = ids["2026/27"]
    res = run(home, "answer", current, "1.1", "--rating", rating)
    assert res.exit_code == 1 and "error: " in res.stderr
    assert len(res.stderr) < 400  # a 5,000-digit rating is not quoted back in full


@pytest.mark.parametrize("period", ["２０２５/２６", "٢٠٢٥/٢٦"])
def test_a_period_in_other_digits_is_refused(tmp_path, period):
    res = run(tmp_path, "new", "Northgate NHS Trust", "--framework", BOARD_ID, "--period", period)
    assert res.exit_code == 1 and "is not a reporting period" in res.stderr


@pytest.mark.parametrize("args", [("--wait", "nan"), ("--wait", "-1"), ("--wait", "1e400")])
def test_a_wait_that_is_not_a_number_of_seconds_is_refused(tmp_path, args):
    assert run(tmp_path, *args, "assessments").exit_code == 1


@pytest.mark.parametrize("fail_at", [1, 2, 10, 50])
def test_the_demo_is_all_or_nothing_on_a_full_disk(tmp_path, monkeypatch, fail_at):
    home = tmp_path / "home"
    calls = {"n": 0}
    real_write = store_module.io.write

    def write(fd, data):  # the fail_at-th append of an audit event fails
        calls["n"] += bytes(data[:10]) == b'{"action":'
        if calls["n"] == fail_at and bytes(data[:10]) == b'{"action":':
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    with monkeypatch.context() as m:
        m.setattr(store_module.io, "write", write)
        res = run(home, "demo")
    assessments = json.loads(run(home, "assessments", "--json").stdout)["assessments"]
    if res.exit_code == 0:
        assert len(assessments) == 2
    else:
        assert res.exit_code == 5, res.stderr
        assert assessments == [], "a half-made demo was left behind"
        assert run(home, "demo").exit_code == 0  # and it can simply be made again
    assert run(home, "audit", "verify").exit_code == 0
