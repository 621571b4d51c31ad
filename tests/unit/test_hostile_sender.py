"""A hostile (or buggy) sender whose key IS registered: every field of a genuinely signed submission
changed to the wrong type, a number as text, a huge number, a very long string, removed, or joined by
a field selfassess never writes. Each is refused with a message naming the field, nothing is stored,
and the regulator's store still verifies and compares afterwards. (test_intake.py holds the hand-picked
cases and the random ones; this walks every field of a real submission.)"""

from __future__ import annotations

import copy
import json
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from selfassess.core.framework import content_hash
from selfassess.submission import bundle, keys, schema
from tests.unit.test_intake import _paths, _set, genuine, resign, still_works
from tests.unit.test_submission import Party, make_bundle


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    trust, regulator = Party(root, "trust", "Priya Raman"), Party(root, "regulator", "Dr Okafor")
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    _, files = genuine(trust, root)
    yield trust, regulator, files, root
    trust.close()
    regulator.close()


def _get(doc: Any, path: str) -> Any:
    for p in path.split("."):
        doc = doc[int(p)] if isinstance(doc, list) else doc[p]
    return doc


def _models(tp: Any) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (through Optional, list, dict, Annotated)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _models(arg)]


def _required(path: str) -> bool:
    """Whether the schema requires the field at path (one with no default must be there)."""
    *parents, last = path.split(".")
    model: type[BaseModel] = schema.SubmissionDoc
    for p in parents:
        if p.isdigit():
            continue  # a list's item: its model was taken from the list's annotation
        model = _models(model.model_fields[p].annotation)[0]
    return model.model_fields[last].is_required()


def _wrong(value: Any) -> list[tuple[str, Any]]:
    """Values of the wrong kind for one that is right."""
    if isinstance(value, bool):
        return [("text for true/false", "true"), ("a number for true/false", 1)]
    if isinstance(value, int):
        return [("a number as text", str(value)), ("a huge number", 10**30), ("a fraction", value + 0.5)]
    if isinstance(value, float):
        return [("a number as text", str(value)), ("a huge number", 1e300)]
    if isinstance(value, str):
        return [("a number for text", 12345), ("a list for text", [value]), ("a very long string", "x" * 100_001)]
    if value is None:
        return [("a number for nothing", 12345)]
    if isinstance(value, list):
        return [("an object for a list", {"0": value[0] if value else 1})]
    return [("a list for an object", [value])]


def _refused(regulator: Party, path: Path, field: str, why: str) -> None:
    head = regulator.store.head
    result = regulator.review.check(path)
    assert result.verdict == bundle.MALFORMED, (field, why, result)
    assert "Traceback" not in result.message and len(result.message) < 2_000
    (imported,) = regulator.review.import_bundles([path])
    assert imported.verdict == bundle.MALFORMED and regulator.store.head == head, (field, why)


def test_every_field_of_the_wrong_kind_is_refused_and_named(sample):
    trust, regulator, files, root = sample
    base = json.loads(files["submission.json"])
    tried = 0
    for field in _paths(base):
        for why, value in _wrong(_get(base, field)):
            sub = copy.deepcopy(base)
            _set(sub, field, value)
            path = resign(trust, files, sub, root / "wrong.selfassess")
            _refused(regulator, path, field, why)
            message = regulator.review.check(path).message
            # Named where it is: the field itself, or (a list for a list item's text) the field inside it.
            assert f"{field}:" in message or f"{field}." in message, (field, why, message)
            tried += 1
    assert tried > 300  # every field of a real submission, several ways
    assert regulator.review.submissions() == [] and regulator.store.verify().ok
    still_works(regulator)


def test_every_field_missing_is_refused_and_named_unless_it_may_be_left_out(sample):
    trust, regulator, files, root = sample
    base = json.loads(files["submission.json"])
    optional = []
    for field in _paths(base):
        parent = _get(base, field.rsplit(".", 1)[0]) if "." in field else base
        if not isinstance(parent, dict):
            continue  # a list item: removing one is another list, not a missing field
        sub = copy.deepcopy(base)
        *up, last = field.split(".")
        del (_get(sub, ".".join(up)) if up else sub)[last]
        path = resign(trust, files, sub, root / "missing.selfassess")
        if not _required(field):
            optional.append(field)
            result = regulator.review.check(path)  # older files leave these out: any verdict but a traceback
            assert result.verdict in (bundle.GENUINE, bundle.MALFORMED), (field, result)
            continue
        _refused(regulator, path, field, "missing")
        message = regulator.review.check(path).message
        assert f"{field}: Field required" in message, (field, message)
    assert "created_by" not in optional and "assessment.signoff.date" not in optional
    assert regulator.review.submissions() == [] and regulator.store.verify().ok
    still_works(regulator)


