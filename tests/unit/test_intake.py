"""What comes in: a genuinely signed bundle or feedback file that is malformed is refused with a
reason, and nothing in the regulator's store changes; what is already stored never breaks the review."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfassess.core.audit import Change
from selfassess.core.errors import InvalidInput
from selfassess.submission import bundle, keys, review, schema
from selfassess.submission.submit import import_feedback
from tests.unit.test_submission import Party, make_bundle

_GENUINE: dict[str, Any] = {}


@pytest.fixture
def parties(tmp_path):
    trust, regulator = Party(tmp_path, "trust", "Priya Raman"), Party(tmp_path, "regulator", "Dr Okafor")
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    yield trust, regulator
    trust.close()
    regulator.close()


def genuine(trust: Party, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    path = make_bundle(trust, tmp_path)
    opened = bundle.open_sealed(path.read_bytes(), bundle.SUBMISSION, review.ALLOWED)
    return path, dict(opened.files)


def resign(trust: Party, files: dict[str, bytes], sub: Any, out: Path, *, stored: bool = False) -> Path:
    """The trust's own key signs whatever it is given: a buggy export, or a hostile one."""
    files = dict(files, **{"submission.json": sub if isinstance(sub, bytes) else json.dumps(sub).encode()})
    key = keys.load_or_create(trust.home)
    if not stored:
        out.write_bytes(bundle.seal(bundle.SUBMISSION, files, key))
        return out
    import base64
    import hashlib

    manifest = bundle._canonical({"files": {n: hashlib.sha256(c).hexdigest() for n, c in sorted(files.items())}})
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as z:  # stored: no compression ratio to give it away
        for name, content in [("manifest.json", manifest), *sorted(files.items())]:
            z.writestr(name, content)
    payload = raw.getvalue()
    public = keys.raw_public(key.public_key())
    header = {"format": 1, "payload_sha256": hashlib.sha256(payload).hexdigest(), "payload_size": len(payload),
              "public_key": base64.b64encode(public).decode(), "key_fingerprint": keys.fingerprint(public)}
    header["signature"] = base64.b64encode(key.sign(bundle.SUBMISSION + bundle._canonical(header))).decode()
    out.write_bytes(bundle.SUBMISSION + bundle._canonical(header) + b"\n" + payload)
    return out


def still_works(regulator: Party) -> None:
    """The regulator's review opens whatever was offered to it."""
    r = regulator.review
    r.submissions()
    r.compare()
    for key in review.SORT_KEYS:
        r.compare(sort=key)
    for s in r.submissions():
        r.history(s.organisation.ods_code or s.organisation.name)
    assert regulator.store.verify().ok  # and its audit trail still holds (audit verify)


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = doc
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


MUTATIONS = [
    ("organisation.name", 12345, "organisation.name"),
    ("period", {"year": 2025}, "period"),
    ("answers.0.rating", "stellar", "not on the scale"),
    ("answers.0.question_id", ["q1"], "answers.0.question_id"),
    ("answers.0.question_id", "q-nope", "is not a question of"),
    ("actions.0.status", "bogus", "actions.0.status"),
    ("actions.0.title", ["Agree", "objectives"], "actions.0.title"),
    ("actions.0.question_ids", ["q9"], "is not a question of"),
    ("sequence", True, "sequence"),
    ("sequence", 10**30, "sequence"),
    ("sequence", 0, "sequence"),
    ("assessment.status", "in_progress", "was not signed off"),
    ("assessment.signoff", None, "was not signed off"),
    ("assessment.framework_hash", "0" * 64, "not the one the assessment was answered against"),
    ("answers.1.assessment_id", "someone-else", "belongs to another assessment"),
    ("actions.0.current_due", "31/03/2026", "actions.0.current_due"),
    ("organisation.ods_code", "../../x", "organisation.ods_code"),
    ("answers.0.evidence", "x" * 100_001, "answers.0.evidence"),
    ("answers.0.notes", "nul\x00here", "NUL"),
    ("previous_submission", "not-a-hash", "previous_submission"),
    ("figures.score_percent", 99, "figures.score_percent says 99"),
    ("figures.domains.0.answered", 0, "do not match the answers"),
    ("figures.assurance.evidenced", 40, "figures.assurance says"),
    ("figures.completeness_percent", 101, "figures.completeness_percent"),
    ("figures.actions.open", 7, "figures.actions says"),
    ("actions", [], "figures.actions says"),
    ("figures.level", "Leading", "figures.level says"),
    ("figures.change_points", 44, "figures.change_points says 44"),
    ("figures", None, "figures"),
]


