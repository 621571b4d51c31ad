"""Indicator figures travel in the signed submission and reach the regulator's dataset as computed."""

from __future__ import annotations

import csv

from selfassess.core import indicator_data, indicator_set
from selfassess.submission import bundle, keys, national, schema
from selfassess.submission.review import ALLOWED
from selfassess.submission.submit import submit
from tests.conftest import BUNDLED
from tests.unit.test_submission import Party

WAIT18 = "elective.waiting-over-18-weeks"


def test_indicators_in_the_submission_and_the_regulators_dataset(tmp_path):
    trust, regulator = Party(tmp_path, "trust", "Priya"), Party(tmp_path, "regulator", "Dr Okafor")
    ws = trust.ws
    a = ws.new_assessment("Northgate NHS Trust", "mini", "2025/26", ods_code="RNG").assessment
    path = tmp_path / "agg.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["indicator", "period", "dimension", "group", "numerator", "denominator"])
        w.writerows([[WAIT18, "2025/26", "deprivation", q, n, 400] for q, n in enumerate([90, 80, 70, 3, 50], 1)])
    iset = indicator_set.load_file(BUNDLED / "indicators" / "nhse-health-inequalities-information.yaml")
    ws.import_indicators(a.id, iset, indicator_data.read_extract(path, iset))
    _, figures = ws.indicator_figures(a)
    ws.answer(a.id, "q1", rating="high", evidence="Terms of reference", state="agreed")
    ws.answer(a.id, "q2", rating="low", evidence="Not yet", state="agreed")
    ws.sign_off(a.id, [("Margaret Ellison", "Chair")], meeting="Board 22 May", on="2026-05-22")
    done = submit(ws, trust.home, a.id, tmp_path / "out.selfassess")
    opened = bundle.open_sealed(done.path.read_bytes(), bundle.SUBMISSION, ALLOWED)
    doc = opened.read(schema.SubmissionDoc, "submission.json")
    assert doc.indicators is not None and doc.indicators.set == iset.key
    sent = {i.id: i for i in doc.indicators.indicators}
    assert len(sent) == len(iset.indicators)
    wait = next(f for f in figures if f.id == WAIT18)
    assert sent[WAIT18].model_dump(mode="json") == wait.as_json()
    q4 = next(g for g in sent[WAIT18].breakdowns["deprivation"] if g.group == "Q4")
    assert q4.suppressed and q4.numerator is None and q4.value is None  # a small count never leaves the trust

    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate NHS Trust", "RNG")
    regulator.review.import_bundles([done.path.parent])
    tables, _ = national.DatasetWriter(national.National(regulator.review)).rows()
    rows = [r for r in tables["indicator_values"] if r[2] == WAIT18]
    got = {r[8]: r for r in rows}
    for g in wait.breakdown("deprivation").groups:
        r = got[g.group]
        assert (r[9], r[10], r[11], r[12], r[13], r[14]) == (g.numerator, g.denominator, round(g.value, 2) if g.value else None,
                                                             round(g.ci_low, 2) if g.ci_low else None,
                                                             round(g.ci_high, 2) if g.ci_high else None, g.suppressed)
    not_reported = [r for r in tables["indicator_values"] if r[2] == "adults.cancer-early-stage"]
    assert len(not_reported) == 1 and not_reported[0][5] is False and not_reported[0][6] == "no data imported"
    trust.close()
    regulator.close()


def test_a_suppressed_group_with_figures_is_malformed():
    import pytest

    good = {"group": "Q4", "numerator": None, "denominator": None, "value": None, "ci_low": None, "ci_high": None,
            "suppressed": True}
    schema.read(schema.IndicatorGroupDoc, good, "submission.json")
    with pytest.raises(schema.Malformed, match="suppressed group carries figures"):
        schema.read(schema.IndicatorGroupDoc, {**good, "numerator": 3}, "submission.json")