def test_a_field_selfassess_never_writes_is_refused_at_every_level(sample):
    trust, regulator, files, root = sample
    base = json.loads(files["submission.json"])
    objects = [""] + [p for p in _paths(base) if isinstance(_get(base, p), dict)]
    for where in objects:
        sub = copy.deepcopy(base)
        (_get(sub, where) if where else sub)["colour"] = "blue"
        path = resign(trust, files, sub, root / "extra.selfassess")
        _refused(regulator, path, where or "the top", "extra field")
        message = regulator.review.check(path).message
        named = f"{where + '.' if where else ''}colour"
        # A record: not a field it has; a map (assessment.parts, targets): not a key or a value it takes.
        assert f"{named}: Extra inputs are not permitted" in message or (
            where.endswith(("parts", "targets")) and f"{named}" in message), (where, message)
    assert len(objects) > 10 and regulator.store.verify().ok


@pytest.mark.parametrize("number", [b"Infinity", b"-Infinity", b"NaN", b"1e400", b"-1e400"])
def test_infinity_and_nan_anywhere_a_number_goes_are_refused(sample, number):
    trust, regulator, files, root = sample
    raw = files["submission.json"]
    for target in (b'"score_percent": 50', b'"sequence": 1', b'"seq": '):
        assert target in raw
        start = raw.index(target) + len(target.split(b":")[0]) + 2
        end = start + len(raw[start:].split(b",")[0].split(b"}")[0])
        bad = raw[:start] + number + raw[end:]
        path = resign(trust, files, bad, root / "inf.selfassess", stored=True)
        _refused(regulator, path, target.decode(), number.decode())
        assert "submission.json" in regulator.review.check(path).message
    assert regulator.store.verify().ok


def test_a_framework_with_numbers_beyond_any_score_is_refused_not_a_crash(sample):
    trust, regulator, files, root = sample
    for score in (10**400, -(10**40), 1e300):
        frame = json.loads(files["framework.json"])
        frame["data"]["id"] = "unpublished"  # not compared with a published copy: every check must hold by itself
        frame["data"]["scales"][0]["levels"][0]["score"] = score
        frame["hash"] = content_hash(frame["data"])
        sub = json.loads(files["submission.json"])
        sub["assessment"].update(framework_id="unpublished", framework_hash=frame["hash"])
        changed = dict(files, **{"framework.json": json.dumps(frame).encode()})
        path = resign(trust, changed, sub, root / "score.selfassess")
        _refused(regulator, path, "framework.json", str(score)[:20])
        message = regulator.review.check(path).message
        assert "framework.json is not a valid framework" in message and "a number too large" in message, message
    assert regulator.store.verify().ok


def test_a_framework_copy_whose_hash_does_not_match_is_refused(sample):
    trust, regulator, files, root = sample
    frame = json.loads(files["framework.json"])
    frame["data"]["title"] = "Mini, quietly changed"  # the hash left as it was
    changed = dict(files, **{"framework.json": json.dumps(frame).encode()})
    path = resign(trust, changed, json.loads(files["submission.json"]), root / "hash.selfassess")
    _refused(regulator, path, "framework.json", "hash")
    assert "framework.json does not match its own hash" in regulator.review.check(path).message


# --- ids that collide with what another trust already has here ------------------------------


@pytest.fixture
def two_trusts(tmp_path):
    north, south = Party(tmp_path, "north", "Priya Raman"), Party(tmp_path, "south", "Sam Lee")
    regulator = Party(tmp_path, "regulator", "Dr Okafor")
    keys.register_key(regulator.ws, north.fingerprint(), "Northgate", "RNG")
    keys.register_key(regulator.ws, south.fingerprint(), "Southgate", "SGT")
    yield north, south, regulator, tmp_path
    for p in (north, south, regulator):
        p.close()


