"""Latency of one durable answer save on a store of realistic age, against a one-row SQLite commit.

Store: bench/build_store.py --years N (cached), copied so the cache stays as built.
Floor: a one-row SQLite commit in WAL mode with synchronous=FULL, on the same disk, interleaved
save for save with ours (so noise moves both). Real fsync/fdatasync while measuring.
Prints median, p99 and max of each (a checkpoint stall shows in p99/max), and how many single
saves took over 20 ms. Targets: median ratio <= 2; no save over 20 ms in 5,000.
Run: python bench/save.py [--years N] [--saves 5000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import add_years, load_note, ratio_line, spread  # noqa: E402
from build_store import build, describe, working_copy  # noqa: E402

from selfassess.core.catalogue import load_catalogue  # noqa: E402
from selfassess.core.clock import Clock  # noqa: E402
from selfassess.core.workspace import Workspace  # noqa: E402
from selfassess.paths import bundled_frameworks_dir  # noqa: E402
from selfassess.storage import store as store_module  # noqa: E402
from selfassess.storage import ui_state  # noqa: E402
from selfassess.storage.store import Store  # noqa: E402

SLOW = 0.020


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_years(parser)
    parser.add_argument("--dir", type=Path, default=None, help="Folder on the disk to measure (default: a temporary folder).")
    parser.add_argument("--saves", type=int, default=5000)
    args = parser.parse_args()
    built = build(args.years, edits_per_year=args.edits_per_year)
    print(describe(built))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        home = working_copy(built, folder / "home")
        # A store of realistic age is at rest on the disk: the copy just made is hundreds of MB
        # not yet written back, which the first fdatasync of the log would otherwise pay for.
        os.sync()
        t0 = time.perf_counter()
        store = Store(home / "store")
        opened = time.perf_counter() - t0
        ws = Workspace(store, load_catalogue(bundled_frameworks_dir(), []), "bench", Clock())
        assessment = ws.assessment(built.current)
        questions = [q.id for q in ws.framework(assessment).questions()]  # warm: framework read once per session
        import selfassess.core.rounds  # noqa: F401  # as the app's assessment screen has, before any key press
        # The home screen's summaries of every year, kept as the app keeps them while it is open: a
        # save must not pay for how many years are kept.
        ws.summaries(ws.assessments())
        # Everything a key press writes: the answer, and the resume position as the app keeps it.
        position = ui_state.Keeper(home)
        # Measured saves are durable: the building stubs (build_store._no_sync) are gone by now.
        assert store_module.io.fsync is store_module.os.fsync, "measured saves must fsync"
        assert store_module.io.fdatasync is getattr(store_module.os, "fdatasync", store_module.os.fsync), \
            "measured saves must fdatasync"
        db = sqlite3.connect(folder / "floor.sqlite", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE answers (id TEXT PRIMARY KEY, rating TEXT, evidence TEXT)")
        ours, floor = [], []
        state = home / "store" / "state.json"
        checkpoints: set[int] = set()  # the saves that wrote a checkpoint (state.json replaced)
        seen = state.stat().st_mtime_ns
        for i in range(args.saves):
            q = questions[i % len(questions)]
            t = time.perf_counter()
            ws.answer(assessment.id, q, rating=str(1 + (i + 1) % 4), evidence=f"Updated evidence {i}")
            position.keep({"screen": "assessment", "assessment": assessment.id, "questions": {assessment.id: q}})
            ours.append(time.perf_counter() - t)
            now = state.stat().st_mtime_ns  # outside the timed part
            if now != seen:
                checkpoints.add(i)
                seen = now
            t = time.perf_counter()
            db.execute("BEGIN")
            db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?)", (f"q{i % 300}", str(i % 4), f"Updated evidence {i}"))
            db.execute("COMMIT")
            floor.append(time.perf_counter() - t)
        db.close()
        t0 = time.perf_counter()
        store.close()
        closed = time.perf_counter() - t0
    print(load_note())
    print(f"open the store (writer): {opened * 1000:.0f} ms; close (checkpoint and backup): {closed * 1000:.0f} ms")
    print(spread("ours  (answer save)", ours))
    print(spread("floor (SQLite WAL FULL)", floor))
    print(f"saves over {SLOW * 1000:.0f} ms: ours {sum(t > SLOW for t in ours)} of {len(ours)}, "
          f"floor {sum(t > SLOW for t in floor)} of {len(floor)}")
    # The checkpoint stall: the saves that also rewrote the state, beside the slowest of the others.
    stalls = [ours[i] for i in sorted(checkpoints)]
    if stalls:
        print(f"checkpoint stall: {len(stalls)} save(s) wrote a checkpoint: "
              + ", ".join(f"save {i + 1} took {ours[i] * 1000:.0f} ms" for i in sorted(checkpoints)))
    others = [t for i, t in enumerate(ours) if i not in checkpoints]
    if others:
        print(spread("ours, saves that wrote no checkpoint", others))
    print(ratio_line(statistics.median(ours), statistics.median(floor), "ms"))


if __name__ == "__main__":
    main()
