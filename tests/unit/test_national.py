"""The regulator at national scale: groupings by ICB and region, spreads, trends, incremental
import and the analysts' dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from selfassess.core.errors import InvalidInput
from selfassess.submission import bundle, keys, national, review, schema
from tests.helpers import open_workspace
from tests.unit.test_submission import Party, make_bundle

GROUPS_CSV = """ICB,ODS code,Region,Organisation name
North ICB,RA1,East,Trust A1
North ICB,RA2,East,Trust A2
North ICB,RA3,East,Trust A3
South ICB,RB1,East,Trust B1
"""


def refigured(sub: dict, framework) -> dict:
    """The figures a changed submission's documents would show (a bundle must agree with itself)."""
    draft = dict(sub)
    draft.pop("figures", None)
    draft["figures"] = sub["figures"]
    return {**sub["figures"], **schema.expected_figures(schema.read(schema.SubmissionDoc, draft, "test"), framework),
            "previous_period": None, "previous_score_percent": None, "change_points": None}


def trust_bundles(trust: Party, tmp_path: Path, plan: dict[str, tuple[str, str]]) -> tuple[Path, dict[str, str]]:
    """One genuine submission, re-sent as several trusts (each its own key) with their own ratings."""
    genuine = make_bundle(trust, tmp_path)
    files = dict(bundle.open_sealed(genuine.read_bytes(), bundle.SUBMISSION, review.ALLOWED).files)
    base = json.loads(files["submission.json"])
    framework = schema.framework_copy(files["framework.json"])
    out = tmp_path / "inbox"
    out.mkdir()
    fingerprints = {}
    for ods, (r1, r2) in plan.items():
        key = Ed25519PrivateKey.generate()
        sub = dict(base, organisation=dict(base["organisation"], name=f"Trust {ods[1:]}", ods_code=ods))
        sub["answers"] = [dict(a, rating=r1 if a["question_id"] == "q1" else r2) for a in base["answers"]]
        sub["figures"] = refigured(sub, framework)
        (out / f"{ods}.selfassess").write_bytes(bundle.seal(bundle.SUBMISSION, {**files, "submission.json": json.dumps(sub).encode()}, key))
        fingerprints[ods] = keys.fingerprint(keys.raw_public(key.public_key()))
    return out, fingerprints


@pytest.fixture
def imported(tmp_path):
    trust, regulator = Party(tmp_path, "trust", "Priya"), Party(tmp_path, "regulator", "Dr Okafor")
    plan = {"RA1": ("high", "high"), "RA2": ("high", "low"), "RA3": ("low", "low"), "RB1": ("low", "high"),
            "RZZ": ("high", "high")}
    inbox, fps = trust_bundles(trust, tmp_path, plan)
    for ods, fp in fps.items():
        keys.register_key(regulator.ws, fp, f"Trust {ods}", ods)
    results = regulator.review.import_bundles([inbox])
    assert [r.verdict for r in results] == ["genuine"] * 5, results
    groups = tmp_path / "groups.csv"
    groups.write_text(GROUPS_CSV, encoding="utf-8")
    yield regulator, inbox, groups
    trust.close()
    regulator.close()


def test_groupings_give_medians_and_quartiles_by_icb_and_region_and_name_the_ungrouped(imported):
    regulator, _, groups = imported
    nat = national.National(regulator.review)
    done = nat.import_groups(groups)
    assert (done.added, done.total) == (4, 4)
    by_icb = nat.compare_by("icb")
    north, south = by_icb.rows
    assert north.group == "North ICB" and north.organisations == ("Trust A1", "Trust A2", "Trust A3")
    assert (north.overall.n, north.overall.median, north.overall.q1, north.overall.q3) == (3, 50.0, 25.0, 75.0)
    assert (south.overall.n, south.overall.median) == (1, 50.0)
    assert by_icb.ungrouped == ["RZZ"]
    (east,) = nat.compare_by("region").rows
    assert east.overall.n == 4 and east.overall.median == 50.0 and east.domains["d1"].median == 50.0
    with pytest.raises(InvalidInput, match="cannot group by"):
        nat.compare_by("county")


