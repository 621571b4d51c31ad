"""What the home screen needs at start (every assessment's summary, this year's answers and open
actions) is read without walking any action's note history, at a ten-year store in CI-sized form."""

from __future__ import annotations

from datetime import date

from selfassess.core.clock import Clock
from selfassess.session import open_session
from tests.helpers import BOARD_ID, bundled_catalogue

YEARS = 10


def build(home):
    session = open_session(home, bundled_catalogue(), "Priya Raman", clock=Clock(date(2016, 6, 1)))
    ws = session.workspace
    current = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2016/17").assessment
    for year in range(YEARS):
        ws.clock = Clock(date(2016 + year, 6, 1))
        if year:
            current = ws.new_assessment("", None, f"{2016 + year}/{(17 + year) % 100:02d}", from_handle=current.id).assessment
        for q in ("1.1", "1.2", "3.1"):
            ws.answer(current.id, q, rating=str(1 + year % 3))
        new = ws.add_action(current.id, ["1.1"], f"Action of {2016 + year}", "Tom", f"{2017 + year}-03-31")
        for i in range(5):
            ws.update_action(new.id, note=f"note {i}")
        for carried in ws.actions(current.id):
            ws.update_action(carried.id, note=f"progress in {2016 + year}")
        if year % 3 == 2:
            ws.update_action(new.id, status="done")
    session.close()
    return current


def test_summaries_and_this_years_work_read_no_note_and_no_whole_table(tmp_path):
    current = build(tmp_path)
    session = open_session(tmp_path, bundled_catalogue(), "Priya Raman", clock=Clock(date(2025, 11, 1)))
    store, ws = session.store, session.workspace
    reads: list[tuple[str, str]] = []
    for name in ("get", "all", "find"):
        real = getattr(store, name)

        def counting(table, *args, _real=real, _name=name, **kwargs):
            reads.append((_name, table))
            return _real(table, *args, **kwargs)

        setattr(store, name, counting)
    try:
        assessments = ws.assessments()
        assert len(assessments) == YEARS
        summaries = [ws.summary(a) for a in assessments]
        answers = ws.answers(current.id)
        open_actions = [a for a in ws.live_actions(current.id, history=False) if not a.closed]
        assert len(answers) == 3 and summaries[-1].actions.open == len(open_actions) >= 2
        assert not [r for r in reads if r[1] == "progress"]  # no note of any year was read
        assert ("all", "actions") not in reads and ("all", "answers") not in reads
        # The home screen asks for every year at once: one read of the actions, still no note.
        reads.clear()
        ws._reads_head = None
        assert ws.summaries(assessments) == {s.assessment.id: s for s in summaries}
        assert reads.count(("all", "actions")) == 1 and not [r for r in reads if r[1] == "progress"]
        assert ("find", "actions") not in reads  # not one look-up per action
    finally:
        session.close()


def test_the_app_starts_with_the_cycle_collector_off(monkeypatch):
    """launch.py turns it off before the app's imports; the app turns it back on after its first paint."""
    import gc

    from selfassess import launch
    from selfassess.ui import app

    seen: list[bool] = []
    monkeypatch.setattr(app, "run_app", lambda *args, **kwargs: seen.append(gc.isenabled()))
    monkeypatch.setattr("sys.argv", ["selfassess"])
    try:
        launch.main()
    finally:
        gc.enable()
    assert seen == [False]
