"""A key registered here and then revoked has its own verdict, "revoked key", wherever a verdict is
shown: it names the key's fingerprint, when it was revoked and why, and nothing signed by it is taken in."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from selfassess.cli import cli
from selfassess.submission import bundle, keys, rating_packs, review
from selfassess.submission.submit import import_feedback
from tests.unit.test_rounds import RATERS, assessment, opened, respond  # noqa: F401 (fixtures)
from tests.unit.test_submission import Party, make_bundle

REASON = "Laptop stolen; the trust has a new key"


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


def says_revoked(message: str, fingerprint: str, name: str = "Northgate") -> None:
    when = re.search(r"revoked here on (\d{4}-\d\d-\d\d \d\d:\d\d UTC) by ", message)
    assert f"signed by the key of {name}, revoked here on " in message and when, message
    assert fingerprint in message and REASON in message, message


def test_a_submission_signed_by_a_revoked_key_is_refused_as_revoked_and_nothing_is_stored(trust, regulator, tmp_path):
    fp = trust.fingerprint()
    keys.register_key(regulator.ws, fp, "Northgate", "RNG")
    first = make_bundle(trust, tmp_path)
    assert regulator.review.import_bundles([first])[0].verdict == bundle.GENUINE
    second = make_bundle(trust, tmp_path, "2026/27")
    keys.revoke_key(regulator.ws, fp, REASON)
    head = regulator.store.head
    check = regulator.review.check(second)
    assert check.verdict == bundle.REVOKED_KEY == "revoked key"
    says_revoked(check.message, fp)
    assert "by Dr Okafor" in check.message and "keys trust" not in check.message  # no advice to trust it again
    assert check.key is not None and check.key.revoked_reason == REASON
    (imported,) = regulator.review.import_bundles([second])
    assert imported.verdict == bundle.REVOKED_KEY and imported.submission is None
    assert regulator.store.head == head
    assert [s.period for s in regulator.review.submissions()] == ["2025/26"]  # imported before it was revoked: stays
    assert regulator.review.check(first).verdict == bundle.DUPLICATE
    assert regulator.store.verify().ok


def test_a_key_never_registered_is_still_an_unknown_key(trust, regulator, tmp_path):
    check = regulator.review.check(make_bundle(trust, tmp_path))
    assert check.verdict == bundle.UNKNOWN_KEY and "has not registered" in check.message and check.key is None


def test_this_installations_own_key_once_revoked_is_refused_too(regulator, tmp_path):
    # A regulator that also submits (a test installation, say) and revoked its own key: revoked wins.
    own = make_bundle(regulator, tmp_path)
    assert regulator.review.check(own).verdict == bundle.GENUINE
    fp = regulator.fingerprint()
    keys.register_key(regulator.ws, fp, "This office")
    keys.revoke_key(regulator.ws, fp, REASON)
    check = regulator.review.check(own)
    assert check.verdict == bundle.REVOKED_KEY
    says_revoked(check.message, fp, "This office")


def test_a_revoked_key_with_no_reason_recorded_says_so(trust, regulator, tmp_path):
    fp = trust.fingerprint()
    keys.register_key(regulator.ws, fp, "Northgate", "RNG")
    keys.revoke_key(regulator.ws, fp, REASON)
    rec = dict(regulator.store.get(keys.TRUSTED_KEYS, fp), revoked_reason="")  # as an older entry might hold it
    from selfassess.core.audit import Change

    regulator.ws.commit("keys.revoke", "older entry", [Change(keys.TRUSTED_KEYS, fp, regulator.store.get(keys.TRUSTED_KEYS, fp), rec)])
    check = regulator.review.check(make_bundle(trust, tmp_path))
    assert check.verdict == bundle.REVOKED_KEY and "(no reason was recorded)" in check.message and fp in check.message


def test_feedback_signed_by_a_revoked_regulator_key_is_refused_as_revoked(trust, regulator, tmp_path):
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
    regulator.review.import_bundles([make_bundle(trust, tmp_path)])
    sub = regulator.review.submissions()[0]
    regulator.review.mark(sub.id, "domain", "1", "accepted")
    feedback, _, _ = regulator.review.feedback_file(sub.id, tmp_path)
    fp = regulator.fingerprint()
    keys.register_key(trust.ws, fp, "Regional regulator")
    keys.revoke_key(trust.ws, fp, REASON)
    head = trust.store.head
    with pytest.raises(bundle.BundleError) as info:
        import_feedback(trust.ws, feedback)
    assert info.value.verdict == bundle.REVOKED_KEY
    assert "signed by the key of Regional regulator, revoked here on " in str(info.value)
    assert fp in str(info.value) and REASON in str(info.value)
    assert trust.store.head == head


def test_a_rating_response_signed_by_a_revoked_key_is_refused_and_nothing_recorded(ws, assessment, opened, tmp_path):  # noqa: F811
    home = tmp_path / "rater"
    response = respond(opened.packs[0], home, tmp_path / "back", {"1.1": "2"})
    fp = keys.key_fingerprint(keys.load_or_create(home, keys.RATER_KEY_FILE))
    keys.register_key(ws, fp, "Margaret Ellison (old laptop)")
    keys.revoke_key(ws, fp, REASON)
    head = ws.repo.head
    with pytest.raises(bundle.BundleError) as info:
        rating_packs.import_response(ws, assessment.id, response)
    assert info.value.verdict == bundle.REVOKED_KEY
    message = str(info.value)
    assert "revoked here on " in message and fp in message and REASON in message
    assert "nothing was recorded" in message and ws.repo.head == head
    # Another rater's response, by a key never registered here, is taken in as before.
    other = respond(opened.packs[1], tmp_path / "rater2", tmp_path / "back2", {"1.1": "3"})
    assert rating_packs.import_response(ws, assessment.id, other).ratings == 1


# --- the command line -------------------------------------------------------------------------


def selfassess(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home), *map(str, args)], catch_exceptions=False,
                              env={"SELFASSESS_TODAY": "2026-11-23", "SELFASSESS_ACTOR": "Tester"})


def test_verify_and_review_import_name_a_revoked_key_in_words_and_in_json(trust, tmp_path):
    reg = tmp_path / "reg"
    path = make_bundle(trust, tmp_path)
    fp = trust.fingerprint()
    trust.close()
    assert selfassess(reg, "keys", "trust", fp, "--name", "Northgate", "--ods", "RNG").exit_code == 0
    assert selfassess(reg, "keys", "revoke", fp, "--reason", REASON).exit_code == 0
    for args in (["verify", path], ["review", "import", path]):
        res = selfassess(reg, *args)
        assert res.exit_code == 1, res
        assert res.stdout.startswith(f"REVOKED KEY      {path.name}: Northgate NHS Trust 2025/26: ") and "Traceback" not in res.output
        says_revoked(res.stdout, fp)
        data = json.loads(selfassess(reg, *args, "--json").stdout)
        (result,) = data["results"]
        assert result["verdict"] == "revoked key"
        says_revoked(result["message"], fp)
        assert result["revoked_key"] == {"fingerprint": fp, "name": "Northgate", "revoked_at": result["revoked_key"]["revoked_at"],
                                         "revoked_by": "Tester", "reason": REASON}
        assert result["revoked_key"]["revoked_at"][:16].replace("T", " ") in result["message"]
    assert "0 of 1 imported" in selfassess(reg, "review", "import", path).stdout
    assert json.loads(selfassess(reg, "review", "list", "--json").stdout)["submissions"] == []
    assert selfassess(reg, "audit", "verify").exit_code == 0


# --- the regulator's app ---------------------------------------------------------------------


async def test_the_regulators_import_screen_says_revoked_key(trust, tmp_path, monkeypatch):
    from textual.widgets import Input

    from selfassess.core.clock import Clock
    from selfassess.session import load_frameworks, open_session
    from selfassess.ui.app import make_app
    from tests.helpers import TODAY

    reg = tmp_path / "reg"
    monkeypatch.setenv("SELFASSESS_HOME", str(reg))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_bundle(trust, inbox)
    fp = trust.fingerprint()
    s = open_session(reg, load_frameworks(reg), "Dr Okafor", clock=Clock(TODAY))
    keys.register_key(s.workspace, fp, "Northgate", "RNG")
    keys.revoke_key(s.workspace, fp, REASON)
    s.close()
    app = make_app(reg, actor="Dr Okafor", clock=Clock(TODAY), blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("v", "i")
        await pilot.pause()
        app.screen.query_one("#value", Input).value = str(inbox)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = [n for n in app._notifications if n.title == "Revoked key"]
        assert len(shown) == 1, [(n.title, n.message) for n in app._notifications]
        says_revoked(shown[0].message, fp)
        assert any("0 of 1 imported" in n.message for n in app._notifications)
    s = open_session(reg, load_frameworks(reg), "Dr Okafor", clock=Clock(TODAY))
    try:
        assert review.Review(s.workspace, reg).submissions() == [] and s.store.verify().ok
    finally:
        s.close()


def test_round_import_on_the_command_line_says_revoked_key(run, tmp_path, monkeypatch):
    from tests.helpers import BOARD_ID

    monkeypatch.setenv("SELFASSESS_TODAY", "2026-11-23")
    aid = run("new", "Northgate NHS Trust", "--framework", BOARD_ID, "--period", "2025/26").stdout.split()[0]
    assert run("round", "open", aid, "--rater", "Margaret Ellison|Chair", "--domain", "1", "--out", tmp_path / "p").exit_code == 0
    (pack,) = (tmp_path / "p").iterdir()
    rater = tmp_path / "rater"
    res = run("--home", rater, "rate", pack, "--answer", "1.1=2", "--out", tmp_path / "back")
    assert res.exit_code == 0, res
    fp = keys.key_fingerprint(keys.load_or_create(rater, keys.RATER_KEY_FILE))
    assert run("keys", "trust", fp, "--name", "Margaret Ellison (old laptop)").exit_code == 0
    assert run("keys", "revoke", fp, "--reason", REASON).exit_code == 0
    (response,) = (tmp_path / "back").iterdir()
    res = run("round", "import", aid, response)
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    assert f"refused {response.name}: {response.name}: signed by the key of Margaret Ellison (old laptop), revoked here on " in res.stderr
    assert fp in res.stderr and REASON in res.stderr and "nothing was recorded" in res.stderr
    assert json.loads(run("round", "show", aid, "--json").stdout)["returned_names"] == []


def test_a_key_registered_without_an_ods_code_cannot_speak_for_another_keys_trust(trust, regulator, tmp_path):
    """One live key speaks for a trust: another key (registered without --ods) signing as the same
    ODS code is refused, naming the key that speaks for it, until that key is revoked (a new key)."""
    keys.register_key(regulator.ws, trust.fingerprint(), "Northgate")  # no --ods: bound by what it sent
    assert regulator.review.import_bundles([make_bundle(trust, tmp_path)])[0].verdict == bundle.GENUINE
    other = Party(tmp_path, "other", "Someone Else")
    try:
        keys.register_key(regulator.ws, other.fingerprint(), "Northgate (new laptop)")
        (tmp_path / "other-out").mkdir()
        claim = make_bundle(other, tmp_path / "other-out")  # the same trust's name and ODS code, another key
        head = regulator.store.head
        check = regulator.review.check(claim)
        assert check.verdict == bundle.MALFORMED
        assert "RNG is the trust of another key here, Northgate's" in check.message and trust.fingerprint() in check.message
        assert "keys revoke" in check.message
        assert regulator.review.import_bundles([claim])[0].submission is None and regulator.store.head == head
        # Registered with the ODS code, the first key speaks for it before anything was imported, too.
        keys.register_key(regulator.ws, trust.fingerprint(), "Northgate", "RNG")
        assert regulator.review.check(claim).verdict == bundle.MALFORMED
        # The trust's new key: the old one revoked, the new one's submission is taken in.
        keys.revoke_key(regulator.ws, trust.fingerprint(), REASON)
        assert regulator.review.check(claim).verdict == bundle.GENUINE
    finally:
        other.close()
    assert regulator.store.verify().ok


def test_a_revoked_key_is_not_trusted_again_by_registering_it_only_when_reinstated_saying_why(trust, regulator, tmp_path):
    """Re-running an onboarding script must not lift the revocation of a stolen key: registering it
    again is refused, naming the revocation, unless asked to reinstate it with a reason (on the trail)."""
    fp = trust.fingerprint()
    keys.register_key(regulator.ws, fp, "Northgate", "RNG")
    keys.revoke_key(regulator.ws, fp, REASON)
    head = regulator.store.head
    with pytest.raises(keys.Refused) as refused:
        keys.register_key(regulator.ws, fp, "Northgate again", "RNG")
    says_revoked(str(refused.value), fp)
    assert "--reinstate" in str(refused.value.hint.command) and regulator.store.head == head
    bundle_path = make_bundle(trust, tmp_path)
    assert regulator.review.check(bundle_path).verdict == bundle.REVOKED_KEY  # still revoked
    home = regulator.home
    regulator.close()
    runner = CliRunner()
    env = {"SELFASSESS_HOME": str(home)}
    refused_cli = runner.invoke(cli, ["keys", "trust", fp, "--name", "Northgate again", "--ods", "RNG"], env=env)
    assert refused_cli.exit_code != 0 and "is revoked here" in refused_cli.output
    done = runner.invoke(cli, ["keys", "trust", fp, "--name", "Northgate", "--ods", "RNG",
                               "--reinstate", "Revoked by mistake: the laptop was found, confirmed by phone"], env=env)
    assert done.exit_code == 0 and "trusted again after its revocation" in done.output, done.output
    log = runner.invoke(cli, ["audit", "log", "--json", "--limit", "1"], env=env).output
    summary = json.loads(log)["events"][0]["summary"]
    assert "reinstating it (revoked on" in summary and REASON in summary and "laptop was found" in summary
    assert runner.invoke(cli, ["verify", str(bundle_path)], env=env).exit_code == 0  # genuine again
    again = runner.invoke(cli, ["keys", "trust", fp, "--name", "Northgate", "--ods", "RNG", "--reinstate", "just in case"],
                          env=env)
    assert again.exit_code == 0 and "trusted again" not in again.output  # not revoked: nothing was lifted
