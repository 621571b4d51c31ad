"""The submission round trip from the command line: trust, regulator, and back."""

from __future__ import annotations

import json

from click.testing import CliRunner

from selfassess.cli import cli


def run(home, *args):
    res = CliRunner().invoke(cli, ["--home", str(home), *map(str, args)], catch_exceptions=False,
                             env={"SELFASSESS_TODAY": "2026-11-23", "SELFASSESS_ACTOR": "Tester"})
    return res


def test_trust_submits_regulator_reviews_trust_reads_feedback(tmp_path):
    trust, reg = tmp_path / "trust", tmp_path / "regulator"
    assert run(trust, "demo").exit_code == 0
    assessments = json.loads(run(trust, "assessments", "--json").stdout)["assessments"]
    current = next(a for a in assessments if a["status"] == "in_progress")
    # The in-progress year cannot be signed off while questions are unanswered or unreviewed.
    res = run(trust, "signoff", current["id"][:8], "--by", "Margaret Ellison", "--role", "Chair")
    assert res.exit_code == 1 and ("still need review" in res.stderr or "unanswered" in res.stderr)
    res = run(trust, "signoff", current["id"][:8], "--by", "A", "--role", "Chair", "--by", "B")
    assert res.exit_code == 1 and "give a --role for each --by" in res.stderr
    signed = next(a for a in assessments if a["status"] == "signed_off")
    res = run(trust, "submit", signed["id"][:8], "--out", f"{tmp_path}/outbox/")
    assert res.exit_code == 0, res.stderr
    bundle = next((tmp_path / "outbox").iterdir())
    assert bundle.name == "RVH-2025-26-submission-1.selfassess"
    assert "2025/26, this installation's submission number 1, sha256" in res.stdout
    fingerprint = run(trust, "keys", "show").stdout.splitlines()[0]
    assert fingerprint.startswith("SHA256:") and fingerprint in res.stdout

    res = run(reg, "verify", bundle)
    assert res.exit_code == 1 and res.stdout.startswith("UNKNOWN KEY")
    assert run(reg, "keys", "trust", fingerprint, "--name", "Riverside Valley", "--ods", "RVH").exit_code == 0
    res = run(reg, "review", "import", tmp_path / "outbox")
    assert res.exit_code == 0 and "GENUINE" in res.stdout and "1 of 1 imported" in res.stdout
    compare = json.loads(run(reg, "review", "compare", "--json", "--sort", "overdue", "--xlsx", tmp_path / "c.xlsx").stdout)
    (row,) = compare["trusts"]
    assert row["organisation"] == "Riverside Valley Hospitals NHS Foundation Trust" and row["period"] == "2025/26"
    assert (tmp_path / "c.xlsx").exists()
    sub = row["submission"][:8]
    assert run(reg, "review", "mark", sub, "--action", "A03", "--query", "--comment", "No owner below board level").exit_code == 0
    assert run(reg, "review", "mark", sub, "--domain", "3", "--accept").exit_code == 0
    res = run(reg, "review", "feedback", sub, "--out", f"{tmp_path}/fb/")
    assert res.exit_code == 0 and "1 accepted, 1 queried" in res.stdout
    feedback = next((tmp_path / "fb").iterdir())

    res = run(trust, "feedback", "import", feedback)
    assert res.exit_code == 1 and "has not registered" in res.stderr
    regulator_fp = run(reg, "keys", "show").stdout.splitlines()[0]
    assert run(trust, "keys", "trust", regulator_fp, "--name", "Regional regulator").exit_code == 0
    res = run(trust, "feedback", "import", feedback)
    assert res.exit_code == 0 and "1 accepted, 1 queried" in res.stdout
    assert run(trust, "audit", "verify").exit_code == 0 and run(reg, "audit", "verify").exit_code == 0


def test_verify_names_an_altered_bundle(tmp_path):
    trust = tmp_path / "trust"
    run(trust, "demo")
    signed = next(a for a in json.loads(run(trust, "assessments", "--json").stdout)["assessments"] if a["status"] == "signed_off")
    run(trust, "submit", signed["id"][:8], "--out", tmp_path / "b.selfassess")
    data = bytearray((tmp_path / "b.selfassess").read_bytes())
    data[len(data) // 2] ^= 0x10
    (tmp_path / "b.selfassess").write_bytes(bytes(data))
    res = run(trust, "verify", tmp_path / "b.selfassess")
    assert res.exit_code == 1 and res.stdout.startswith("ALTERED")
    assert "Traceback" not in res.stdout + res.stderr


def test_keys_from_a_file_confirmed_listed_and_revoked(tmp_path):
    trust, reg = tmp_path / "trust", tmp_path / "regulator"
    res = run(trust, "keys", "export", tmp_path)
    assert res.exit_code == 0, res.stderr
    key_file = next(tmp_path.glob("*.selfassess-key"))
    fingerprint = res.stdout.splitlines()[1].removeprefix("fingerprint: ")
    assert fingerprint == run(trust, "keys", "show").stdout.splitlines()[0]
    # The fingerprint is shown and must be confirmed: no answer, nothing registered.
    res = CliRunner().invoke(cli, ["--home", str(reg), "keys", "trust", "--file", str(key_file), "--name", "Riverside"],
                             input="n\n", env={"SELFASSESS_TODAY": "2026-11-23"})
    assert res.exit_code != 0 and fingerprint in res.output and "Is this the fingerprint they told you" in res.output
    assert "Riverside" not in run(reg, "keys", "list").stdout
    wrong = "SHA256:" + "0" * 32
    res = run(reg, "keys", "trust", wrong, "--file", key_file, "--name", "Riverside")
    assert res.exit_code == 1 and "is not the key in" in res.stderr
    res = run(reg, "keys", "trust", fingerprint.lower(), "--file", key_file, "--name", "Riverside", "--ods", "RVH")
    assert res.exit_code == 0 and f"registered {fingerprint} for Riverside (RVH)" in res.stdout
    res = run(reg, "keys", "revoke", fingerprint, "--reason", "Replaced by a new key")
    assert res.exit_code == 0 and "no longer accepted" in res.stdout
    listed = run(reg, "keys", "list").stdout
    assert f"{fingerprint}  Riverside (RVH)  REVOKED " in listed and " by Tester: Replaced by a new key" in listed
    res = run(reg, "keys", "revoke", fingerprint, "--reason", "again")
    assert res.exit_code != 0 and "already revoked" in res.stderr
    log = run(reg, "audit", "log").stdout
    assert "revoked key" in log and "Replaced by a new key" in log
