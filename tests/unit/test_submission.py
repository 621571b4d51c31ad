"""Sign-off, signed submissions, verification, the regulator's review and feedback."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfassess.core.catalogue import Catalogue
from selfassess.core.errors import InvalidInput, Refused
from selfassess.core.framework import parse
from selfassess.submission import bundle, keys, review
from selfassess.submission.submit import ALLOWED, import_feedback, submit
from tests.helpers import open_workspace
from tests.unit.test_framework_loader import MINIMAL

SMALL = parse(MINIMAL + "      - id: q2\n        ref: \"1.2\"\n        text: Two?\n        source:\n          document: doc\n",
              "small.yaml")


def small_catalogue() -> Catalogue:
    cat = Catalogue()
    cat.add(SMALL, "user")
    return cat


class Party:
    """One installation: a data folder with its own store and signing key."""

    def __init__(self, root: Path, name: str, actor: str):
        self.home = root / name
        self.store, self.ws = open_workspace(self.home / "store", catalogue=small_catalogue(), actor=actor)

    def fingerprint(self) -> str:
        return keys.key_fingerprint(keys.load_or_create(self.home))

    @property
    def review(self) -> review.Review:
        return review.Review(self.ws, self.home)

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def trust(tmp_path):
    party = Party(tmp_path, "trust", "Priya Raman")
    yield party
    party.close()


@pytest.fixture
def regulator(tmp_path):
    party = Party(tmp_path, "regulator", "Dr Okafor")
    yield party
    party.close()


def signed_off(trust: Party, period: str = "2025/26", from_handle: str | None = None, ods_code: str = "RNG"):
    ws = trust.ws
    a = ws.new_assessment("Northgate NHS Trust", "mini", period, ods_code=ods_code, from_handle=from_handle).assessment
    ws.answer(a.id, "q1", rating="high", evidence="Committee terms of reference", state="agreed")
    ws.answer(a.id, "q2", rating="low", evidence="Not yet", state="agreed")
    ws.add_action(a.id, ["q2"], "Agree objectives", "James Okoro", "2026-03-31", owner_role="Director of Strategy")
    return ws.sign_off(a.id, [("Margaret Ellison", "Chair"), ("Richard Osei", "Chief Executive")],
                       meeting="Board 22 May, item 9", on="2026-05-22")


def make_bundle(trust: Party, tmp_path: Path, period: str = "2025/26", from_handle: str | None = None) -> Path:
    a = signed_off(trust, period, from_handle)
    return submit(trust.ws, trust.home, a.id, tmp_path / f"sub-{period.replace('/', '-')}.selfassess").path


def test_submit_writes_a_bundle_and_freezes_the_assessment(trust, tmp_path):
    a = signed_off(trust)
    done = submit(trust.ws, trust.home, a.id, tmp_path / "out.selfassess")
    assert done.sequence == 1 and done.assessment.status == "submitted"
    opened = bundle.open_sealed(done.path.read_bytes(), bundle.SUBMISSION, ALLOWED)
    sub = opened.json("submission.json")
    assert sub["organisation"]["ods_code"] == "RNG" and sub["assessment"]["signoff"]["meeting"] == "Board 22 May, item 9"
    assert {a["question_id"] for a in sub["answers"]} == {"q1", "q2"}
    assert sub["audit_head"]["seq"] == trust.store.head[0] - 1  # the head just before the submission was recorded
    assert opened.files["board-report.pdf"].startswith(b"%PDF")
    assert json.loads(opened.files["framework.json"])["hash"] == a.framework_hash
    with pytest.raises(Refused, match="frozen"):
        trust.ws.answer(a.id, "q1", rating="low")
    # The key file is private to its owner.
    assert (keys.key_path(trust.home).stat().st_mode & 0o777) == 0o600


def test_only_a_signed_off_assessment_can_be_submitted(trust, tmp_path):
    a = trust.ws.new_assessment("Trust", "mini", "2025/26").assessment
    with pytest.raises(Refused, match="only a signed-off assessment can be submitted"):
        submit(trust.ws, trust.home, a.id, tmp_path / "x.selfassess")
    assert not (tmp_path / "x.selfassess").exists()


def test_verdicts_unknown_key_then_genuine_then_already_imported(trust, regulator, tmp_path):
    path = make_bundle(trust, tmp_path)
    first = regulator.review.check(path)
    assert first.verdict == "unknown key" and trust.fingerprint() in first.message
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    (result,) = regulator.review.import_bundles([path])
    assert result.verdict == "genuine" and "imported" in result.message
    assert regulator.review.check(path).verdict == "already imported"
    found = regulator.review.compare()
    ids, rows = found.domain_ids, found.rows
    assert ids == ["d1"] and rows[0].organisation == "Northgate NHS Trust" and rows[0].overall == 50
    assert rows[0].open_actions == 1


def test_a_key_registered_to_another_trust_is_named(trust, regulator, tmp_path):
    path = make_bundle(trust, tmp_path)
    keys.register_key(regulator.ws, trust.fingerprint(), "Southgate", "RSG")
    result = regulator.review.check(path)
    assert result.verdict == "malformed" and "registered to Southgate (RSG) but it says it comes from RNG" in result.message


def test_a_key_registered_to_a_trust_speaks_for_no_submission_that_names_no_trust(trust, regulator, tmp_path):
    """With --ods, a key's submissions must say the same code: one that names none is not that trust's."""
    a = signed_off(trust, ods_code="")
    path = submit(trust.ws, trust.home, a.id, tmp_path / "no-code.selfassess").path
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    head = regulator.store.head
    (result,) = regulator.review.import_bundles([path])
    assert result.verdict == "malformed" and "registered to Northgate (RNG) but it names no ODS code" in result.message
    assert regulator.store.head == head and regulator.review.count() == 0


_BUNDLE_CACHE: dict[str, bytes] = {}


def _sample_bundle(tmp_path_factory) -> bytes:
    if "b" not in _BUNDLE_CACHE:
        party = Party(tmp_path_factory.mktemp("flip"), "trust", "Priya")
        try:
            _BUNDLE_CACHE["b"] = make_bundle(party, tmp_path_factory.mktemp("out")).read_bytes()
        finally:
            party.close()
    return _BUNDLE_CACHE["b"]


def test_every_byte_of_the_header_is_covered(tmp_path_factory):
    data = _sample_bundle(tmp_path_factory)
    header_end = data.index(b"\n", len(bundle.SUBMISSION)) + 1
    for i in range(header_end):
        for flip in (0x01, 0x20, 0x80):
            changed = bytearray(data)
            changed[i] ^= flip
            with pytest.raises(bundle.BundleError):
                bundle.open_sealed(bytes(changed), bundle.SUBMISSION, ALLOWED)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), flip=st.integers(min_value=1, max_value=255))
def test_flipping_any_byte_fails_verification(tmp_path_factory, position, flip):
    data = _sample_bundle(tmp_path_factory)
    i = int(position * len(data))
    changed = bytearray(data)
    changed[i] ^= flip
    with pytest.raises(bundle.BundleError) as info:
        bundle.open_sealed(bytes(changed), bundle.SUBMISSION, ALLOWED)
    assert info.value.verdict in ("altered", "malformed")


def test_truncated_and_extended_bundles_fail(tmp_path_factory):
    data = _sample_bundle(tmp_path_factory)
    for changed in (data[:-1], data + b"\0", data[: len(data) // 2], b"", data[:10]):
        with pytest.raises(bundle.BundleError):
            bundle.open_sealed(changed, bundle.SUBMISSION, ALLOWED)


def test_a_signature_by_another_key_is_altered_and_a_resigned_bundle_is_an_unknown_key(trust, regulator, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = make_bundle(trust, tmp_path)
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    data = path.read_bytes()
    end = data.index(b"\n", len(bundle.SUBMISSION))
    header = json.loads(data[len(bundle.SUBMISSION):end])
    impostor = Ed25519PrivateKey.generate()
    # Signed by another key but claiming the trust's key: the signature does not match.
    unsigned = {k: v for k, v in header.items() if k != "signature"}
    import base64

    forged = dict(header, signature=base64.b64encode(impostor.sign(bundle.SUBMISSION + bundle._canonical(unsigned))).decode())
    tampered = bundle.SUBMISSION + bundle._canonical(forged) + data[end:]
    bad = tmp_path / "forged.selfassess"
    bad.write_bytes(tampered)
    assert regulator.review.check(bad).verdict == "altered"
    # The whole payload re-signed with the impostor's own key: valid signature, unregistered key.
    opened = bundle.open_sealed(data, bundle.SUBMISSION, ALLOWED)
    resigned = bundle.seal(bundle.SUBMISSION, opened.files, impostor)
    other = tmp_path / "resigned.selfassess"
    other.write_bytes(resigned)
    result = regulator.review.check(other)
    assert result.verdict == "unknown key" and keys.fingerprint(keys.raw_public(impostor.public_key())) in result.message


def test_a_replayed_older_submission_and_a_broken_chain_are_named(trust, regulator, tmp_path):
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    first = make_bundle(trust, tmp_path, "2025/26")
    last_year = trust.ws.assessments()[0]
    second = make_bundle(trust, tmp_path, "2026/27", from_handle=last_year.id)
    third_a = trust.ws.assessments()[-1]
    third_assessment = trust.ws.reopen(third_a.id, "correction")
    trust.ws.answer(third_assessment.id, "q2", rating="high", state="agreed")
    trust.ws.sign_off(third_assessment.id, [("Chair", "Chair")])
    third = submit(trust.ws, trust.home, third_assessment.id, tmp_path / "third.selfassess").path
    assert [r.verdict for r in regulator.review.import_bundles([second])] == ["genuine"]
    replay = regulator.review.check(first)
    assert replay.verdict == "replayed" and "older submission (number 1)" in replay.message
    # A chain that skips a submission (3 after 1) is broken until the missing one arrives.
    reg2 = Party(tmp_path, "regulator2", "Someone")
    try:
        keys.register_key(reg2.ws, trust.fingerprint(), "Northgate", "RNG")
        reg2.review.import_bundles([first])
        broken = reg2.review.check(third)
        assert broken.verdict == "broken chain" and "1 submission(s) in between have not been imported" in broken.message
        assert [r.verdict for r in reg2.review.import_bundles([second, third])] == ["genuine", "genuine"]
    finally:
        reg2.close()
    history = regulator.review.history("RNG")
    assert [h.period for h in history] == ["2026/27"]


def _hostile(trust: Party, files: dict[str, bytes], raw_zip: bytes | None = None) -> bytes:
    """A bundle correctly signed by the trust, holding whatever archive an attacker likes."""
    key = keys.load_or_create(trust.home)
    if raw_zip is None:
        return bundle.seal(bundle.SUBMISSION, files, key)
    public = keys.raw_public(key.public_key())
    import base64

    header = {"format": 1, "payload_sha256": hashlib.sha256(raw_zip).hexdigest(), "payload_size": len(raw_zip),
              "public_key": base64.b64encode(public).decode(), "key_fingerprint": keys.fingerprint(public)}
    header["signature"] = base64.b64encode(key.sign(bundle.SUBMISSION + bundle._canonical(header))).decode()
    return bundle.SUBMISSION + bundle._canonical(header) + b"\n" + raw_zip


@pytest.mark.parametrize(("case", "expect"), [
    ("traversal", "a path outside the bundle ('../../etc/cron.d/evil')"),
    ("absolute", "a path outside the bundle ('/etc/passwd')"),
    ("extra", "an unexpected file ('notes.txt')"),
    ("missing", "the archive is missing board-report.pdf"),
    ("bomb", "would unpack to 10,485,760 bytes: too large (an archive bomb?)"),
    ("oversize", "board-report.pdf would unpack to 10,240 bytes: too large"),
    ("lying-size", "board-report.pdf cannot be unpacked"),
    ("not-zip", "the content is not a readable archive"),
    ("bad-json", "submission.json is not JSON"),
    ("duplicate", "the archive holds the same name twice"),
])
def test_hostile_archives_are_rejected_with_a_message(trust, regulator, tmp_path, case, expect, monkeypatch):
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    good = {"submission.json": b"{}", "framework.json": b"{}", "board-report.pdf": b"%PDF-1.4"}

    def raw(entries: list[tuple[str, bytes]]) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, content in entries:
                z.writestr(name, content)
        return out.getvalue()

    if case == "traversal":
        data = _hostile(trust, {**good, "../../etc/cron.d/evil": b"* * * * * root rm -rf /"})
    elif case == "absolute":
        data = _hostile(trust, {}, raw([("manifest.json", b"{}"), ("/etc/passwd", b"x")]))
    elif case == "extra":
        data = _hostile(trust, {**good, "notes.txt": b"hello"})
    elif case == "missing":
        data = _hostile(trust, {k: v for k, v in good.items() if k != "board-report.pdf"})
    elif case == "bomb":
        data = _hostile(trust, {**good, "submission.json": b"0" * (10 * 1024 * 1024)})
    elif case == "oversize":
        monkeypatch.setitem(ALLOWED, "board-report.pdf", 1000)
        data = _hostile(trust, {**good, "board-report.pdf": bytes(range(256)) * 40})
    elif case == "lying-size":
        payload = bytearray(bundle._zip({**good, "board-report.pdf": bytes(range(256)) * 40}))
        # Say in the archive's directory that the file is 100 bytes: the reader must not believe it.
        cd = payload.rindex(b"PK\x01\x02")
        while payload[cd + 46: cd + 46 + 16] != b"board-report.pdf":
            cd = payload.rindex(b"PK\x01\x02", 0, cd)
        payload[cd + 24: cd + 28] = (100).to_bytes(4, "little")
        data = _hostile(trust, {}, bytes(payload))
    elif case == "not-zip":
        data = _hostile(trust, {}, b"this is not a zip file at all")
    elif case == "bad-json":
        data = _hostile(trust, {**good, "submission.json": b"{not json"})
    else:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            manifest = json.dumps({"files": {}}).encode()
            data = _hostile(trust, {}, raw([("manifest.json", manifest), ("submission.json", b"{}"), ("submission.json", b"{}")]))
    path = tmp_path / f"{case}.selfassess"
    path.write_bytes(data)
    result = regulator.review.check(path)
    assert result.verdict == "malformed", result
    assert expect in result.message
    assert not (tmp_path / "etc").exists()


def test_an_oversized_file_is_refused_before_reading(regulator, tmp_path, monkeypatch):
    monkeypatch.setattr(bundle, "MAX_FILE", 100)
    path = tmp_path / "big.selfassess"
    path.write_bytes(b"x" * 101)
    result = regulator.review.check(path)
    assert result.verdict == "malformed" and "more than a submission can be" in result.message


def test_feedback_goes_back_and_shows_beside_the_carried_action(trust, regulator, tmp_path):
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    path = make_bundle(trust, tmp_path)
    regulator.review.import_bundles([path])
    sub = regulator.review.submissions()[0]
    with pytest.raises(InvalidInput, match="a query needs a comment"):
        regulator.review.mark(sub.id[:8], "action", "A01", "queried")
    regulator.review.mark(sub.id[:8], "action", "A01", "queried", "No owner below board level")
    regulator.review.mark(sub.id[:8], "domain", "1", "accepted")
    out, accepted, queried = regulator.review.feedback_file(sub.id[:8], tmp_path)
    assert (accepted, queried) == (1, 1) and out.name == "feedback-RNG-2025-26.selfassess-feedback"
    # The trust starts next year before the feedback arrives: the open action is carried forward.
    last = trust.ws.assessments()[0]
    this_year = trust.ws.new_assessment("", None, "2026/27", from_handle=last.id).assessment
    with pytest.raises(bundle.BundleError, match="not registered"):
        import_feedback(trust.ws, out)
    keys.register_key(trust.ws, regulator.fingerprint(), "Regional regulator")
    done = import_feedback(trust.ws, out)
    assert (done.accepted, done.queried) == (1, 1) and done.reviewer == "Dr Okafor (Regional regulator)"
    (carried,) = trust.ws.actions(this_year.id)
    (query,) = trust.ws.feedback_for_action(carried)
    assert query.verdict == "queried" and query.comment == "No owner below board level"
    # A feedback file changed in transit is refused.
    data = bytearray(out.read_bytes())
    data[-5] ^= 1
    out.write_bytes(bytes(data))
    with pytest.raises(bundle.BundleError):
        import_feedback(trust.ws, out)


def test_feedback_on_a_submission_this_trust_did_not_send_is_refused(trust, regulator, tmp_path):
    other = Party(tmp_path, "other-trust", "Someone")
    try:
        keys.register_key(regulator.ws, other.fingerprint(), "Southgate", "RNG")
        path = make_bundle(other, tmp_path)
        regulator.review.import_bundles([path])
        sub = regulator.review.submissions()[0]
        regulator.review.mark(sub.id, "domain", "1", "accepted")
        out, _, _ = regulator.review.feedback_file(sub.id, tmp_path)
        keys.register_key(trust.ws, regulator.fingerprint(), "Regulator")
        with pytest.raises(Refused, match="did not send"):
            import_feedback(trust.ws, out)
    finally:
        other.close()


def _row(name, overall, completeness, d1, open_, overdue, slipped, queried):
    return review.TrustRow("id-" + name, name, "", "2025/26", "F", overall, completeness, {"d1": d1},
                           open_, overdue, slipped, queried)


@pytest.mark.parametrize(("key", "order"), [
    ("trust", ["alpha", "Beta", "gamma"]),
    ("overall", ["gamma", "alpha", "Beta"]),  # highest first, no score last
    ("completeness", ["Beta", "gamma", "alpha"]),
    ("open", ["alpha", "gamma", "Beta"]),
    ("overdue", ["Beta", "alpha", "gamma"]),
    ("slipped", ["gamma", "Beta", "alpha"]),
    ("queried", ["Beta", "gamma", "alpha"]),
    ("d1", ["Beta", "alpha", "gamma"]),
    ("1", ["Beta", "alpha", "gamma"]),  # the domain's ref, as typed
])
def test_the_comparison_sorts_by_each_key(key, order):
    rows = [_row("gamma", 80, 0.5, None, 2, 0, 9, 1), _row("Beta", None, 1.0, 90, 0, 5, 3, 4),
            _row("alpha", 60, 0.25, 40, 7, 1, 0, 0)]
    review.sort_rows(rows, key, [("d1", "1 Domain one")])
    assert [r.organisation for r in rows] == order


def test_compare_sorts_and_exports(trust, regulator, tmp_path):
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    regulator.review.import_bundles([make_bundle(trust, tmp_path)])
    for key in review.SORT_KEYS + ("d1", "1"):
        regulator.review.compare(sort=key)
    with pytest.raises(InvalidInput, match="cannot sort by 'colour'"):
        regulator.review.compare(sort="colour")
    found = regulator.review.compare()
    ids, titles, rows = found.domain_ids, found.domain_titles, found.rows
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(review.to_xlsx(titles, ids, rows)))
    assert wb.active["A2"].value == "Northgate NHS Trust" and wb.active["A1"].value == "Trust"


# --- keys: registered from a file, revoked --------------------------------------------------------


def test_a_key_file_gives_the_fingerprint_and_whose_it_is_without_registering_it(trust, regulator, tmp_path):
    exported = keys.export_public_key(trust.home, tmp_path)
    assert exported.name.endswith(keys.PUBLIC_KEY_SUFFIX) and b"PRIVATE" not in exported.read_bytes()
    offer = keys.read_key_file(exported)
    assert offer.fingerprint == trust.fingerprint() and offer.source == "a public key file" and offer.name == ""
    offer = keys.read_key_file(make_bundle(trust, tmp_path))  # a submission: its signer, and the trust it names
    assert (offer.fingerprint, offer.name, offer.ods_code) == (trust.fingerprint(), "Northgate NHS Trust", "RNG")
    assert keys.trusted_keys(regulator.ws) == []  # reading a file registers nothing
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(keys.KeyError_, match="holds no key"):
        keys.read_key_file(tmp_path / "notes.txt")
    altered = bytearray(make_bundle(trust, tmp_path, "2026/27").read_bytes())
    altered[-5] ^= 1
    (tmp_path / "altered.selfassess").write_bytes(bytes(altered))
    with pytest.raises(bundle.BundleError):  # a key is only offered from a file its signature holds for
        keys.read_key_file(tmp_path / "altered.selfassess")


def test_a_revoked_key_is_on_the_audit_trail_and_verifies_nothing_new(trust, regulator, tmp_path):
    first = make_bundle(trust, tmp_path)
    fp = trust.fingerprint()
    keys.register_key(regulator.ws, fp, "Northgate", "RNG")
    (result,) = regulator.review.import_bundles([first])
    assert result.verdict == "genuine"
    second = make_bundle(trust, tmp_path, "2026/27")
    assert regulator.review.check(second).verdict == "genuine"  # until the key is revoked
    revoked = keys.revoke_key(regulator.ws, fp.lower().replace(" ", ""), "Laptop stolen; the trust has a new key")
    assert revoked.revoked and revoked.revoked_by == "Dr Okafor" and revoked.revoked_reason.startswith("Laptop stolen")
    _, event, _ = list(regulator.store.events())[-1]
    assert event is not None and event["action"] == "keys.revoke" and event["actor"] == "Dr Okafor"
    assert "Laptop stolen" in event["summary"] and event["changes"][0]["after"]["revoked_reason"].startswith("Laptop")
    check = regulator.review.check(second)
    assert check.verdict == "revoked key" and "revoked here on" in check.message and "Laptop stolen" in check.message
    assert keys.trusted_key(regulator.ws, fp) is None and keys.registered_key(regulator.ws, fp) == revoked
    assert [s.period for s in regulator.review.submissions()] == ["2025/26"]  # imported before: kept
    with pytest.raises(Refused, match="already revoked"):
        keys.revoke_key(regulator.ws, fp, "again")
    with pytest.raises(Exception, match="no key .* is registered here"):
        keys.revoke_key(regulator.ws, "SHA256:" + "0" * 32, "never registered")
    assert regulator.store.verify().ok
