"""A progress note's cost, and the bytes it appends to audit.log, as an action's history grows.

On a copy of a store of realistic age (bench/build_store.py --years N), a new action on this
year's assessment gets --notes progress notes, one durable save each (real fdatasync). Printed:
time and bytes appended for the 10th note and the last (time: median of the 9 notes ending there,
so one disk hiccup does not decide it), with median/p99/max of the first and last hundred; and
the same for one note on the store's oldest open action (its history spans every year).
Floor: the 10th note of the same action, in the same run. Target: the 1,000th no slower than
1.5x the 10th, and the bytes per note flat.
Run: python bench/notes.py [--years N] [--notes 1000]
"""

from __future__ import annotations

import argparse
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
from selfassess.storage.store import Store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_years(parser)
    parser.add_argument("--notes", type=int, default=1000)
    args = parser.parse_args()
    if args.notes < 20:
        parser.error("--notes: expected at least 20")
    built = build(args.years, edits_per_year=args.edits_per_year)
    print(describe(built))
    with tempfile.TemporaryDirectory() as tmp:
        home = working_copy(built, Path(tmp) / "home")
        store = Store(home / "store")
        log = home / "store" / "audit.log"
        ws = Workspace(store, load_catalogue(bundled_frameworks_dir(), []), "bench", Clock())
        assessment = ws.assessment(built.current)
        question = next(iter(ws.framework(assessment).questions())).id
        # The store's longest-lived open action (carried forward every year with its history).
        oldest = max((x for x in ws.actions(assessment.id) if not x.closed), key=lambda x: len(x.updates))
        action = ws.add_action(assessment.id, [question], "Benchmark action", "Owner", "2027-03-31")
        times, sizes = [], []
        for i in range(args.notes):
            before = log.stat().st_size
            t = time.perf_counter()
            ws.update_action(action.id, note=f"Progress note {i + 1}: met the lead, agreed the next step, dashboard updated.")
            times.append(time.perf_counter() - t)
            sizes.append(log.stat().st_size - before)
        old_times, old_sizes = [], []
        for i in range(9):
            before = log.stat().st_size
            t = time.perf_counter()
            ws.update_action(oldest.id, note=f"Benchmark note {i} on the oldest action.")
            old_times.append(time.perf_counter() - t)
            old_sizes.append(log.stat().st_size - before)
        store.close()
    tenth, last = statistics.median(times[1:10]), statistics.median(times[-9:])
    print(load_note())
    print(spread("first 100 notes", times[:100]))
    print(spread(f"last 100 notes (to note {args.notes})", times[-100:]))
    print(f"note 10: {tenth * 1000:.2f} ms, {sizes[9]:,} bytes appended; note {args.notes}: {last * 1000:.2f} ms, "
          f"{sizes[-1]:,} bytes appended (bytes ratio {sizes[-1] / sizes[9]:.1f}); "
          f"audit.log grew {sum(sizes) / 1e6:.1f} MB for {args.notes} notes")
    print(f"oldest open action ({len(oldest.updates)} updates in its history): a note takes "
          f"{statistics.median(old_times) * 1000:.2f} ms median, appends {statistics.median(old_sizes):,.0f} bytes")
    print(ratio_line(last, tenth, "ms"))


if __name__ == "__main__":
    main()