@pytest.mark.parametrize(("path", "value", "expect"), MUTATIONS, ids=[f"{m[0]}={str(m[1])[:12]}" for m in MUTATIONS])
def test_a_genuinely_signed_but_malformed_submission_is_refused_and_changes_nothing(parties, tmp_path, path, value, expect):
    trust, regulator = parties
    _, files = genuine(trust, tmp_path)
    sub = json.loads(files["submission.json"])
    _set(sub, path, value)
    bad = resign(trust, files, sub, tmp_path / "bad.selfassess")
    head = regulator.store.head
    result = regulator.review.check(bad)
    assert result.verdict == "malformed", result
    assert expect in result.message
    (imported,) = regulator.review.import_bundles([bad])
    assert imported.verdict == "malformed"
    assert regulator.store.head == head  # nothing recorded, nothing kept
    assert not (regulator.store.folder / "submissions").exists()
    still_works(regulator)


def test_after_a_refused_huge_sequence_the_real_next_submission_is_not_a_replay(parties, tmp_path):
    trust, regulator = parties
    path, files = genuine(trust, tmp_path)
    sub = json.loads(files["submission.json"])
    sub["sequence"] = 10**30
    bad = resign(trust, files, sub, tmp_path / "huge.selfassess")
    assert regulator.review.import_bundles([bad])[0].verdict == "malformed"
    assert regulator.review.import_bundles([path])[0].verdict == "genuine"


@pytest.mark.parametrize("case", ["deep-list", "deep-object", "duplicate-key", "nan", "long-int", "not-utf8", "top-level-list"])
def test_hostile_json_is_refused_by_verify(parties, tmp_path, case):
    trust, regulator = parties
    _, files = genuine(trust, tmp_path)
    raw = {
        "deep-list": b"[" * 100_000 + b"]" * 100_000,
        "deep-object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "duplicate-key": files["submission.json"].replace(b'{', b'{"sequence": 1, ', 1),
        "nan": files["submission.json"].replace(b'"sequence": 1', b'"sequence": NaN', 1),
        "long-int": files["submission.json"].replace(b'"sequence": 1', b'"sequence": ' + b"9" * 5000, 1),
        "not-utf8": b'{"format": 1, "x": "\xff\xfe"}',
        "top-level-list": b"[1, 2, 3]",
    }[case]
    if case in ("duplicate-key", "nan", "long-int"):
        assert raw != files["submission.json"]
    bad = resign(trust, files, raw, tmp_path / f"{case}.selfassess", stored=True)
    result = regulator.review.check(bad)
    assert result.verdict == "malformed", result
    assert "submission.json" in result.message


def test_the_framework_copy_is_checked_whatever_hash_it_claims(parties, tmp_path):
    trust, regulator = parties
    _, files = genuine(trust, tmp_path)
    frame = json.loads(files["framework.json"])
    frame["data"]["domains"][0]["questions"][0]["text"] = ["not", "text"]  # broken, and re-hashed by the sender
    from selfassess.core.framework import content_hash

    frame["hash"] = content_hash(frame["data"])
    sub = json.loads(files["submission.json"])
    sub["assessment"]["framework_hash"] = frame["hash"]
    files = dict(files, **{"framework.json": json.dumps(frame).encode()})
    result = regulator.review.check(resign(trust, files, sub, tmp_path / "fw.selfassess"))
    assert result.verdict == "malformed" and "framework.json is not a valid framework" in result.message