@pytest.mark.parametrize(("text", "expect"), [
    ("ods,name,icb\nRA1,A,North\n", "no column for region; the columns found are: 'ods', 'name', 'icb'"),
    ("ods,name,icb,region\nRA1,A,North,East\n../x,B,North,East\n", "line 3: '../x' is not an ODS code"),
    ("ods,name,icb,region\nRA1,A,North,East\nRA1,B,North,East\n", "line 3: RA1 is listed twice (first on line 2)"),
    ("ods,name,icb,region\nRA1,,North,East\n", "line 2: name is empty"),
    ("", "is empty"),
])
def test_a_bad_groupings_file_is_refused_whole_with_the_line(imported, text, expect):
    regulator, _, groups = imported
    groups.write_text(text, encoding="utf-8")
    head = regulator.store.head
    with pytest.raises(InvalidInput) as info:
        national.National(regulator.review).import_groups(groups)
    assert expect in str(info.value)
    assert regulator.store.head == head


def test_importing_a_folder_again_checks_only_new_files(imported, monkeypatch):
    regulator, inbox, _ = imported
    calls = []
    real = review.verify_file
    monkeypatch.setattr(review, "verify_file", lambda *a, **k: calls.append(a) or real(*a, **k))
    again = regulator.review.import_bundles([inbox])
    assert [r.verdict for r in again] == ["already imported"] * 5 and calls == []
    (inbox / "RA1.selfassess").write_bytes((inbox / "RA1.selfassess").read_bytes() + b"x")  # changed: checked again
    results = {r.file.name: r.verdict for r in regulator.review.import_bundles([inbox])}
    assert results["RA1.selfassess"] == "altered" and len(calls) == 1


def test_a_file_imported_again_reads_only_the_submission_it_names(imported, monkeypatch):
    """A new command importing one file again reads that file's submission alone, found by its hash
    through the store's index, not every submission the regulator holds."""
    regulator, inbox, _ = imported
    built = []
    real = review.Submission.from_record.__func__
    monkeypatch.setattr(review.Submission, "from_record", classmethod(lambda cls, rec: built.append(rec["id"]) or real(cls, rec)))
    review._READS.clear()  # as a new command starts: nothing read yet
    (result,) = review.Review(regulator.ws, regulator.home).import_bundles([inbox / "RA2.selfassess"])
    assert result.verdict == "already imported" and "Trust A2" in result.message and len(built) == 1


def test_the_submissions_are_read_once_for_every_screen_and_again_only_when_their_table_changes(imported, monkeypatch):
    """Each screen makes its own Review: a regulator's thousands of submissions are built once, kept
    in step with its own imports, and read again when another copy changes them, never for a mark."""
    regulator, inbox, _ = imported
    built = []
    real = review.Submission.from_record.__func__
    monkeypatch.setattr(review.Submission, "from_record", classmethod(lambda cls, rec: built.append(rec["id"]) or real(cls, rec)))
    review._READS.clear()
    assert len(review.Review(regulator.ws, regulator.home).submissions()) == 5 and len(built) == 5
    built.clear()
    screen = review.Review(regulator.ws, regulator.home)  # another screen: nothing built again
    one = screen.compare().rows[0].submission_id
    screen.mark(one, "domain", "1", "accepted")  # the marks table: the submissions stay as read
    trust = review.Review(regulator.ws, regulator.home)
    assert trust.find(one).id == one and [m.verdict for m in trust.marks()[one].values()] == ["accepted"]
    assert built == []
    # Another copy of the app removes one: the next look reads the table again and it is gone.
    _, other_ws = open_workspace(regulator.home / "store", actor="Dr Adeyemi")
    review.Review(other_ws, regulator.home).remove(one, "sent twice by mistake")
    other_ws.repo.close()
    after = review.Review(regulator.ws, regulator.home)
    assert after.count() == 4 and one not in {s.id for s in after.submissions()} and len(built) == 4


