"""Rating rounds: independent ratings, the spread, a reasoned consensus; packs and responses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfassess.core import rounds
from selfassess.core.errors import InvalidInput, NotFound, Refused, SelfAssessError
from selfassess.submission import bundle, rating_packs
from tests.helpers import BOARD_ID, TODAY, open_workspace

RATERS = [("Margaret Ellison", "Chair"), ("Richard Osei", "Chief Executive"), ("Ayesha Khan", "Non-executive director")]


@pytest.fixture
def assessment(ws):
    return ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26", ods_code="RNG").assessment


def rated_round(ws, assessment, levels=("1", "3", "3"), question="1.1", **kwargs):
    r = rounds.open_round(ws, assessment.id, RATERS, **kwargs)
    for (name, _), level in zip(RATERS, levels, strict=False):
        rounds.rate(ws, r.id, name, question, level)
    return r


def test_three_raters_rating_1_3_3_give_the_spread(ws, assessment):
    r = rated_round(ws, assessment)
    found = rounds.spread(ws, r)
    row = found.questions[0]  # the most divergent first
    framework = ws.framework(assessment)
    scale = framework.scale_for(framework.question("1.1"))
    assert row.ref == "1.1" and row.n == 3
    assert {scale.number_of(k): c for k, c in row.counts.items()} == {1: 1, 3: 2}
    assert scale.number_of(row.median) == 3 and row.range == 2 and row.divergent
    assert [q.n for q in found.questions[1:]] == [0] * (len(found.questions) - 1)
    assert found.waiting == () and len(found.returned) == 3


@pytest.mark.parametrize(("levels", "divergent"), [
    (("2", "3", "3"), False),  # one level apart, most hold one level
    (("1", "2"), False),  # two raters, each level held by half
    (("1", "2", "2"), False),
    (("2", "2", "4"), True),  # two levels apart
])
def test_divergent_means_two_levels_apart_or_no_level_held_by_half(ws, assessment, levels, divergent):
    r = rated_round(ws, assessment, levels)
    assert rounds.spread(ws, r).of(ws.framework(assessment).question("1.1").id).divergent is divergent


def test_an_even_split_takes_the_lower_middle_and_is_held_by_half():
    from selfassess.core.framework import load_file
    from tests.conftest import BUNDLED

    framework = load_file(BUNDLED / f"{BOARD_ID}.yaml")
    q = next(framework.questions())
    scale = framework.scale_for(q)
    keys = scale.level_keys()
    even = rounds.question_spread(scale, q, [keys[1], keys[2], keys[1], keys[2]])
    assert not even.divergent and even.median == keys[1] and even.counts == {keys[1]: 2, keys[2]: 2}
    none = rounds.question_spread(scale, q, [])
    assert none.n == 0 and none.median is None and not none.divergent


def test_the_spread_sorts_most_divergent_first_and_names_who_has_not_returned(ws, assessment):
    r = rounds.open_round(ws, assessment.id, RATERS)
    rounds.rate(ws, r.id, "Margaret Ellison", "1.2", "2")
    rounds.rate(ws, r.id, "Richard Osei", "1.2", "3")
    rounds.rate(ws, r.id, "Margaret Ellison", "1.3", "1")
    rounds.rate(ws, r.id, "Richard Osei", "1.3", "4")
    found = rounds.spread(ws, r)
    assert [q.ref for q in found.questions[:2]] == ["1.3", "1.2"]
    assert [w.name for w in found.waiting] == ["Ayesha Khan"]


def test_ratings_never_touch_the_agreed_answer(ws, assessment):
    ws.answer(assessment.id, "1.1", rating="2", evidence="Minutes", state="agreed")
    rated_round(ws, assessment)
    a = ws.answer_for(assessment.id, ws.framework(assessment).question("1.1").id)
    assert a.rating == "developing" and a.state == "agreed" and a.evidence == "Minutes"


def test_agreeing_away_from_the_median_needs_a_rationale(env, ws, assessment):
    rated_round(ws, assessment)
    before = ws.repo.head
    with pytest.raises(Refused, match="median is Established.*needs a rationale"):
        ws.answer(assessment.id, "1.1", rating="1", state="agreed")
    assert ws.repo.head == before  # nothing half-recorded
    a = ws.answer(assessment.id, "1.1", rating="1", state="agreed",
                  rationale="The committee has not met since April; the executive view is optimistic")
    assert a.rationale.startswith("The committee") and a.state == "agreed"
    last = [e for _, e, _ in env[0].events() if e][-1]
    assert "rationale: The committee has not met" in last["summary"]
    # At the median no rationale is needed, and none is kept.
    at_median = ws.answer(assessment.id, "1.1", rating="3", state="agreed")
    assert at_median.rationale == ""
    # Changing to another level away from the median asks again.
    with pytest.raises(Refused, match="needs a rationale"):
        ws.answer(assessment.id, "1.1", rating="4")


def test_agreeing_drafts_refuses_an_unexplained_rating_away_from_the_median(ws, assessment):
    ws.answer(assessment.id, "1.1", rating="1")  # before the round: a draft
    rated_round(ws, assessment)
    with pytest.raises(Refused, match="1.1: the draft rating differs from the raters' median"):
        ws.agree_drafts(assessment.id)


def test_a_level_not_on_the_scale_and_a_removed_rater_are_refused(ws, assessment):
    r = rounds.open_round(ws, assessment.id, RATERS)
    before = ws.repo.head
    with pytest.raises(InvalidInput, match="'7' is not a level on the"):
        rounds.rate(ws, r.id, "Margaret Ellison", "1.1", "7")
    with pytest.raises(NotFound, match="no rater 'Nobody'"):
        rounds.rate(ws, r.id, "Nobody", "1.1", "2")
    assert ws.repo.head == before
    rounds.rate(ws, r.id, "Ayesha Khan", "1.1", "4")
    rounds.remove_rater(ws, r.id, "Ayesha Khan", "left the board")
    with pytest.raises(Refused, match="was removed from this round"):
        rounds.rate(ws, r.id, "Ayesha Khan", "1.1", "2")
    assert rounds.spread(ws, rounds.get_round(ws, r.id)).questions[0].n == 0  # her rating left the spread


def test_a_round_names_its_kind_domains_and_closing_date(ws, assessment):
    r = rounds.open_round(ws, assessment.id, RATERS, domains=["2"], closes="2026-12-01", kind="stakeholder")
    framework = ws.framework(assessment)
    assert r.kind == "stakeholder" and r.domain_ids == (framework.domains[1].id,) and r.closes == "2026-12-01"
    with pytest.raises(Refused, match="does not ask 1.1"):
        rounds.rate(ws, r.id, "Margaret Ellison", "1.1", "2")
    with pytest.raises(InvalidInput, match="has already passed"):
        rounds.open_round(ws, assessment.id, RATERS, closes="2020-01-01")
    with pytest.raises(InvalidInput, match="named twice"):
        rounds.open_round(ws, assessment.id, RATERS + [("margaret ellison", "")])


# --- packs and responses ----------------------------------------------------------------------


@pytest.fixture
def opened(ws, assessment, tmp_path):
    ws.answer(assessment.id, "1.1", evidence="Terms of reference of the inequalities committee")
    return rating_packs.open_round(ws, tmp_path / "trust", assessment.id, RATERS, tmp_path / "packs",
                                   domains=("1",), closes="2026-12-31")


def respond(pack_path: Path, home: Path, out: Path, answers: dict[str, str], comments: dict[str, str] | None = None,
            today: date = TODAY, now: str = "2026-11-24T10:00:00Z") -> Path:
    pack = rating_packs.open_pack(pack_path, today)
    ratings = rating_packs.response_ratings(pack, answers, comments or {})
    return rating_packs.write_response(pack, ratings, home, out, now)


def test_packs_go_out_and_responses_come_back(ws, assessment, opened, tmp_path):
    assert len(opened.packs) == 3 and all(p.exists() for p in opened.packs)
    pack = rating_packs.open_pack(opened.packs[0], TODAY)
    assert pack.doc.rater.name == "Margaret Ellison" and pack.fingerprint == opened.fingerprint
    q = pack.questions()[0]
    assert q.guidance and pack.evidence(q.id) == "Terms of reference of the inequalities committee"
    homes = [tmp_path / f"rater{i}" for i in range(3)]
    for path, home, level in zip(opened.packs, homes, ("1", "3", "3"), strict=True):
        response = respond(path, home, tmp_path / "back", {"1.1": level}, {"1.1": "seen the minutes"})
        done = rating_packs.import_response(ws, assessment.id, response)
        assert done.ratings == 1
    r = rounds.get_round(ws, opened.round.id)
    row = rounds.spread(ws, r).questions[0]
    assert row.n == 3 and row.divergent and sorted(row.counts.values()) == [1, 2]
    from selfassess.submission import keys

    assert r.raters[0].key_fingerprint == keys.key_fingerprint(keys.load_or_create(homes[0], keys.RATER_KEY_FILE))
    assert r.raters[0].key_fingerprint != opened.fingerprint  # the rater's own key, never the trust's
    assert not (homes[0] / "store").exists()  # a rater needs no store
    comments = [x.comment for x in rounds.ratings_of(ws, r.id)]
    assert comments == ["seen the minutes"] * 3


def test_a_second_response_replay_and_replace(ws, assessment, opened, tmp_path):
    home = tmp_path / "rater"
    first = respond(opened.packs[0], home, tmp_path / "a", {"1.1": "2"})
    rating_packs.import_response(ws, assessment.id, first)
    before = ws.repo.head
    with pytest.raises(Refused, match="imported before \\(a replay\\)"):
        rating_packs.import_response(ws, assessment.id, first, replace=True)
    second = respond(opened.packs[0], home, tmp_path / "b", {"1.1": "4"}, now="2026-11-25T10:00:00Z")
    with pytest.raises(Refused, match="already imported"):
        rating_packs.import_response(ws, assessment.id, second)
    assert ws.repo.head == before
    rating_packs.import_response(ws, assessment.id, second, replace=True)
    (only,) = rounds.ratings_of(ws, opened.round.id)
    assert only.level == "leading"


def test_bad_responses_are_refused_and_nothing_is_recorded(ws, assessment, opened, tmp_path):
    home = tmp_path / "rater"
    # Another round's response: a round this assessment does not have.
    other = ws.new_assessment("Southgate NHS Trust", BOARD_ID, "2025/26").assessment
    elsewhere = rating_packs.open_round(ws, tmp_path / "trust", other.id, RATERS[:1], tmp_path / "other")
    theirs = respond(elsewhere.packs[0], home, tmp_path / "o", {"1.1": "2"})
    before = ws.repo.head
    with pytest.raises(Refused, match="does not have; nothing was recorded"):
        rating_packs.import_response(ws, assessment.id, theirs)
    # Altered: one byte of the response changed.
    good = respond(opened.packs[1], home, tmp_path / "g", {"1.1": "2"})
    data = bytearray(good.read_bytes())
    data[-30] ^= 0x01
    bad = tmp_path / "altered.selfassess-response"
    bad.write_bytes(bytes(data))
    with pytest.raises(bundle.BundleError):
        rating_packs.import_response(ws, assessment.id, bad)
    # A response for another rater: a rater's token in someone else's name.
    doc = rating_packs.open_pack(opened.packs[1], TODAY)
    impostor = rating_packs.Pack(doc.doc.model_copy(update={"rater": rating_packs.schema.PackRaterDoc(
        id=opened.round.raters[0].id, name="Margaret Ellison")}), doc.framework, doc.sha256, doc.fingerprint)
    forged = rating_packs.write_response(impostor, [(doc.questions()[0].id, "leading", "")], home, tmp_path / "f",
                                         "2026-11-24T10:00:00Z")
    with pytest.raises(Refused, match="token is not the one in the pack sent to Margaret Ellison"):
        rating_packs.import_response(ws, assessment.id, forged)
    # A removed rater's response.
    rounds.remove_rater(ws, opened.round.id, "Ayesha Khan", "stood down")
    hers = respond(opened.packs[2], home, tmp_path / "h", {"1.1": "3"})
    with pytest.raises(Refused, match="was removed from this round"):
        rating_packs.import_response(ws, assessment.id, hers)
    # A level not on the scale never gets into a response.
    with pytest.raises(InvalidInput, match="not a level on the"):
        respond(opened.packs[0], home, tmp_path / "x", {"1.1": "9"})
    # Every refusal left the store as it was (the removal aside).
    assert ws.repo.head[0] == before[0] + 1
    assert rounds.ratings_of(ws, opened.round.id) == []


def test_a_pack_opened_after_its_closing_date_is_refused(opened, tmp_path):
    with pytest.raises(Refused, match="round closed on 2026-12-31"):
        rating_packs.open_pack(opened.packs[0], date(2027, 1, 1))


def test_a_response_dated_after_the_close_is_refused(ws, assessment, opened, tmp_path):
    late = respond(opened.packs[0], tmp_path / "r", tmp_path / "l", {"1.1": "2"}, now="2027-01-02T09:00:00Z")
    with pytest.raises(Refused, match="after the round closed"):
        rating_packs.import_response(ws, assessment.id, late)


def test_a_pack_is_not_a_response_nor_a_submission(opened):
    data = opened.packs[0].read_bytes()
    with pytest.raises(bundle.BundleError, match="this is a rating pack, not a rating response"):
        bundle.open_sealed(data, bundle.RATING_RESPONSE, rating_packs.RESPONSE_ALLOWED)
    with pytest.raises(bundle.BundleError, match="this is a rating pack, not a submission"):
        bundle.open_sealed(data, bundle.SUBMISSION, {})


_SAMPLES: dict[str, bytes] = {}


def _samples(tmp_path_factory) -> dict[str, bytes]:
    if not _SAMPLES:
        root = tmp_path_factory.mktemp("rounds")
        store, ws = open_workspace(root / "store")
        try:
            a = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26").assessment
            done = rating_packs.open_round(ws, root / "trust", a.id, RATERS[:1], root / "packs", domains=("1",))
            _SAMPLES["pack"] = done.packs[0].read_bytes()
            _SAMPLES["response"] = respond(done.packs[0], root / "rater", root / "back", {"1.1": "2", "1.2": "3"},
                                           {"1.1": "a comment"}).read_bytes()
        finally:
            store.close()
    return _SAMPLES


KINDS = {"pack": (bundle.RATING_PACK, rating_packs.PACK_ALLOWED),
         "response": (bundle.RATING_RESPONSE, rating_packs.RESPONSE_ALLOWED)}


@pytest.mark.parametrize("which", ["pack", "response"])
def test_every_byte_of_a_pack_or_response_header_is_covered(tmp_path_factory, which):
    data = _samples(tmp_path_factory)[which]
    kind, allowed = KINDS[which]
    bundle.open_sealed(data, kind, allowed)  # the sample itself is genuine
    header_end = data.index(b"\n", len(kind)) + 1
    for i in range(header_end):
        for flip in (0x01, 0x20, 0x80):
            changed = bytearray(data)
            changed[i] ^= flip
            with pytest.raises(bundle.BundleError):
                bundle.open_sealed(bytes(changed), kind, allowed)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["pack", "response"]), position=st.floats(min_value=0, max_value=1, exclude_max=True),
       flip=st.integers(min_value=1, max_value=255))
def test_flipping_any_byte_of_a_pack_or_response_fails(tmp_path_factory, which, position, flip):
    data = _samples(tmp_path_factory)[which]
    kind, allowed = KINDS[which]
    i = int(position * len(data))
    changed = bytearray(data)
    changed[i] ^= flip
    with pytest.raises(bundle.BundleError) as info:
        bundle.open_sealed(bytes(changed), kind, allowed)
    assert info.value.verdict in ("altered", "malformed")


def test_a_response_that_does_not_match_its_schema_is_refused(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    body = {"format": 1, "round_id": "r", "assessment_id": "a", "rater_id": "x", "token": "short", "pack_sha256": "0" * 64,
            "responded_at": "2026-11-24T10:00:00Z", "ratings": [{"question_id": "q", "level": "l", "extra": 1}]}
    data = bundle.seal(bundle.RATING_RESPONSE, {"response.json": json.dumps(body).encode()}, Ed25519PrivateKey.generate())
    with pytest.raises(SelfAssessError, match="response.json is not in the form selfassess writes"):
        rating_packs.read_response_bytes(data, "x")


# --- documents and the submission: counts, never names ----------------------------------------


def _agree_everything(ws, assessment, rationale: str) -> None:
    framework = ws.framework(assessment)
    for q in framework.questions():
        if q.ref == "1.1":
            ws.answer(assessment.id, q.id, rating="1", state="agreed", evidence="Committee minutes", rationale=rationale)
        else:
            ws.answer(assessment.id, q.id, rating="2", state="agreed", evidence="Board papers")


@pytest.mark.parametrize("anonymous", [True, False])
def test_documents_and_submission_carry_the_spread_and_never_a_name(ws, assessment, tmp_path, anonymous):
    import io
    import zipfile

    from pypdf import PdfReader

    from selfassess.reports.data import gather
    from selfassess.reports.export import render
    from selfassess.submission.submit import ALLOWED, submit

    names = [("Zephyrine Quillfeather", "Chair"), ("Bartholomew Ngata", "Chief Executive"), ("Ottoline Varga", "NED")]
    r = rounds.open_round(ws, assessment.id, names, anonymous=anonymous)
    for (name, _), level in zip(names, ("1", "3", "3"), strict=True):
        rounds.rate(ws, r.id, name, "1.1", level, comment=f"{name.split()[0]} thinks so")
    _agree_everything(ws, assessment, "Minutes show the committee has not met since April")
    data = gather(ws, assessment)
    assert data.ratings is not None and data.ratings.divergent()[0].ref == "1.1"
    pdf, _ = render(data, "pdf")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Where the board disagreed" in text and "Minutes show the committee has not met since April" in text
    assert "Board members' ratings by level" in text
    documents = {"pdf": text}
    for fmt in ("docx", "xlsx"):
        raw, _ = render(data, fmt)
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            documents[fmt] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    documents["md"] = render(data, "md")[0].decode("utf-8")
    ws.sign_off(assessment.id, [("Someone Else", "Chair")], on="2026-11-23")
    done = submit(ws, tmp_path / "trust", assessment.id, tmp_path / "sub.selfassess")
    opened = bundle.open_sealed(done.path.read_bytes(), bundle.SUBMISSION, ALLOWED)
    sub = json.loads(opened.files["submission.json"])
    q11 = ws.framework(assessment).question("1.1").id
    (carried,) = [x for x in sub["board_ratings"] if x["question_id"] == q11]
    assert carried == {"question_id": q11, "n": 3, "counts": {"emerging": 1, "established": 2}}
    documents["submission"] = opened.files["submission.json"].decode("utf-8")
    documents["board-report.pdf"] = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(opened.files["board-report.pdf"])).pages)
    for name, _ in names:
        for where, body in documents.items():
            assert name not in body and name.split()[0] not in body, (name, where)


def test_a_submission_whose_board_ratings_do_not_agree_is_refused(ws, assessment):
    from selfassess.submission import schema
    from selfassess.submission.submit import prepare

    r = rounds.open_round(ws, assessment.id, RATERS)
    for (name, _), level in zip(RATERS, ("1", "3", "3"), strict=True):
        rounds.rate(ws, r.id, name, "1.1", level)
    _agree_everything(ws, assessment, "Not met since April")
    ws.sign_off(assessment.id, [("Someone Else", "Chair")], on="2026-11-23")
    prepared = prepare(ws, assessment.id)
    framework = ws.framework(assessment)
    good = json.loads(prepared.json_files["submission.json"])
    schema.check_submission(schema.read(schema.SubmissionDoc, good, "submission.json"), framework)
    for change, message in ((lambda b: b.update(n=4), "do not add up to n"),
                            (lambda b: b["counts"].update(nine=1), "not levels of the question's scale"),
                            (lambda b: b.update(question_id="nope"), "is not a question of")):
        sub = json.loads(prepared.json_files["submission.json"])
        change(sub["board_ratings"][0])
        with pytest.raises(schema.Malformed, match=message):
            schema.check_submission(schema.read(schema.SubmissionDoc, sub, "submission.json"), framework)
    named = json.loads(prepared.json_files["submission.json"])
    named["board_ratings"][0]["rater"] = "Margaret Ellison"  # a name has no place to go
    with pytest.raises(schema.Malformed, match="Extra inputs are not permitted"):
        schema.read(schema.SubmissionDoc, named, "submission.json")


# --- the command line -------------------------------------------------------------------------


def test_the_round_from_the_command_line(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SELFASSESS_TODAY", "2026-11-23")
    res = run("new", "Northgate NHS Trust", "--framework", BOARD_ID, "--period", "2025/26")
    assert res.exit_code == 0, res
    aid = res.stdout.split()[0]
    packs = tmp_path / "packs"
    res = run("round", "open", aid, "--rater", "Margaret Ellison|Chair", "--rater", "Richard Osei|Chief Executive",
              "--rater", "Ayesha Khan|NED", "--domain", "1", "--closes", "2026-12-31", "--out", packs)
    assert res.exit_code == 0, res
    files = sorted(packs.iterdir())
    assert len(files) == 3
    back = tmp_path / "back"
    for i, (path, level) in enumerate(zip(files, ("1", "3", "3"), strict=True)):
        res = run("--home", tmp_path / f"rater{i}", "rate", path, "--answer", f"1.1={level}", "--comment",
                  "1.1=from the minutes", "--out", back)
        assert res.exit_code == 0, res
        assert "signed with your own key" in res.stdout
    bad = run("--home", tmp_path / "r", "rate", files[0], "--answer", "1.1=9", "--out", back)
    assert bad.exit_code == 1 and "not a level on the" in bad.stderr
    responses = sorted(back.iterdir())
    res = run("round", "import", aid, *responses)
    assert res.exit_code == 0, res
    again = run("round", "import", aid, responses[0])
    assert again.exit_code == 1 and "imported before" in again.stderr
    shown = json.loads(run("round", "show", aid, "--json").stdout)
    top = shown["questions"][0]
    assert {k: top[k] for k in ("ref", "n", "counts", "median", "range", "divergent")} == {
        "ref": "1.1", "n": 3, "counts": {"emerging": 1, "established": 2}, "median": "established", "range": 2,
        "divergent": True}
    assert shown["waiting_names"] == [] and len(shown["returned_names"]) == 3
    refused = run("answer", aid, "1.1", "--rating", "1", "--state", "agreed")
    assert refused.exit_code == 1 and "needs a rationale" in refused.stderr
    ok = run("answer", aid, "1.1", "--rating", "1", "--state", "agreed", "--rationale", "Not met since April")
    assert ok.exit_code == 0, ok
    text = run("round", "show", aid).stdout
    lines = text.splitlines()
    assert lines[0].startswith("Board rating round ") and " on the 2025/26 assessment (Board self-assessment:" in lines[0]
    assert "closes 31 December 2026." in text and "Domains asked: 1 " in text
    assert ("Rated (3 of 3): Margaret Ellison (Chair), Richard Osei (Chief Executive), Ayesha Khan (NED)."
            in " ".join(line.strip() for line in lines))
    assert "The board was divided on 1 of the 1 questions rated: 1.1." in text
    at = lines.index("Divided")
    assert lines[at + 1].startswith("  1.1   Has the board named")
    assert lines[at + 2].strip() == "Emerging 1 · Developing 0 · Established 2 · Leading 0 (3 rated)"
    assert lines[at + 3].strip() == "Median Established; from Emerging to Established, 2 levels apart"
    assert "Not rated by anyone yet: 1.2, " in text and "Not divided" not in text
    assert all(len(line) <= 80 for line in lines), text


def test_an_anonymous_round_shows_no_names(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SELFASSESS_TODAY", "2026-11-23")
    aid = run("new", "Northgate NHS Trust", "--framework", BOARD_ID, "--period", "2025/26").stdout.split()[0]
    res = run("round", "open", aid, "--rater", "Margaret Ellison|Chair", "--rater", "Richard Osei|CEO", "--anonymous",
              "--out", tmp_path / "p")
    assert res.exit_code == 0, res
    shown = run("round", "show", aid, "--json").stdout
    text = run("round", "show", aid).stdout
    for name in ("Margaret", "Richard"):
        assert name not in shown and name not in text
    words = " ".join(text.split())
    assert "Rated: 0 of 2 raters; 2 not yet." in words and "Anonymous: raters are not named." in words
    assert "No ratings yet." in text


def test_a_board_with_no_round_sends_a_submission_an_older_regulator_reads(ws, assessment):
    from selfassess.submission.submit import prepare

    _agree_everything(ws, assessment, "")
    ws.sign_off(assessment.id, [("Someone Else", "Chair")], on="2026-11-23")
    sub = json.loads(prepare(ws, assessment.id).json_files["submission.json"])
    assert "board_ratings" not in sub and all("rationale" not in a for a in sub["answers"])


def test_a_rationale_on_a_question_that_did_not_divide_the_board_is_still_in_the_board_report(ws, assessment):
    # 2 of 3 chose Developing and one Established: not divergent, so not in "Where the board
    # disagreed"; the board agreed Emerging, away from the median, with a reason the report must carry.
    import io

    from pypdf import PdfReader

    from selfassess.reports.data import gather
    from selfassess.reports.export import render

    rated_round(ws, assessment, levels=("2", "2", "3"), question="1.2")
    ws.answer(assessment.id, "1.2", rating="1", state="agreed", rationale="No objectives have been set with baselines yet")
    data = gather(ws, assessment)
    assert data.ratings is not None and not data.ratings.divergent()
    pdf, _ = render(data, "pdf")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "No objectives have been set with baselines yet" in text


def test_a_stakeholder_round_on_eds_asks_domain_1_once_per_service(ws, tmp_path):
    # EDS 2022 holds Domain 1 once per service ('eds.services.access:maternity'); the pack must
    # say which services, or neither the trust (writing it) nor the rater (opening it) can read it.
    a = ws.new_assessment("Northgate NHS Trust", "eds-2022", "2025/26").assessment
    for name in ("Maternity", "Emergency care"):
        ws.add_part(a.id, name)
    opened = rating_packs.open_round(ws, tmp_path / "trust", a.id, RATERS[:2], tmp_path / "packs",
                                     domains=("1.1",), kind="stakeholder")
    pack = rating_packs.open_pack(opened.packs[0], TODAY)
    assert [q.ref for q in pack.questions()] == ["1A.1", "1B.1", "1C.1", "1D.1"]
    assert pack.questions()[0].part == "Maternity"
    response = respond(opened.packs[0], tmp_path / "rater", tmp_path / "back", {"1A.1": "2"})
    assert rating_packs.import_response(ws, a.id, response).ratings == 1
    row = next(x for x in rounds.spread(ws, rounds.get_round(ws, opened.round.id)).questions if x.ref == "1A.1")
    assert row.n == 1


def test_on_eds_a_raters_number_is_the_score_as_in_the_app_never_the_place(ws):
    # EDS 2022 scores 0 Undeveloped to 3 Excelling: '0' is Undeveloped and '1' Developing, as the
    # app's digit keys and `answer --score` take them ('1' used to save Undeveloped, '0' was refused).
    a = ws.new_assessment("Northgate NHS Trust", "eds-2022", "2025/26").assessment
    r = rounds.open_round(ws, a.id, RATERS[:1], domains=("2",), kind="stakeholder")
    q = ws.framework(a).question("2A")
    scale = ws.framework(a).scale_for(q)
    assert [rounds.level_key(scale, q, d) for d in "0123"] == ["undeveloped", "developing", "achieving", "excelling"]
    with pytest.raises(InvalidInput, match="expected one of: 0 undeveloped, 1 developing"):
        rounds.level_key(scale, q, "4")
    assert rounds.rate(ws, r.id, RATERS[0][0], "2A", "0").level == "undeveloped"


def test_round_show_on_eds_numbers_levels_by_their_scores(run, tmp_path):
    aid = run("new", "Trust", "--framework", "eds-2022", "--period", "2025/26").stdout.split()[0][:8]
    assert run("round", "open", aid, "--rater", "Forum|Stakeholder", "--domain", "2", "--kind", "stakeholder",
               "--out", tmp_path / "packs").exit_code == 0
    pack = next((tmp_path / "packs").iterdir())
    res = run("rate", pack, "--answer", "2A=0", "--out", tmp_path / "back")
    assert res.exit_code == 0, res
    assert run("round", "import", aid, next((tmp_path / "back").iterdir())).exit_code == 0
    text = run("round", "show", aid).stdout
    assert "Undeveloped 1 · Developing 0 · Achieving 0 · Excelling 0 (1 rated)" in text, text
    assert "Median Undeveloped; the one rater chose Undeveloped" in text
    assert "The raters were not divided on any of the 1 questions rated." in text


def test_the_median_an_answer_is_held_to_follows_every_new_rating_in_the_same_session(ws, assessment):
    """The board's spread is kept between saves; a rating recorded since (here or in another copy) moves it."""
    r = rated_round(ws, assessment, levels=("3", "3"))
    ws.answer(assessment.id, "1.1", rating="3")  # at the median: no rationale asked
    rounds.rate(ws, r.id, RATERS[2][0], "1.1", "1")
    rounds.rate(ws, r.id, RATERS[1][0], "1.1", "1")  # now 3, 1, 1: the median is 1
    with pytest.raises(Refused, match="needs a rationale"):
        ws.answer(assessment.id, "1.1", rating="3", state="agreed")
    store, other = open_workspace(ws.repo.folder)  # another copy changes a rating; this one sees it
    try:
        rounds.rate(other, r.id, RATERS[1][0], "1.1", "3")
    finally:
        store.close()
    assert ws.answer(assessment.id, "1.1", rating="3", state="agreed").state == "agreed"  # 3, 3, 1: median 3
