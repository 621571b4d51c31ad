"""`selfassess validate` knows a crosswalk and an indicator set from a framework, and checks each
against its own schema; a YAML file that is none of them is said to be so, plainly."""

from __future__ import annotations

from tests.conftest import BUNDLED
from tests.unit.test_framework_loader import MINIMAL

CROSSWALKS = BUNDLED / "crosswalks"
EDS_WALK = CROSSWALKS / "board-to-eds-2022.yaml"


def test_a_folder_of_crosswalks_is_checked_as_crosswalks(run, home):
    res = run("validate", CROSSWALKS)
    assert res.exit_code == 0, res
    assert res.stderr == "" and "framework is missing" not in res.stdout
    assert (f"{EDS_WALK}: valid: crosswalk Board self-assessment: health inequalities and EDS 2022 "
            "(board-to-eds-2022: board-health-inequalities@2025.1 to eds-2022@2022.1, 7 links)") in res.stdout
    assert res.stdout.count("valid: crosswalk") == 2
    assert not home.exists()  # reading the frameworks they join creates nothing


def test_a_frameworks_folder_is_checked_with_its_crosswalks_and_indicator_sets(run):
    res = run("validate", BUNDLED)
    assert res.exit_code == 0, res
    lines = res.stdout.splitlines()
    assert sum("questions, hash" in x for x in lines) == 3
    assert sum("valid: crosswalk" in x for x in lines) == 2 and sum("indicators, " in x for x in lines) == 1


def test_a_broken_crosswalk_is_named_at_its_line_against_the_crosswalk_schema(run, tmp_path):
    bad = tmp_path / "walk.yaml"
    text = EDS_WALK.read_text(encoding="utf-8")
    bad.write_text(text.replace("to: [eds.leadership.papers]", "to: [eds.leadership.nope]", 1), encoding="utf-8")
    res = run("validate", bad)
    line = next(i for i, t in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "eds.leadership.nope" in t)
    assert res.exit_code == 1
    assert f"{bad}:{line}:10: link 1 to 'eds.leadership.nope' is not a question of eds-2022@2022.1" in res.stderr, res
    assert "framework is missing" not in res.stderr and "unknown key 'links'" not in res.stderr
    bad.write_text(text.replace("relation: subset", "relation: same", 1), encoding="utf-8")
    res = run("validate", bad)
    assert res.exit_code == 1 and "crosswalk link relation is 'same', expected one of: equal, subset" in res.stderr


def test_a_crosswalk_joins_frameworks_validated_beside_it(run, tmp_path):
    folder = tmp_path / "mine"
    (folder / "crosswalks").mkdir(parents=True)
    (folder / "mini.yaml").write_text(MINIMAL, encoding="utf-8")
    walk = ("format: 1\nid: mini-to-board\ntitle: Mini and the board framework\n"
            "from: {framework: mini, version: \"1.0\"}\nto: {framework: board-health-inequalities, version: \"2025.1\"}\n"
            "links:\n  - from: [q1]\n    to: [leadership.executive-lead]\n    relation: intersects\n")
    (folder / "crosswalks" / "mini-to-board.yaml").write_text(walk, encoding="utf-8")
    res = run("validate", folder)
    assert res.exit_code == 0, res
    assert "valid: crosswalk Mini and the board framework (mini-to-board: mini@1.0 to board-health-inequalities@2025.1, 1 links)" in res.stdout
    # Alone, the crosswalk names a framework that is not here: said so, with what is.
    res = run("validate", folder / "crosswalks")
    assert res.exit_code == 1 and "crosswalk from names mini@1.0, which is not a framework here, expected one of:" in res.stderr


def test_a_yaml_file_that_is_none_of_them_is_said_plainly(run, tmp_path):
    other = tmp_path / "settings.yaml"
    other.write_text("name: x\nitems: [1, 2]\n", encoding="utf-8")
    res = run("validate", other)
    assert res.exit_code == 1
    assert res.stderr.splitlines() == [
        f"{other}:1:1: not a framework, a crosswalk or an indicator set: it has none of their keys "
        "('domains', 'links' or 'indicators' at the top), expected one of them",
        "1 of 1 file(s) invalid",
    ]
    # A framework missing its domains is still a framework with a problem, not "none of them".
    half = tmp_path / "half.yaml"
    half.write_text(MINIMAL.split("domains:")[0], encoding="utf-8")
    res = run("validate", half)
    assert res.exit_code == 1 and "framework is missing 'domains'" in res.stderr
