"""The app's Workspace and another process writing the same store, interleaved and at once: nothing lost."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from selfassess.storage.store import Store
from tests.helpers import BOARD_ID, open_workspace

CHILD = Path(__file__).with_name("workspace_child.py")
REPO = Path(__file__).resolve().parents[2]
ROUNDS = 200


def test_two_hundred_rounds_of_app_and_script_writes_lose_nothing(tmp_path):
    folder = tmp_path / "store"
    store, ws = open_workspace(folder)  # the app, in this process
    a = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2026/27").assessment
    questions = [q.id for q in ws.framework(a).questions()]
    half = len(questions) // 2
    child = subprocess.Popen([sys.executable, str(CHILD), str(folder), a.id], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                             env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert child.stdout.readline() == "open\n", child.stderr.read()

    def script(qid: str, evidence: str) -> None:
        child.stdin.write(f"{qid} {evidence}\n")
        child.stdin.flush()

    def acked(qid: str) -> None:
        assert child.stdout.readline() == f"ack {qid}\n", child.stderr.read()

    expected: dict[str, str] = {}
    writes = 0
    start = time.monotonic()
    try:
        for i in range(ROUNDS):
            same = questions[i % half]
            # In turn, on the same answer: the later writer wins, and each sees the other's first.
            ws.answer(a.id, same, evidence=f"app {i}")
            script(same, f"script {i}")
            acked(same)
            assert ws.answer_for(a.id, same).evidence == f"script {i}"  # read through: no stale copy
            expected[same] = f"script {i}"
            # At once, on different answers: both land, whatever the order the lock gives them.
            theirs, mine = questions[half + i % (len(questions) - half)], questions[(i * 7 + 3) % half]
            script(theirs, f"script at once {i}")
            ws.answer(a.id, mine, evidence=f"app at once {i}")
            acked(theirs)
            expected[theirs], expected[mine] = f"script at once {i}", f"app at once {i}"
            writes += 4
        child.stdin.close()
        assert child.wait(timeout=60) == 0, child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
    took = time.monotonic() - start
    assert store.verify().ok
    store.close()
    with Store(folder, writer=False) as reader:
        got = {r["question_id"]: r["evidence"] for r in reader.find("answers", assessment_id=a.id)}
        assert {q: got.get(q) for q in expected} == expected  # every answer, the last writer's value
        report = reader.verify()
        assert report.ok, report.problems
        assert report.events == 1 + writes
    assert took < 60
