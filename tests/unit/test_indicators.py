"""Indicator data: the set as data, Fingertips' statistics, disclosure control, and the import."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as s

from selfassess.core import indicator_data as data
from selfassess.core import indicator_set as iset_mod
from selfassess.core import indicator_stats as st
from selfassess.core.errors import FrameworkError
from tests.conftest import BUNDLED
from tests.helpers import BOARD_ID, bundled_catalogue, open_workspace

SET_FILE = BUNDLED / "indicators" / "nhse-health-inequalities-information.yaml"
WAIT18 = "elective.waiting-over-18-weeks"


@pytest.fixture(scope="module")
def iset() -> iset_mod.IndicatorSet:
    return iset_mod.load_file(SET_FILE)


# --- the set ------------------------------------------------------------------------------------


def test_bundled_set_loads_and_links_only_real_questions(iset):
    framework = bundled_catalogue().get(iset.framework)
    assert framework.id == BOARD_ID
    ids = {i.id for i in iset.indicators}
    assert {WAIT18, "elective.waiting-over-52-weeks", "elective.waiting-over-65-weeks", "adults.cancer-early-stage",
            "cyp.tooth-extractions-rate"} <= ids
    for ind in iset.indicators:
        assert ind.questions, ind.id
        for q in ind.questions:
            assert framework.has_question(q), (ind.id, q)
        if ind.unsure:
            assert ind.note, ind.id


def test_published_schema_is_the_one_the_loader_uses(iset):
    published = (BUNDLED / "indicator-set.schema.json").read_text(encoding="utf-8")
    assert published == iset_mod.json_schema_text()
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    jsonschema.validate(yaml.safe_load(SET_FILE.read_text(encoding="utf-8")), json.loads(published))


def test_a_bad_set_is_refused_with_file_line_and_column(tmp_path):
    text = SET_FILE.read_text(encoding="utf-8")
    bad = text.replace("measure: proportion", "measure: percentage", 1).replace(
        "id: elective.waiting-over-52-weeks", "id: elective.waiting-over-18-weeks", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(FrameworkError) as err:
        iset_mod.load_file(path)
    lines = str(err.value).splitlines()
    line_of = {n: i + 1 for i, n in enumerate(bad.splitlines())}
    measure_line = next(i for i, t in enumerate(bad.splitlines(), 1) if "measure: percentage" in t)
    assert any(x.startswith(f"{path}:{measure_line}:") and "'percentage'" in x and "expected one of" in x for x in lines)
    assert any("duplicate indicator id 'elective.waiting-over-18-weeks'" in x for x in lines)
    assert line_of  # every message names file:line:column
    assert all(x.split(":")[1].isdigit() and x.split(":")[2].isdigit() for x in lines)


# --- statistics against hand-worked published examples ---------------------------------------------


@pytest.mark.parametrize(("num", "den", "low", "high"), [
    (10, 100, 0.0552, 0.1744),  # the common textbook example
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Statistics in Medicine 17:857, table I, method 3
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_score_intervals_match_newcombe(num, den, low, high):
    e = st.wilson(num, den)
    assert e.value == pytest.approx(num / den)
    assert e.low == pytest.approx(low, abs=5e-5)
    assert e.high == pytest.approx(high, abs=5e-5)


def test_byars_limits_approximate_the_exact_poisson_limits():
    # Exact Poisson 95% limits for 100 events are 81.36 and 121.63 (standard tables).
    assert st.byars_low(100) == pytest.approx(81.36, abs=0.02)
    assert st.byars_high(100) == pytest.approx(121.63, abs=0.02)
    # By hand: 50 * (1 - 1/450 - 1.96/(3*sqrt(50)))**3
    assert st.byars_low(50) == pytest.approx(50 * (1 - 1 / 450 - st.Z95 / (3 * math.sqrt(50))) ** 3)


def test_dsr_with_dobson_interval_worked_by_hand():
    # 50 events in the 0-4 band of 10,000 people, none elsewhere (populations 10,000 in every band):
    # DSR = 5000 * 50/10000 / 100000 = 0.00025 -> 25.0 per 100,000
    # var = 5000^2 * 50 / 10000^2 / 100000^2 = 1.25e-9; sqrt(var / 50) = 5e-6
    # low = 0.00025 + 5e-6 * (byars_low(50) - 50); high likewise with byars_high(50)
    counts = [50] + [0] * 18
    pops = [10_000] * 19
    d = st.dsr(counts, pops)
    assert d is not None
    assert d.value == pytest.approx(25.0)
    assert d.low == pytest.approx((0.00025 + 5e-6 * (st.byars_low(50) - 50)) * 1e5)
    assert d.high == pytest.approx((0.00025 + 5e-6 * (st.byars_high(50) - 50)) * 1e5)
    assert d.low == pytest.approx(18.55, abs=0.01) and d.high == pytest.approx(32.96, abs=0.01)


def test_dsr_of_a_standard_population_is_the_crude_rate_with_byars_limits():
    # A population shaped exactly like the ESP with the same rate in every band: DSR = crude rate, and
    # Dobson's interval reduces to Byar's interval of the total count over the population.
    pops = [w * 3 for w in st.ESP2013]
    counts = [w * 3 * 0.002 for w in st.ESP2013]
    d = st.dsr(counts, pops)
    crude = st.crude_rate(sum(counts), sum(pops))
    assert d is not None
    assert d.value == pytest.approx(200.0)
    assert d.low == pytest.approx(crude.low) and d.high == pytest.approx(crude.high)


def test_no_dsr_from_fewer_than_ten_events():
    assert st.dsr([9] + [0] * 18, [1000] * 19) is None
    assert st.dsr([10] + [0] * 18, [1000] * 19) is not None


def test_gap_and_not_stated():
    g = st.gap(30.0, 20.0)
    assert g.absolute == 10.0 and g.relative == 1.5
    assert st.gap(5.0, 0.0).relative is None
    assert st.not_stated_percent({"White": 90, "Not stated": 6, "Not known": 4}, ["Not stated", "Not known"]) == 10.0


# --- disclosure control ------------------------------------------------------------------------------


def test_small_counts_are_suppressed_with_a_second_cell():
    cells = [(3, 40), (20, 100), (30, 200), (50, 300)]
    hidden = st.suppress(cells)
    assert hidden[0] and sum(hidden) == 2
    assert hidden[1]  # the smallest other cell, so 3 cannot be had from the total
    assert st.suppress([(10, 40), (20, 100)]) == [False, False]
    assert st.suppress([(8, 40), (20, 100)], low=1, high=10) == [True, True]
    assert st.suppress([(3, 40), (20, 100)], low=1, high=0) == [False, False]  # control switched off


def _determined(cells, hidden, part):
    """Whether some hidden cell's value is pinned down by the total and the shown cells: it is when
    only one cell is hidden, or when the hidden cells add up to zero (each is then zero)."""
    hidden_values = [c[part] for c, h in zip(cells, hidden, strict=True) if h]
    return bool(hidden_values) and (len(hidden_values) == 1 or sum(hidden_values) == 0)


@settings(max_examples=400, deadline=None)
@given(s.lists(s.tuples(s.integers(0, 40), s.integers(0, 60)).map(lambda t: (min(t), max(t))), min_size=2, max_size=9),
       s.integers(1, 10))
def test_no_suppressed_cell_can_be_recovered_from_the_total(cells, high):
    hidden = st.suppress(cells, 1, high)
    total_n = sum(c[0] for c in cells)
    total_d = sum(c[1] for c in cells)
    if st.is_small(total_n, 1, high) or st.is_small(total_d, 1, high):
        return  # the indicator as a whole is suppressed: nothing is shown to subtract from
    for i, (n, d) in enumerate(cells):
        if st.is_small(n, 1, high) or st.is_small(d, 1, high):
            assert hidden[i]
    for part, total in ((0, total_n), (1, total_d)):
        if total > 0:
            assert not _determined(cells, hidden, part), (cells, hidden)


# --- the import ---------------------------------------------------------------------------------------


def _write(path: Path, header, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


ROW_HEADER = ["imd_decile", "ethnic_category", "age", "sex", "period", WAIT18]


def _rows(n=400):
    codes = ["A", "H", "M", "D", "S", "R", "Z", "99", ""]
    return [[1 + i % 10, codes[i % len(codes)], (i * 7) % 95, "12X"[i % 3], "2025/26", int(i % 10 < 3 + (i % 10 < 2))]
            for i in range(n)]


@pytest.fixture
def ws(tmp_path):
    store, ws = open_workspace(tmp_path / "store")
    a = ws.new_assessment("Riverside NHS Trust", BOARD_ID, "2025/26", ods_code="RXX").assessment
    yield ws, a
    store.close()


def test_row_level_extract_is_aggregated_and_only_aggregates_are_stored(ws, tmp_path, iset):
    w, a = ws
    rows = _rows()
    marker = [f"MARK-{i:05d}" for i in range(len(rows))]  # a patient-level column that must never be stored
    path = _write(tmp_path / "extract.csv", [*ROW_HEADER, "local_id"], [r + [m] for r, m in zip(rows, marker, strict=True)])
    extract = data.read_extract(path, iset)
    assert extract.kind == "row-level" and extract.rows == 400 and extract.period == "2025/26"
    w.import_indicators(a.id, iset, extract)
    _, figures = w.indicator_figures(a)
    f = next(x for x in figures if x.id == WAIT18)
    dep = f.breakdown("deprivation")
    assert [g.group for g in dep.groups] == list(data.QUINTILES)
    q1 = dep.group("Q1 most deprived")
    expected_n = sum(r[5] for r in rows if r[0] in (1, 2))
    assert (q1.numerator, q1.denominator) == (expected_n, 80)
    e = st.wilson(expected_n, 80)
    assert q1.value == pytest.approx(100 * e.value) and q1.ci_low == pytest.approx(100 * e.low)
    eth = f.breakdown("ethnicity")
    assert eth.group("Asian or Asian British").denominator == sum(1 for r in rows if r[1] in ("H", "R"))
    assert eth.not_stated == pytest.approx(100 * sum(1 for r in rows if r[1] in ("Z", "99", "")) / 400)
    assert eth.flagged
    assert f.total.numerator == sum(r[5] for r in rows)
    assert not next(x for x in figures if x.id == "elective.waiting-over-52-weeks").reported
    w.repo.checkpoint()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "store").rglob("*") if p.is_file())
    assert b"MARK-" not in stored
    assert extract.file_sha256.encode() in stored


def test_aggregated_extract_in_xlsx_and_parquet(ws, tmp_path, iset):
    import duckdb
    import openpyxl

    w, a = ws
    header = ["indicator", "period", "dimension", "group", "numerator", "denominator"]
    rows = [[WAIT18, "2025/26", "deprivation", str(q), 10 * q, 100 * q + 50] for q in range(1, 6)]
    rows += [[WAIT18, "2025/26", "sex", "Female", 80, 800], [WAIT18, "2025/26", "sex", "Male", 70, 950]]
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    wb.save(tmp_path / "agg.xlsx")
    x = data.read_extract(tmp_path / "agg.xlsx", iset)
    assert x.kind == "aggregated" and x.period == "2025/26"
    csv_path = _write(tmp_path / "agg.csv", header, rows)
    duckdb.connect().execute(f"COPY (SELECT * FROM read_csv('{csv_path}')) TO '{tmp_path / 'agg.parquet'}' (FORMAT parquet)")
    p = data.read_extract(tmp_path / "agg.parquet", iset)
    assert sorted(map(repr, p.cells[WAIT18])) == sorted(map(repr, x.cells[WAIT18]))
    w.import_indicators(a.id, iset, p)
    f = next(f for f in w.indicator_figures(a)[1] if f.id == WAIT18)
    assert f.gap_absolute == pytest.approx(100 * (10 / 150 - 50 / 550))
    assert f.missing_breakdowns == ("ethnicity", "age")


def _refused(path, iset, *expected, **kwargs):
    with pytest.raises(data.BadExtract) as err:
        data.read_extract(path, iset, **kwargs)
    message = str(err.value)
    assert "nothing was stored" in message
    for text in expected:
        assert text in message, message
    return message


def test_bad_inputs_are_refused_with_the_reason(tmp_path, iset):
    rows = _rows(60)
    _refused(_write(tmp_path / "a.csv", ["imd", "ethnic_category", "age", "sex", "period", WAIT18], rows), iset,
             "'imd_decile or imd_quintile' is missing", "columns found: imd, ethnic_category")
    quint = [[6 if i == 3 else 1 + r[0] % 5, *r[1:]] for i, r in enumerate(rows)]
    _refused(_write(tmp_path / "b.csv", ["imd_quintile", *ROW_HEADER[1:]], quint), iset, "'6'", "IMD quintile 1 to 5")
    neg = [[*r[:5], -1 if i == 0 else r[5]] for i, r in enumerate(rows)]
    _refused(_write(tmp_path / "c.csv", ROW_HEADER, neg), iset, "negative counts")
    frac = [[*r[:5], 0.5 if i == 0 else r[5]] for i, r in enumerate(rows)]
    _refused(_write(tmp_path / "d.csv", ROW_HEADER, frac), iset, "fractional counts")
    two = [[*r[:4], "2024/25" if i % 2 else "2025/26", r[5]] for i, r in enumerate(rows)]
    _refused(_write(tmp_path / "e.csv", ROW_HEADER, two), iset, "mixes periods (2024/25, 2025/26)")
    above = [[*r[:5], 2 if i == 0 else r[5]] for i, r in enumerate(rows)]
    _refused(_write(tmp_path / "f.csv", ROW_HEADER, above), iset, "numerator is above its denominator")
    nhs = ["943 476 5919", "9434765870", "4010232137", "9876543210", "4505577104"]  # valid check digits but one
    rows_nhs = [[*r, nhs[i % 5]] for i, r in enumerate(rows)]
    _refused(_write(tmp_path / "g.csv", [*ROW_HEADER, "pid"], rows_nhs), iset, "'pid' looks like NHS numbers")
    agg = [[WAIT18, "2025/26", "deprivation", "1", 12, 10], [WAIT18, "2025/26", "deprivation", "6", 1, 10]]
    _refused(_write(tmp_path / "h.csv", ["indicator", "period", "dimension", "group", "numerator", "denominator"], agg),
             iset, "row 2: numerator 12 is above the denominator 10", "row 3: IMD quintile '6'")
    _refused(_write(tmp_path / "i.csv", ["x", "y"], [[1, 2]]), iset, "columns found: x, y")


def test_nhs_number_check_digits():
    assert data.is_nhs_number("943 476 5919")
    assert data.is_nhs_number("9434765870")
    assert not data.is_nhs_number("9434765918")
    assert not data.looks_like_nhs_numbers(["1234567890", "2345678901", "", "7"])


def test_unknown_codes_are_counted_as_not_known_and_listed(tmp_path, iset):
    rows = _rows(50)
    rows[0][1] = "Q"
    rows[1][1] = "Q"
    rows[2][3] = "7"
    x = data.read_extract(_write(tmp_path / "u.csv", ROW_HEADER, rows), iset)
    assert x.unknown_codes == {"ethnicity": {"Q": 2}, "sex": {"7": 1}}
    eth = {c.group: c.denominator for c in x.cells[WAIT18] if c.dimension == "ethnicity"}
    assert eth["Not known"] == sum(1 for r in rows if r[1] in ("99", "", "Q"))


@pytest.mark.parametrize(("sex", "ethnicity"), [("F", "A"), ("M", "F"), ("F", "F")])
def test_a_column_of_one_letter_is_read_as_that_code_never_as_true_or_false(tmp_path, iset, sex, ethnicity):
    """A maternity extract is all F: every row is Female (a reader guessing types took F for false and
    counted all 40 as not known); the same for an ethnicity column of one code."""
    rows = [[1 + i % 10, ethnicity, 20 + i, sex, "2025/26", i % 2] for i in range(40)]
    x = data.read_extract(_write(tmp_path / "one.csv", ROW_HEADER, rows), iset)
    assert x.unknown_codes == {}
    by_sex = {c.group: c.denominator for c in x.cells[WAIT18] if c.dimension == "sex"}
    assert sum(by_sex.values()) == 40 and by_sex.get("Not known", 0) == 0 and len(by_sex) == 1
    by_ethnicity = {c.group: c.denominator for c in x.cells[WAIT18] if c.dimension == "ethnicity"}
    assert by_ethnicity.get("Not known", 0) == 0 and sum(by_ethnicity.values()) == 40


def test_map_renames_columns(tmp_path, iset):
    rows = _rows(40)
    path = _write(tmp_path / "m.csv", ["IMD", "Ethnicity", "Age", "Sex", "Period", "wait18"], rows)
    x = data.read_extract(path, iset, mapping=data.parse_map(["IMD=imd_decile", "Ethnicity=ethnic_category", "Age=age",
                                                              "Sex=sex", "Period=period", f"wait18={WAIT18}"]))
    assert WAIT18 in x.cells
    _refused(path, iset, "--map names the column 'nope'", mapping={"nope": "age"})


def test_a_refused_import_stores_nothing(run, tmp_path):
    assert run("new", "Riverside", "--framework", BOARD_ID, "--period", "2025/26").exit_code == 0
    handle = json.loads(run("assessments", "--json").stdout)["assessments"][0]["id"]
    bad = _write(tmp_path / "bad.csv", ROW_HEADER, [[*r[:5], -3] for r in _rows(20)])
    res = run("indicators", "import", handle, bad)
    assert res.exit_code == 1 and "negative counts" in res.stderr and "nothing was stored" in res.stderr
    shown = json.loads(run("indicators", "show", handle, "--json").stdout)
    assert shown == {"set": None, "indicators": []}
    good = _write(tmp_path / "good.csv", ROW_HEADER, _rows(200))
    res = run("indicators", "import", handle, good)
    assert res.exit_code == 0, res
    shown = json.loads(run("indicators", "show", handle, "--json").stdout)
    one = next(i for i in shown["indicators"] if i["id"] == WAIT18)
    assert one["period"] == "2025/26"
    assert set(one["breakdowns"]) == {"deprivation", "ethnicity", "age", "sex"}
    assert set(one["breakdowns"]["deprivation"][0]) == {"group", "numerator", "denominator", "value", "ci_low", "ci_high",
                                                        "suppressed"}
    assert one["not_stated"]["ethnicity"] > 0


def _agg(path: Path, q_num: list[int], den: int = 500) -> Path:
    header = ["indicator", "period", "dimension", "group", "numerator", "denominator"]
    return _write(path, header, [[WAIT18, "2025/26", "deprivation", q, n, den] for q, n in enumerate(q_num, 1)])


def test_a_wide_gap_becomes_a_suggested_action_on_the_linked_question(ws, tmp_path, iset):
    from selfassess.core.errors import Refused

    w, a = ws
    w.import_indicators(a.id, iset, data.read_extract(_agg(tmp_path / "narrow.csv", [100, 100, 98, 99, 97]), iset))
    with pytest.raises(Refused, match="not wide enough"):
        w.indicator_action(a.id, WAIT18, "Dr Amir Khan", "2026-06-30")
    w.import_indicators(a.id, iset, data.read_extract(_agg(tmp_path / "wide.csv", [150, 120, 100, 90, 60]), iset))
    f = next(x for x in w.indicator_figures(a)[1] if x.id == WAIT18)
    assert f.gap_wide and f.gap_relative == pytest.approx(2.5)
    action = w.indicator_action(a.id, WAIT18, "Dr Amir Khan", "2026-06-30")
    assert action.question_ids == ("data.waiting-lists",)
    assert "2.5 times" in action.title and "most deprived" in action.title
    # The second import replaced the first for the same indicator and period: one record, the latest figures.
    assert len(w.repo.find("indicator_data", assessment_id=a.id, indicator_id=WAIT18)) == 1


def test_a_signed_off_assessment_takes_no_indicator_data(ws, tmp_path, iset):
    from selfassess.core.errors import Refused

    w, a = ws
    extract = data.read_extract(_agg(tmp_path / "x.csv", [150, 120, 100, 90, 60]), iset)
    rec = w.repo.get("assessments", a.id)
    from selfassess.core.audit import Change

    w.commit("test.freeze", "frozen for the test", [Change("assessments", a.id, rec, {**rec, "status": "signed_off"})])
    head = w.repo.head
    with pytest.raises(Refused, match="signed off"):
        w.import_indicators(a.id, iset, extract)
    assert w.repo.head == head


def test_validate_checks_an_indicator_set_with_line_and_column(run, tmp_path):
    res = run("validate", SET_FILE)
    assert res.exit_code == 0 and "20 indicators" in res.stdout
    bad = tmp_path / "set.yaml"
    bad.write_text(SET_FILE.read_text(encoding="utf-8").replace("polarity: lower_is_better", "polarity: lower", 1),
                   encoding="utf-8")
    res = run("validate", bad)
    line = next(i for i, t in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "polarity: lower" in t)
    assert res.exit_code == 1 and f"{bad}:{line}:15: indicator polarity is 'lower', expected one of" in res.stderr


def test_a_file_without_a_period_takes_the_given_one_or_the_assessments(tmp_path, iset):
    rows = [r[:4] + r[5:] for r in _rows(30)]
    path = _write(tmp_path / "np.csv", ["imd_decile", "ethnic_category", "age", "sex", WAIT18], rows)
    _refused(path, iset, "no period column")
    assert data.read_extract(path, iset, default_period="2025/26").period == "2025/26"
    assert data.read_extract(path, iset, period="2025-Q3", default_period="2025/26").period == "2025-Q3"
    _refused(path, iset, "is not a short line of text", period="x" * 41)


def test_a_reopened_version_keeps_the_indicator_figures(ws, tmp_path, iset):
    from selfassess.core.audit import Change

    w, a = ws
    w.import_indicators(a.id, iset, data.read_extract(_agg(tmp_path / "x.csv", [150, 120, 100, 90, 60]), iset))
    before = [f.as_json() for f in w.indicator_figures(a)[1]]
    rec = w.repo.get("assessments", a.id)
    w.commit("test.freeze", "frozen for the test", [Change("assessments", a.id, rec, {**rec, "status": "signed_off"})])
    new = w.reopen(a.id, "A late correction")
    assert [f.as_json() for f in w.indicator_figures(new)[1]] == before
    assert [f.as_json() for f in w.indicator_figures(w.assessment(a.id))[1]] == before  # the old version keeps its own


def test_a_broken_user_set_is_left_out_with_a_warning_and_never_blocks_the_bundled_one(run, home, tmp_path):
    from selfassess import paths

    assert run("new", "Riverside", "--framework", BOARD_ID, "--period", "2025/26").exit_code == 0
    handle = json.loads(run("assessments", "--json").stdout)["assessments"][0]["id"]
    mine = paths.user_frameworks_dir(home) / "indicators"
    mine.mkdir(parents=True)
    (mine / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    res = run("indicators", "import", handle, _write(tmp_path / "good.csv", ROW_HEADER, _rows(200)))
    assert res.exit_code == 0, res
    assert f"warning: indicator set {mine / 'broken.yaml'} was left out: {mine / 'broken.yaml'}:2:1: YAML syntax error" in res.stderr
    # Asked for by name, a set that only the broken file could be: its problems, file:line:column.
    res = run("indicators", "import", handle, tmp_path / "good.csv", "--set", "my-own-set")
    assert res.exit_code == 1 and f"{mine / 'broken.yaml'}:2:1: YAML syntax error" in res.stderr