def _feedback(regulator: Party, trust: Party, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = make_bundle(trust, tmp_path)
    regulator.review.import_bundles([path])
    sub = regulator.review.submissions()[0]
    regulator.review.mark(sub.id, "domain", "1", "accepted")
    out, _, _ = regulator.review.feedback_file(sub.id, tmp_path)
    keys.register_key(trust.ws, regulator.fingerprint(), "Regional regulator")
    opened = bundle.open_sealed(out.read_bytes(), bundle.FEEDBACK, {"feedback.json": 1 << 22})
    return out, json.loads(opened.files["feedback.json"])


@pytest.mark.parametrize(("change", "expect"), [
    (lambda b: b["items"][0].update(target_id=["d1"]), "items.0.target_id"),
    (lambda b: b["items"][0].update(verdict="maybe"), "items.0.verdict"),
    (lambda b: b.update(items="all good"), "items"),
    (lambda b: b.update(reviewer=12345), "reviewer"),
    (lambda b: b.update(submission={"id": 1}), "submission"),
])
def test_genuinely_signed_but_malformed_feedback_is_refused(parties, tmp_path, change, expect):
    trust, regulator = parties
    _, body = _feedback(regulator, trust, tmp_path)
    change(body)
    bad = tmp_path / "bad.selfassess-feedback"
    bad.write_bytes(bundle.seal(bundle.FEEDBACK, {"feedback.json": json.dumps(body).encode()}, keys.load_or_create(regulator.home)))
    head = trust.store.head
    with pytest.raises(bundle.BundleError) as info:
        import_feedback(trust.ws, bad)
    assert info.value.verdict == "malformed" and expect in str(info.value)
    assert trust.store.head == head


def test_deeply_nested_feedback_is_refused(parties, tmp_path):
    trust, regulator = parties
    _feedback(regulator, trust, tmp_path)
    deep = b"[" * 100_000 + b"]" * 100_000
    raw = io.BytesIO()
    import base64
    import hashlib

    manifest = bundle._canonical({"files": {"feedback.json": hashlib.sha256(deep).hexdigest()}})
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as z:
        z.writestr("manifest.json", manifest)
        z.writestr("feedback.json", deep)
    payload = raw.getvalue()
    key = keys.load_or_create(regulator.home)
    public = keys.raw_public(key.public_key())
    header = {"format": 1, "payload_sha256": hashlib.sha256(payload).hexdigest(), "payload_size": len(payload),
              "public_key": base64.b64encode(public).decode(), "key_fingerprint": keys.fingerprint(public)}
    header["signature"] = base64.b64encode(key.sign(bundle.FEEDBACK + bundle._canonical(header))).decode()
    bad = tmp_path / "deep.selfassess-feedback"
    bad.write_bytes(bundle.FEEDBACK + bundle._canonical(header) + b"\n" + payload)
    with pytest.raises(bundle.BundleError, match="nests deeper"):
        import_feedback(trust.ws, bad)


# --- what is already in a regulator's store --------------------------------------------------


def plant_legacy(regulator: Party, trust: Party, tmp_path: Path) -> str:
    """A record as an older selfassess imported it, before content was checked: name 12345."""
    path = make_bundle(trust, tmp_path)
    (good,) = regulator.review.import_bundles([path])
    assert good.submission is not None
    rec = good.submission.to_record()
    rec.pop("checked")
    rec["id"] = "f" * 64
    rec["organisation"] = dict(rec["organisation"], name=12345)
    rec["period"] = {"year": 2025}
    rec["sequence"] = 10**30
    regulator.ws.commit("review.import", "an old import", [Change("submissions", rec["id"], None, rec)])
    return rec["id"]


def test_a_malformed_record_already_imported_is_left_out_named_and_removable(parties, tmp_path, run, home):
    trust, regulator = parties
    bad_id = plant_legacy(regulator, trust, tmp_path)
    still_works(regulator)
    assert [u.id for u in regulator.review.unreadable()] == [bad_id]
    assert len(regulator.review.submissions()) == 1
    done = regulator.review.remove(bad_id[:8], "Imported by an old version; content malformed")
    assert done.submission_id == bad_id
    assert regulator.review.unreadable() == []
    event = regulator.store.verify()
    assert event.ok
    removed = regulator.store.get("removed_submissions", bad_id)
    assert removed and removed["reason"] == "Imported by an old version; content malformed"
    # The trust's next real submission is judged against the readable records only.
    with pytest.raises(InvalidInput, match="the reason is empty, expected some text"):
        regulator.review.remove(regulator.review.submissions()[0].id[:8], "  ")


def test_the_cli_keeps_working_with_a_malformed_record_and_removes_it(run, home, tmp_path):
    from tests.helpers import open_workspace

    trust = Party(tmp_path, "trust", "Priya")
    store, ws = open_workspace(home / "store", catalogue=trust.ws.catalogue, actor="Dr Okafor")
    regulator = Party.__new__(Party)
    regulator.home, regulator.store, regulator.ws = home, store, ws
    keys.register_key(ws, trust.fingerprint(), "Northgate", "RNG")
    bad_id = plant_legacy(regulator, trust, tmp_path)
    store.close()
    trust.close()
    for args in (["review", "list"], ["review", "compare"], ["review", "history", "RNG"], ["review", "list", "--json"]):
        res = run(*args)
        assert res.exit_code == 0, res
        if args[-1] != "RNG":
            assert f"review remove {bad_id[:8]}" in res.stderr
    res = run("review", "remove", bad_id[:8], "--reason", "malformed, imported by an old version")
    assert res.exit_code == 0 and "bundle is kept" in res.stdout, res
    res = run("review", "list")
    assert res.exit_code == 0 and "warning" not in res.stderr
    log = run("audit", "log")
    assert "review.remove" in log.stdout and "malformed, imported by an old version" in log.stdout


async def test_the_regulators_app_opens_with_a_malformed_record(tmp_path, monkeypatch):
    from textual.widgets import DataTable, TextArea

    from selfassess.core.clock import Clock
    from selfassess.session import load_frameworks, open_session
    from selfassess.ui.app import make_app
    from selfassess.ui.screens.review import ReviewScreen
    from tests.helpers import TODAY

    reg = tmp_path / "reg"
    monkeypatch.setenv("SELFASSESS_HOME", str(reg))
    trust = Party(tmp_path, "trust", "Priya")
    s = open_session(reg, load_frameworks(reg), "Dr Okafor", clock=Clock(TODAY))
    keys.register_key(s.workspace, trust.fingerprint(), "Northgate", "RNG")
    regulator = Party.__new__(Party)
    regulator.home, regulator.store, regulator.ws = reg, s.store, s.workspace
    plant_legacy(regulator, trust, tmp_path)
    s.close()
    trust.close()
    app = make_app(reg, actor="Dr Okafor", clock=Clock(TODAY), blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert "1 unreadable, listed last" in str(screen.query_one("#review-title").render())
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        table.move_cursor(row=1)
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one(TextArea).insert("Imported by an old version; malformed")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert table.row_count == 1 and "unreadable" not in str(screen.query_one("#review-title").render())
    s = open_session(reg, load_frameworks(reg), "Dr Okafor", clock=Clock(TODAY))
    try:
        assert review.Review(s.workspace, reg).unreadable() == []
        assert s.store.get("removed_submissions", "f" * 64)["reason"] == "Imported by an old version; malformed"
    finally:
        s.close()


# --- anything at all, validly signed ------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _paths(doc: Any, prefix: str = "") -> list[str]:
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if not k or "." in k:  # a key drawn by an earlier mutation: a dotted path cannot name it
                continue
            out.append(prefix + k)
            out += _paths(v, prefix + k + ".")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append(prefix + str(i))
            out += _paths(v, prefix + str(i) + ".")
    return out


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("intake")
    trust, regulator = Party(root, "trust", "Priya Raman"), Party(root, "regulator", "Dr Okafor")
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    _, files = genuine(trust, root)
    yield trust, regulator, files, root
    trust.close()
    regulator.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), whole=st.booleans())
