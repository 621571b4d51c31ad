"""Snapshots of each screen and dialog at 60x20, 80x24 and 120x36, reached by key presses from a fresh start.

Update deliberately, after looking at the new pictures: pytest tests/ui --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.ui.conftest import make_demo

SIZES = [pytest.param((60, 20), id="60x20"), pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


@pytest.fixture
def snap_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SELFASSESS_HOME", str(home))
    make_demo(home)
    return home


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, snap_home, new_app, size):
    assert snap_compare(new_app(snap_home), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_assessment_question(snap_compare, snap_home, new_app, size):
    # Open this year's assessment and move to a carried-forward question.
    assert snap_compare(new_app(snap_home), press=["enter", "u"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_assessment_gap_with_suggested_actions(snap_compare, snap_home, new_app, size):
    assert snap_compare(new_app(snap_home), press=["enter", "u", "1"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_overdue_actions(snap_compare, snap_home, new_app, size):
    assert snap_compare(new_app(snap_home), press=["l", "v"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_action_plan(snap_compare, snap_home, new_app, size):
    assert snap_compare(new_app(snap_home), press=["l"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_points_for_challenge(snap_compare, snap_home, new_app, size):
    assert snap_compare(new_app(snap_home), press=["k"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_keys_help(snap_compare, snap_home, new_app, size):
    assert snap_compare(new_app(snap_home), press=["enter", "f1"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_assessment_assurance_changed(snap_compare, snap_home, new_app, size):
    # s on a carried-forward answer: the assurance line that changed stays in view.
    assert snap_compare(new_app(snap_home), press=["enter", "u", "s"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_sign_off_dialog_refused_date(snap_compare, snap_home, new_app, size):
    async def fill(pilot):
        from selfassess.ui.dialogs import SignOffDialog

        pilot.app.push_screen(SignOffDialog("2026/27", "23/11/2026"))
        await pilot.pause()
        await pilot.press(*"Ann Lee", "ctrl+s")
        await pilot.pause()

    assert snap_compare(new_app(snap_home), run_before=fill, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_dashboard(snap_compare, snap_home, new_app, size):
    assert snap_compare(new_app(snap_home), press=["d"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_action_dialog(snap_compare, snap_home, new_app, size):
    assert snap_compare(new_app(snap_home), press=["o", "enter"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_welcome_on_a_fresh_store(snap_compare, tmp_path, new_app, size):
    assert snap_compare(new_app(tmp_path / "fresh"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_new_assessment_dialog(snap_compare, snap_home, new_app, size):
    assert snap_compare(new_app(snap_home), press=["c"], terminal_size=size)


@pytest.fixture
def regulator_home(tmp_path, monkeypatch):
    """A regulator's installation with one trust's submission imported."""
    from selfassess.core.clock import Clock
    from selfassess.session import load_frameworks, open_session
    from selfassess.submission import keys, review
    from selfassess.submission.submit import submit
    from tests.helpers import TODAY

    trust, reg = tmp_path / "trust", tmp_path / "reg"
    monkeypatch.setenv("SELFASSESS_HOME", str(reg))
    last, _ = make_demo(trust)
    s = open_session(trust, load_frameworks(trust), "Priya Raman", clock=Clock(TODAY))
    bundle_path = submit(s.workspace, trust, last, tmp_path / "b.selfassess").path
    fp = keys.key_fingerprint(keys.load_or_create(trust))
    s.close()
    s = open_session(reg, load_frameworks(reg), "Dr Okafor", clock=Clock(TODAY))
    keys.register_key(s.workspace, fp, "Riverside Valley", "RVH")
    service = review.Review(s.workspace, reg)
    service.import_bundles([bundle_path])
    sub = service.submissions()[0]
    service.mark(sub.id, "action", "A03", "queried", "No owner below board level")
    s.close()
    return reg


@pytest.mark.parametrize("size", SIZES)
def test_regulator_review(snap_compare, regulator_home, new_app, size):
    assert snap_compare(new_app(regulator_home, actor="Dr Okafor"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_regulator_trust_view(snap_compare, regulator_home, new_app, size):
    assert snap_compare(new_app(regulator_home, actor="Dr Okafor"), press=["enter"], terminal_size=size)