def test_our_own_imports_keep_the_submissions_read_in_step_without_reading_them_again(tmp_path, monkeypatch):
    from tests.unit.test_submission import Party

    trust, regulator = Party(tmp_path, "trust", "Priya"), Party(tmp_path, "regulator", "Dr Okafor")
    inbox, fps = trust_bundles(trust, tmp_path, {"RA1": ("high", "high"), "RA2": ("low", "high"), "RA3": ("low", "low"),
                                                 "RA4": ("high", "low")})
    for ods, fp in fps.items():
        keys.register_key(regulator.ws, fp, f"Trust {ods}", ods)
    built = []
    real = review.Submission.from_record.__func__
    monkeypatch.setattr(review.Submission, "from_record", classmethod(lambda cls, rec: built.append(rec["id"]) or real(cls, rec)))
    first, second = review.Review(regulator.ws, regulator.home), review.Review(regulator.ws, regulator.home)
    assert first.import_bundles([inbox / "RA1.selfassess"])[0].verdict == "genuine"
    assert second.import_bundles([inbox / "RA2.selfassess"])[0].verdict == "genuine"  # a screen opened before it
    assert [s.organisation.ods_code for s in review.Review(regulator.ws, regulator.home).submissions()] == ["RA1", "RA2"]
    assert built == []  # each import added itself to what was read; nothing was built from the store again
    # Another copy imports one while this copy's next import is on its way to the disk (after its
    # checks, before its save takes the lock): that import does not hide it.
    _, other_ws = open_workspace(regulator.home / "store", actor="Dr Adeyemi")
    real_commit = regulator.ws.commit

    def meanwhile(*args, **kwargs):
        review.Review(other_ws, regulator.home).import_bundles([inbox / "RA3.selfassess"])
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(regulator.ws, "commit", meanwhile)
    assert first.import_bundles([inbox / "RA4.selfassess"])[0].verdict == "genuine"
    other_ws.repo.close()
    shown = [s.organisation.ods_code for s in review.Review(regulator.ws, regulator.home).submissions()]
    assert shown == ["RA1", "RA2", "RA3", "RA4"]
    trust.close()
    regulator.close()