def _south_copying(north_doc: dict[str, Any], south_doc: dict[str, Any]) -> dict[str, Any]:
    """Southgate's submission, with every id of Northgate's: organisation, assessment, answers, actions."""
    sub = copy.deepcopy(south_doc)
    sub["organisation"]["id"] = north_doc["organisation"]["id"]
    sub["assessment"]["id"] = north_doc["assessment"]["id"]
    sub["assessment"]["organisation_id"] = north_doc["organisation"]["id"]
    for mine, theirs in zip(sub["answers"], north_doc["answers"], strict=True):
        mine.update(id=theirs["id"], assessment_id=north_doc["assessment"]["id"])
    for mine, theirs in zip(sub["actions"], north_doc["actions"], strict=True):
        mine.update(id=theirs["id"], assessment_id=north_doc["assessment"]["id"])
    return sub


def _south(south: Party, tmp_path: Path) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Southgate's own genuine submission (the shared helper names every trust Northgate: renamed)."""
    folder = tmp_path / "south-out"
    folder.mkdir(exist_ok=True)
    opened = bundle.open_sealed(make_bundle(south, folder).read_bytes(), bundle.SUBMISSION, schema_allowed())
    doc = json.loads(opened.files["submission.json"])
    doc["organisation"].update(name="Southgate NHS Trust", ods_code="SGT")
    return dict(opened.files), doc


def test_ids_colliding_with_another_trusts_records_keep_each_trust_apart(two_trusts):
    north, south, regulator, tmp_path = two_trusts
    north_path = make_bundle(north, tmp_path)
    (first,) = regulator.review.import_bundles([north_path])
    assert first.verdict == bundle.GENUINE and first.submission is not None
    north_doc = json.loads(bundle.open_sealed(north_path.read_bytes(), bundle.SUBMISSION, schema_allowed()).files["submission.json"])
    files, south_doc = _south(south, tmp_path)
    path = resign(south, files, _south_copying(north_doc, south_doc), tmp_path / "copycat.selfassess")
    result = regulator.review.import_bundles([path])[0]
    assert result.verdict == bundle.GENUINE, result  # ids are the trust's own: they only have to agree inside one file
    subs = {s.organisation.ods_code: s for s in regulator.review.submissions()}
    assert set(subs) == {"RNG", "SGT"} and subs["RNG"].key_fingerprint != subs["SGT"].key_fingerprint
    assert subs["RNG"].assessment.id == subs["SGT"].assessment.id  # the collision is real
    # Marking one trust's action marks that one only, though both actions have the same id.
    action_id = north_doc["actions"][0]["id"]
    regulator.review.mark(subs["SGT"].id, "action", action_id, "queried", "No owner")
    assert list(regulator.review.marks()) == [subs["SGT"].id]
    rows = {r.ods_code: r for r in regulator.review.compare().rows}
    assert rows["SGT"].queried == 1 and rows["RNG"].queried == 0
    assert [h.organisation.ods_code for h in regulator.review.history("RNG")] == ["RNG"]
    assert regulator.store.verify().ok
    still_works(regulator)


def test_a_chain_that_points_at_another_trusts_submission_is_refused(two_trusts):
    north, south, regulator, tmp_path = two_trusts
    (first,) = regulator.review.import_bundles([make_bundle(north, tmp_path)])
    assert first.submission is not None
    files, sub = _south(south, tmp_path)
    sub.update(sequence=2, previous_submission=first.submission.id)  # "my last one was Northgate's"
    path = resign(south, files, sub, tmp_path / "borrowed-chain.selfassess")
    head = regulator.store.head
    result = regulator.review.check(path)
    assert result.verdict == bundle.BROKEN_CHAIN, result
    assert "Northgate NHS Trust" in result.message and "another trust" in result.message
    assert regulator.review.import_bundles([path])[0].verdict == bundle.BROKEN_CHAIN and regulator.store.head == head
    assert regulator.store.verify().ok
    still_works(regulator)


def schema_allowed() -> dict[str, int]:
    from selfassess.submission.submit import ALLOWED

    return ALLOWED

def test_the_same_trust_with_a_new_key_continues_its_own_chain(two_trusts):
    north, _, regulator, tmp_path = two_trusts
    first_path = make_bundle(north, tmp_path)
    assert regulator.review.import_bundles([first_path])[0].verdict == bundle.GENUINE
    keys.revoke_key(regulator.ws, north.fingerprint(), "Laptop stolen")
    keys.key_path(north.home).unlink()  # the trust makes a new key; its next submission names its last one
    second = make_bundle(north, tmp_path, "2026/27", from_handle=north.ws.assessments()[0].id)
    keys.register_key(regulator.ws, north.fingerprint(), "Northgate (new key)", "RNG")
    (result,) = regulator.review.import_bundles([second])
    assert result.verdict == bundle.GENUINE, result
    assert [s.period for s in regulator.review.history("RNG")] == ["2025/26", "2026/27"]