def test_any_validly_signed_content_gets_a_verdict_and_the_review_still_opens(sample, data, whole):
    trust, regulator, files, root = sample
    base = json.loads(files["submission.json"])
    if whole:
        sub: Any = data.draw(json_values)
    else:
        sub = copy.deepcopy(base)
        for _ in range(data.draw(st.integers(1, 3))):
            paths = _paths(sub) if isinstance(sub, dict) else []
            if not paths:
                break
            _set(sub, data.draw(st.sampled_from(paths)), data.draw(json_values))
    bad = resign(trust, files, sub, root / "any.selfassess")
    result = regulator.review.check(bad)
    assert result.verdict in {bundle.MALFORMED, bundle.GENUINE, bundle.DUPLICATE, bundle.REPLAYED,
                              bundle.BROKEN_CHAIN}, result
    assert result.message
    (imported,) = regulator.review.import_bundles([bad])
    if imported.verdict == bundle.GENUINE:  # a harmless change (a note's text, say): it is well-formed
        assert imported.submission is not None
        schema.read(schema.StoredSubmission, imported.submission.to_record(), "stored")
    still_works(regulator)


def test_a_framework_changed_under_a_published_name_is_refused(parties, tmp_path):
    trust, regulator = parties
    _, files = genuine(trust, tmp_path)
    frame = json.loads(files["framework.json"])
    frame["data"]["scales"][0]["levels"][0]["score"], frame["data"]["scales"][0]["levels"][1]["score"] = 2, 1  # inverted
    from selfassess.core.framework import content_hash

    frame["hash"] = content_hash(frame["data"])
    sub = json.loads(files["submission.json"])
    sub["assessment"]["framework_hash"] = frame["hash"]
    fwk = schema.framework_copy(json.dumps(frame).encode())
    from tests.unit.test_national import refigured

    sub["figures"] = refigured(sub, fwk)  # a careful forger makes the figures agree too
    files = dict(files, **{"framework.json": json.dumps(frame).encode()})
    result = regulator.review.check(resign(trust, files, sub, tmp_path / "inverted.selfassess"))
    assert result.verdict == "malformed" and "differs from the published mini@1.0" in result.message


