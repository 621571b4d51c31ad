"""`selfassess validate` and `selfassess frameworks` as a framework author uses them."""

from __future__ import annotations

import json
import shutil

from tests.conftest import BOARD, WHAT_WORKS
from tests.unit.test_framework_loader import MINIMAL


def test_validate_bundled_frameworks_exits_zero(run):
    res = run("validate", BOARD, WHAT_WORKS)
    assert res.exit_code == 0, res
    assert "valid: Board self-assessment: health inequalities (board-health-inequalities@2025.1, 43 questions" in res.stdout
    assert res.stderr == ""


def test_validate_reports_every_problem_on_stderr_and_exits_one(run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("- id: d1", "- id: no").replace("title: Mini\n", "title: Mini\ntitle: x\n"))
    good = tmp_path / "good.yaml"
    good.write_text(MINIMAL)
    res = run("validate", good, bad)
    assert res.exit_code == 1
    assert f"{good}: valid: Mini" in res.stdout
    assert res.stderr.splitlines() == [
        f"{bad}:5:1: duplicate key 'title' (first at line 4, column 1), expected each key once",
        f"{bad}:21:9: domain id 'no' is read by YAML as a boolean (false), expected text: quote it as \"no\"",
        "1 of 2 file(s) invalid",
    ]


def test_validate_a_folder_and_a_missing_file(run, tmp_path):
    assert run("validate", BOARD.parent).exit_code == 0
    res = run("validate", tmp_path / "missing.yaml")
    assert res.exit_code == 1
    assert f"{tmp_path / 'missing.yaml'}:1:1: no such file, expected a framework YAML file" in res.stderr
    assert "Traceback" not in res.stderr


def test_frameworks_lists_bundled_user_and_extra_folders(run, home, tmp_path):
    user_dir = home / "frameworks"
    user_dir.mkdir(parents=True)
    (user_dir / "mini.yaml").write_text(MINIMAL)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "other.yml").write_text(MINIMAL.replace("id: mini", "id: other"))
    (extra / "broken.yaml").write_text("id: [unclosed\n")
    res = run("--frameworks", extra, "frameworks", "--json")
    assert res.exit_code == 0, res
    data = json.loads(res.stdout)
    found = {(f["id"], f["kind"]) for f in data["frameworks"]}
    assert found == {
        ("board-health-inequalities", "bundled"),
        ("eds-2022", "bundled"),
        ("what-works-principles", "bundled"),
        ("mini", "user"),
        ("other", "user"),
    }
    board = next(f for f in data["frameworks"] if f["id"] == "board-health-inequalities")
    assert board["version"] == "2025.1" and len(board["hash"]) == 64
    assert board["domains"][0]["id"] == "leadership"
    assert board["domains"][0]["questions"][0] == {"id": "leadership.executive-lead", "ref": "1.1"}
    assert list(data["invalid"]) == [str(extra / "broken.yaml")]
    assert "broken.yaml was skipped" in res.stderr


def test_same_id_and_version_with_different_content_is_refused(run, home):
    user_dir = home / "frameworks"
    user_dir.mkdir(parents=True)
    shutil.copy(BOARD, user_dir / "copy.yaml")  # identical content: fine, listed once
    changed = BOARD.read_text().replace("Has the board named", "Has the board appointed")
    (user_dir / "changed.yaml").write_text(changed)
    res = run("frameworks", "--json")
    data = json.loads(res.stdout)
    assert [f["id"] for f in data["frameworks"]].count("board-health-inequalities") == 1
    (problem,) = data["invalid"][str(user_dir / "changed.yaml")]
    assert "already defined by" in problem and "expected a new version number" in problem


def test_nothing_is_created_by_listing_or_validating(run, home):
    run("frameworks")
    run("validate", BOARD)
    assert not home.exists()
