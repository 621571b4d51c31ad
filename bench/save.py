"""What one rating key press writes, on a store that has seen years of use, against a SQLite commit.

Ours: everything the app writes for a key press: the answer saved through the Workspace and the
store (lock, replay of others' events, one fdatasynced append) and the resume position (ui-state.json,
through the same Keeper as the app: written at most every 2 seconds, so some presses include it).
Store: 5 periods x 300 answers, 500 actions, 20,000 audit events, built through the Workspace
(fsync and fdatasync stubbed while building only; never while measuring).
Floor: a one-row SQLite commit in WAL mode with synchronous=FULL, on the same disk, same run,
interleaved with ours save by save so that both see the same disk.
Target: ratio of medians <= 2.
Run: python bench/save.py [--dir DIR] [--saves N]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ratio_line  # noqa: E402
from load import generate  # noqa: E402

from selfassess.core import framework as fw  # noqa: E402
from selfassess.core.catalogue import Catalogue  # noqa: E402
from selfassess.core.clock import Clock  # noqa: E402
from selfassess.core.workspace import Workspace  # noqa: E402
from selfassess.storage import store as store_module  # noqa: E402
from selfassess.storage import ui_state  # noqa: E402
from selfassess.storage.store import Store  # noqa: E402

PERIODS = ["2021/22", "2022/23", "2023/24", "2024/25", "2025/26"]
EVENTS = 20_000


def build(folder: Path) -> tuple[str, list[str]]:
    """Fill a store quickly (fsync and fdatasync off while building: only the measured saves are durable)."""
    framework = fw.parse(generate(300, per_domain=50), "bench.yaml")
    cat = Catalogue()
    cat.add(framework, "user")
    real_fsync, real_fdatasync = store_module.io.fsync, store_module.io.fdatasync
    store_module.io.fsync = store_module.io.fdatasync = lambda fd: None
    try:
        store = Store(folder)
        ws = Workspace(store, cat, "bench", Clock())
        questions = [q.id for q in framework.questions()]
        previous = None
        actions = []
        for period in PERIODS:
            a = ws.new_assessment("Bench Trust", framework.id, period).assessment
            for i, q in enumerate(questions):
                ws.answer(a.id, q, rating=str(1 + i % 4), evidence=f"Evidence for {q} in {period}", state="agreed")
            for i in range(100):
                actions.append(ws.add_action(a.id, [questions[i]], f"Action {i} of {period}", "Owner", "2027-03-31").id)
            previous = a.id
        n = 0
        while store.head[0] < EVENTS:
            ws.update_action(actions[n % len(actions)], note=f"Progress note {n}")
            n += 1
        store.close()
    finally:
        store_module.io.fsync, store_module.io.fdatasync = real_fsync, real_fdatasync
    return previous, questions


def measure(folder: Path, assessment: str, questions: list[str], saves: int) -> tuple[list[float], list[float]]:
    """Key presses and SQLite commits, one of each in turn: (ours, floor) in seconds."""
    assert store_module.io.fsync is store_module.os.fsync, "measured saves must be durable"
    store = Store(folder / "store", command="bench")
    ws = Workspace(store, Catalogue(), "bench", Clock())
    ws.framework(ws.assessment(assessment))  # warm: the pinned framework is read once per session
    position = ui_state.Keeper(folder / "home")  # as the app keeps it: at most every few seconds
    db = sqlite3.connect(folder / "floor.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE answers (id TEXT PRIMARY KEY, rating TEXT, evidence TEXT)")
    ours, floor = [], []
    for i in range(saves):
        q = questions[i % len(questions)]
        start = time.perf_counter()
        ws.answer(assessment, q, rating=str(1 + (i + 1) % 4), evidence=f"Updated evidence {i}")
        position.keep({"screen": "assessment", "assessment": assessment, "questions": {assessment: q}})
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        db.execute("BEGIN")
        db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?)", (f"q{i % 300}", str(i % 4), f"Updated evidence {i}"))
        db.execute("COMMIT")
        floor.append(time.perf_counter() - start)
    db.close()
    store.close()
    return ours, floor


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (f"median {statistics.median(ordered) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms, "
            f"max {ordered[-1] * 1000:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="Folder on the disk to measure (default: a temporary folder).")
    parser.add_argument("--saves", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        assessment, questions = build(folder / "store")
        built = time.perf_counter() - start
        store = Store(folder / "store", writer=False)
        counts = {t: len(store.all(t)) for t in ("assessments", "answers", "actions")}
        print(f"store: {counts['assessments']} periods, {counts['answers']} answers, {counts['actions']} actions, "
              f"{store.head[0]:,} audit events (built in {built:.1f}s) in {folder}")
        ours, floor = measure(folder, assessment, questions, args.saves)
        print(f"{args.saves} key presses and {args.saves} SQLite commits, interleaved")
        print(f"ours  (answer save + ui-state): {figures(ours)}")
        print(f"floor (SQLite WAL, FULL):       {figures(floor)}")
        print(ratio_line(statistics.median(ours), statistics.median(floor), "ms"))


if __name__ == "__main__":
    main()