# --- a rater's response, genuinely signed with the rater's key, changed anyhow ---------------


@pytest.fixture(scope="module")
def response_sample(tmp_path_factory):
    from selfassess.submission import rating_packs
    from tests.helpers import BOARD_ID, open_workspace
    from tests.unit.test_rounds import RATERS, respond

    root = tmp_path_factory.mktemp("responses")
    store, ws = open_workspace(root / "store")
    a = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26", ods_code="RNG").assessment
    opened = rating_packs.open_round(ws, root / "trust", a.id, RATERS, root / "packs", domains=("1",), closes="2026-12-31")
    path = respond(opened.packs[0], root / "rater", root / "back", {"1.1": "2", "1.2": "3"}, {"1.1": "minutes"})
    body = json.loads(bundle.open_sealed(path.read_bytes(), bundle.RATING_RESPONSE, rating_packs.RESPONSE_ALLOWED)
                      .files["response.json"])
    yield ws, store, a, body, keys.load_or_create(root / "rater", keys.RATER_KEY_FILE), root
    store.close()


def test_any_change_to_a_signed_response_is_taken_whole_or_refused_with_a_reason(response_sample):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from selfassess.core import rounds
    from selfassess.core.errors import SelfAssessError
    from selfassess.submission import rating_packs
    from tests.unit.test_intake import json_values

    ws, store, a, body, rater_key, root = response_sample
    outcomes = {"taken": 0, "refused": 0}

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def check(data):
        doc = copy.deepcopy(body)
        for _ in range(data.draw(st.integers(1, 2))):
            paths = _paths(doc) if isinstance(doc, dict) else []
            if not paths:
                break
            _set(doc, data.draw(st.sampled_from(paths)), data.draw(json_values | st.sampled_from(
                ["leading", "1.3", "4", "", "x" * 6000, 10**30, "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"])))
        path = root / "changed.selfassess-response"
        path.write_bytes(bundle.seal(bundle.RATING_RESPONSE, {"response.json": json.dumps(doc).encode()}, rater_key))
        head = ws.repo.head
        try:
            done = rating_packs.import_response(ws, a.id, path, replace=True)
        except SelfAssessError as exc:  # refused: a reason, and nothing recorded
            assert str(exc) and ws.repo.head == head
            outcomes["refused"] += 1
            return
        outcomes["taken"] += 1
        # Taken: what it recorded is only what the round asked, on the question's own scale.
        asked = {q.id for q in rounds.asked(ws.framework(a), done.round)}
        for r in rounds.ratings_of(ws, done.round.id):
            assert r.question_id in asked and r.level in ws.framework(a).scale_for(ws.framework(a).question(r.question_id)).level_keys()

    check()
    assert outcomes["refused"] and store.verify().ok


def test_another_key_signing_a_trusts_exact_content_first_is_refused_and_the_real_one_comes_in(tmp_path):
    north, other = Party(tmp_path, "north", "Priya Raman"), Party(tmp_path, "other", "Mallory")
    regulator = Party(tmp_path, "regulator", "Dr Okafor")
    try:
        keys.register_key(regulator.ws, north.fingerprint(), "Northgate", "RNG")
        keys.register_key(regulator.ws, other.fingerprint(), "Someone")  # registered with no ODS code to hold it to
        real = make_bundle(north, tmp_path)
        opened = bundle.open_sealed(real.read_bytes(), bundle.SUBMISSION, schema_allowed())
        copy_ = tmp_path / "copy.selfassess"
        copy_.write_bytes(bundle.seal(bundle.SUBMISSION, dict(opened.files), keys.load_or_create(other.home)))
        # Someone's key, registered with no ODS code, cannot speak for RNG, which Northgate's key holds.
        (refused,) = regulator.review.import_bundles([copy_])
        assert refused.verdict == bundle.MALFORMED and refused.submission is None
        assert "RNG is the trust of another key here, Northgate's" in refused.message and north.fingerprint() in refused.message
        assert regulator.review.import_bundles([real])[0].verdict == bundle.GENUINE
        assert regulator.store.verify().ok
    finally:
        for p in (north, other, regulator):
            p.close()
