"""A target is met only when the score reaches it; once its date has passed without that, it reads
as missed (date passed, not reached) in show, the board report, the submission and the regulator's
comparison. A date already past is asked about before it is set, as an action's due date is."""

from __future__ import annotations

import io
import json

import pypdf
import pytest

from selfassess.core.errors import Refused
from selfassess.reports.data import gather
from selfassess.reports.export import render
from selfassess.submission import bundle, keys, review
from selfassess.submission.submit import ALLOWED, submit
from tests.conftest import BOARD
from tests.helpers import BOARD_ID, TODAY, open_workspace
from tests.unit.test_framework_fit import eds_assessment

assert BOARD.exists()


def pdf_text(data) -> str:
    return " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render(data, "pdf")[0])).pages).split())


def test_a_past_date_is_asked_about_then_reads_as_missed_unless_met(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    try:
        a = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment
        for ref in ("1.1", "1.2", "1.3"):
            ws.answer(a.id, ref, rating="developing")
        for ref in ("2.1", "2.2"):
            ws.answer(a.id, ref, rating="leading")
        with pytest.raises(Refused, match=r"the target date 2026-06-30 is already past \(today is 2026-11-23\)") as info:
            ws.set_target(a.id, "1", "established", "2026-06-30")
        assert "--past-date" in info.value.for_cli() and "ctrl+s again" in info.value.for_app()
        assert not ws.assessment(a.id).targets  # nothing was set
        ws.set_target(a.id, "1", "established", "2026-06-30", past_ok=True)  # not reached: missed
        ws.set_target(a.id, "2", "established", "2026-06-30", past_ok=True)  # reached: met, date or no date
        ws.set_target(a.id, "3", "developing", "2026-06-30", past_ok=True)  # no score at all: missed too
        a = ws.set_target(a.id, "4", "leading", "2027-03-31")  # not reached, not yet due
        f = ws.figures(a)
        said = {d.ref: d.target.text() for d in f.domains if d.target}
        assert said == {
            "1": "target Established by 30 June 2026: date passed, not reached (1 below)",
            "2": "target Established by 30 June 2026: met",
            "3": "target Developing by 30 June 2026: date passed, not reached (not scored)",
            "4": "target Leading by 31 March 2027: not scored yet",
        }
        assert (f.targets_set, f.targets_met, f.targets_missed) == (4, 1, 2)
        assert f.targets_text() == "Targets: 1 of 4 met, 2 missed (date passed, not reached)"
        assert f.to_json()["targets"] == {"set": 4, "met": 1, "missed": 2}
        assert [d.target.to_json()["missed"] for d in f.domains if d.target] == [True, False, True, False]
        text = pdf_text(gather(ws, a))
        assert "Targets: 1 of 4 met, 2 missed (date passed, not reached)." in text
        assert "Established by 30 June 2026: date passed, not reached (1 below)" in text
        assert "Established by 30 June 2026: met" in text and "Developing by 30 June 2026: date passed, not reached" in text
    finally:
        store.close()


def test_the_cli_refuses_a_past_target_date_unless_told_to_keep_it(run):
    aid = run("new", "Trust", "--framework", BOARD_ID, "--period", "2025/26").stdout.split()[0][:8]
    run("answer", aid, "1.1", "--rating", "developing")
    res = run("target", aid, "1", "established", "--by", "2020-01-31")
    assert res.exit_code == 1 and "the target date 2020-01-31 is already past" in res.stderr
    assert "--past-date" in res.stderr and "Traceback" not in res.stderr + res.stdout
    assert json.loads(run("show", aid, "--json").stdout)["figures"]["targets"] == {"set": 0, "met": 0, "missed": 0}
    res = run("target", aid, "1", "established", "--by", "2020-01-31", "--past-date")
    assert res.exit_code == 0
    assert res.stdout == "1 Leadership and accountability: target Established by 31 January 2020: date passed, not reached (1 below)\n"
    text = run("show", aid).stdout
    assert "Targets: 0 of 1 met, 1 missed (date passed, not reached)" in text and ": met" not in text


def test_the_regulator_sees_a_missed_target_as_missed(tmp_path, run, home):
    reg_store, reg = open_workspace(tmp_path / "regulator" / "store")
    try:
        bundles = []
        for name, code, score in [("Northgate NHS Trust", "RNG", 2), ("Southgate NHS Trust", "RSG", 1)]:
            folder = tmp_path / name.split()[0]
            store, ws = open_workspace(folder / "store")
            try:
                a = eds_assessment(ws, [score] * 11, organisation=name, ods_code=code)  # as its key is registered
                ws.set_target(a.id, "3", "achieving", "2026-06-30", past_ok=True)  # before TODAY
                ws.agree_drafts(a.id)
                a = ws.sign_off(a.id, [("Ann Chair", "Chair")], meeting="Board", on="2026-05-22")
                path = submit(ws, folder, a.id, tmp_path / f"{code}.selfassess").path
                bundles.append(path)
                sent = bundle.open_sealed(path.read_bytes(), bundle.SUBMISSION, ALLOWED).json("submission.json")
                target = next(d["target"] for d in sent["figures"]["domains"] if d["target"])
                assert (target["met"], target["missed"]) == ((True, False) if score == 2 else (False, True))
                keys.register_key(reg, keys.key_fingerprint(keys.load_or_create(folder)), name, code)
            finally:
                store.close()
        r = review.Review(reg, tmp_path / "regulator")
        assert all(x.verdict == bundle.GENUINE for x in r.import_bundles(bundles))
        by_name = {row.organisation: row for row in r.compare("eds-2022").rows}
        north, south = by_name["Northgate NHS Trust"], by_name["Southgate NHS Trust"]
        assert (north.targets_met, north.targets_missed, north.meets_targets) == (1, 0, True)
        assert (south.targets_met, south.targets_missed, south.meets_targets) == (0, 1, False)
        assert reg.today() == TODAY
    finally:
        reg_store.close()