def test_the_submission_of_a_year_already_carried_forward_agrees_with_its_figures(parties, tmp_path):
    """Actions carried into the next year are sent (and counted) there, never twice."""
    from selfassess.submission.submit import submit
    from tests.unit.test_submission import signed_off

    trust, regulator = parties
    last = signed_off(trust)
    trust.ws.new_assessment("", None, "2026/27", from_handle=last.id)  # carries the open action forward
    path = submit(trust.ws, trust.home, last.id, tmp_path / "late.selfassess").path
    (result,) = regulator.review.import_bundles([path])
    assert result.verdict == "genuine", result
    row = regulator.review.compare().rows[0]
    sent = json.loads(bundle.open_sealed(path.read_bytes(), bundle.SUBMISSION, review.ALLOWED).files["submission.json"])
    assert row.open_actions == sent["figures"]["actions"]["open"] == 0
    assert [a["id"] for a in sent["actions"]] == sent["carried_forward"]  # sent for the record, counted next year


def test_submit_never_replaces_an_earlier_submission_and_writes_owner_only(parties, tmp_path, monkeypatch):
    from selfassess.core.errors import Refused
    from selfassess.submission.submit import submit
    from tests.unit.test_submission import signed_off

    trust, _ = parties
    monkeypatch.setattr("os.umask", lambda *_: 0)
    a = signed_off(trust)
    out = tmp_path / "outbox" / "RNG.selfassess"
    first = submit(trust.ws, trust.home, a.id, out)
    assert first.path == out and (out.stat().st_mode & 0o777) == 0o600
    assert (out.parent.stat().st_mode & 0o777) == 0o700
    before = out.read_bytes()
    with pytest.raises(Refused, match="already exists; nothing was submitted"):
        submit(trust.ws, trust.home, a.id, out)
    assert out.read_bytes() == before