def test_the_dataset_is_tidy_and_duckdb_reads_it(imported, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    regulator, _, groups = imported
    nat = national.National(regulator.review)
    nat.import_groups(groups)
    out = tmp_path / "dataset"
    done = national.DatasetWriter(nat).write(out, "parquet")
    assert done.rows["submissions"] == 5 and done.rows["answers"] == 10 and done.rows["organisations"] == 5
    con = duckdb.connect()
    assert con.execute(f"SELECT count(DISTINCT ods_code) FROM '{out}/organisations.parquet'").fetchone() == (5,)
    assert con.execute(f"SELECT count(*) FROM '{out}/submissions.parquet' WHERE current").fetchone() == (5,)
    assert con.execute(
        f"SELECT icb, count(*) FROM '{out}/organisations.parquet' WHERE icb IS NOT NULL GROUP BY icb ORDER BY icb"
    ).fetchall() == [("North ICB", 3), ("South ICB", 1)]
    rated = con.execute(f"SELECT s.ods_code, a.rating FROM '{out}/answers.parquet' a JOIN '{out}/submissions.parquet' s "
                        "USING (submission_id) WHERE a.question_id = 'q2' ORDER BY 1").fetchall()
    assert rated == [("RA1", "high"), ("RA2", "low"), ("RA3", "low"), ("RB1", "high"), ("RZZ", "high")]
    meta = dict(con.execute(f"SELECT key, value FROM parquet_kv_metadata('{out}/answers.parquet')").fetchall())
    assert meta[b"schema_version"] == b"1"
    manifest = json.loads((out / "dataset.json").read_text())
    assert manifest["schema_version"] == "1" and manifest["tables"]["actions"]["rows"] == 5


def test_files_not_imported_are_listed_with_the_reason(imported, tmp_path):
    regulator, inbox, _ = imported
    (inbox / "RX9.selfassess").write_bytes(b"not a bundle")
    (inbox / "RA1.selfassess").write_bytes((inbox / "RA1.selfassess").read_bytes()[:-3])
    tables, _ = national.DatasetWriter(national.National(regulator.review)).rows([inbox])
    refused = {r[0]: (r[2], r[3]) for r in tables["refused_files"]}
    assert set(refused) == {"RX9.selfassess", "RA1.selfassess"}
    assert refused["RX9.selfassess"][0] == "malformed" and "not a selfassess submission" in refused["RX9.selfassess"][1]
    assert refused["RA1.selfassess"][0] == "altered"


def test_the_dataset_as_csv_keeps_empty_text_apart_from_missing(imported, tmp_path):
    regulator, _, _ = imported
    done = national.DatasetWriter(national.National(regulator.review)).write(tmp_path / "csv", "csv")
    lines = (tmp_path / "csv" / "organisations.csv").read_text().splitlines()
    assert lines[0] == "ods_code,name,icb,region,key_fingerprint"
    assert all(",\\N,\\N," in line for line in lines[1:])  # no groupings imported: ICB and region are missing
    assert done.notes == ()


def test_cli_groups_compare_by_trends_and_dataset(imported, run, home, tmp_path):
    regulator, inbox, groups = imported
    # The CLI works on its own data folder: import the same inbox there.
    for ods in ("RA1", "RA2", "RA3", "RB1", "RZZ"):
        fp = keys.register_key(regulator.ws, regulator.review.history(ods)[0].key_fingerprint, ods, ods).fingerprint
        assert run("keys", "trust", fp, "--name", f"Trust {ods}", "--ods", ods).exit_code == 0
    assert run("review", "import", inbox).exit_code == 0
    res = run("review", "groups", "import", groups)
    assert res.exit_code == 0 and "4 organisations (4 added" in res.stdout, res
    res = run("review", "compare", "--by", "icb")
    assert res.exit_code == 0 and "North ICB" in res.stdout and "50% (25%-75%)" in res.stdout, res
    assert "not in the groupings (1): RZZ" in res.stderr
    data = json.loads(run("review", "compare", "--by", "region", "--json").stdout)
    assert data["groups"][0]["overall"] == {"n": 4, "median": 50.0, "q1": 37.5, "q3": 62.5}
    trends = json.loads(run("review", "trends", "--json").stdout)
    assert len(trends["trusts"]) == 5 and trends["trusts"][0]["years"][0]["period"] == "2025/26"
    res = run("review", "trends")
    assert res.exit_code == 0 and "█" in res.stdout
    res = run("review", "dataset", "--out", tmp_path / "ds", "--format", "csv")
    assert res.exit_code == 0 and "answers 10" in res.stdout, res
    res = run("review", "groups", "import", tmp_path / "nope.csv")
    assert res.exit_code == 1 and "nope.csv" in res.stderr, res


def test_a_resubmission_of_the_same_period_is_the_current_one(tmp_path):
    from selfassess.submission.submit import submit

    trust, regulator = Party(tmp_path, "trust", "Priya"), Party(tmp_path, "regulator", "Dr Okafor")
    try:
        keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
        first = make_bundle(trust, tmp_path)
        again = trust.ws.reopen(trust.ws.assessments()[0].id, "a rating was wrong")
        trust.ws.answer(again.id, "q2", rating="high", state="agreed")
        trust.ws.sign_off(again.id, [("Margaret Ellison", "Chair")])
        second = submit(trust.ws, trust.home, again.id, tmp_path / "second.selfassess").path
        assert [r.verdict for r in regulator.review.import_bundles([first, second])] == ["genuine", "genuine"]
        tables, _ = national.DatasetWriter(national.National(regulator.review)).rows()
        rows = sorted((r[6], r[8]) for r in tables["submissions"])  # (sequence, current)
        assert rows == [(1, False), (2, True)]
        (trend,) = national.National(regulator.review).trends()
        assert [s.sequence for s in trend] == [2]  # one point per period: the resubmission
    finally:
        trust.close()
        regulator.close()


def test_the_review_report_shows_every_organisation_by_group(imported, tmp_path):
    import pypdf

    regulator, _, groups = imported
    nat = national.National(regulator.review)
    nat.import_groups(groups)
    path, warnings = national.write_report(nat, tmp_path, "icb")
    assert path.parent == tmp_path and path.name.startswith("review-report-icb-") and warnings == []
    reader = pypdf.PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("Organisations by domain", "North ICB", "South ICB", "Not grouped", "Trust A1", "Trust ZZ",
                     "How each domain spreads", "Most slipped or queried actions",
                     "What changed since the previous submission", f"Page 1 of {len(reader.pages)}"):
        assert expected in text, expected
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape, for the wide table
    data = national.report_data(nat, "region")
    assert {o.group for o in data.organisations} == {"East", ""} and data.ungrouped == ("RZZ",)
    with pytest.raises(InvalidInput, match="cannot group by"):
        national.report_data(nat, "county")
