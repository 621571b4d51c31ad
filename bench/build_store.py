"""Build (or reuse) a store of realistic age, through the project's own API, for the benchmarks.

A trust that has kept selfassess for N years: one assessment a year of the bundled board
framework, each year started from the last with `new_assessment(..., from_handle=...)` (answers
carried forward for review, open actions carried with their history) and signed off by the
board before the next begins (and, as the app does at its next open, last year's progress notes
then kept in a closed file of their own: Workspace.close_finished_years); the last year is the one in progress, with a full year's work.
Each year has about --edits-per-year events: 300 answer saves (every question at least once,
then re-ratings; the framework has 43 questions, so answers are edited repeatedly to make the
count), evidence and notes typed in (saved as the user types), about 150 open actions with
progress notes, status changes (some closed as done or dropped) and due dates moved; most of
the edits are typed evidence and notes, as the app saves while the user types. Five
actions of the first year are never closed, so their history grows for the store's whole life.

fsync and fdatasync are stubbed only while building (the store's injectable io object), never
while measuring. Stores are cached by their parameters under /tmp/selfassess-bench-stores
(years-N, or years-N-eE for other edit counts; $SELFASSESS_BENCH_STORES moves it): a build of
N years starts from a copy of the largest cached store of fewer years with the same parameters,
so building 1, 10 and 20 years costs one 20-year build.

Run: python bench/build_store.py --years N [--out DIR] [--edits-per-year 10000]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from selfassess.core.catalogue import load_catalogue
from selfassess.core.clock import Clock
from selfassess.core.model import period_of
from selfassess.core.workspace import Workspace
from selfassess.paths import bundled_frameworks_dir
from selfassess.storage import store as store_module
from selfassess.storage.store import Store

BUILDER = 4  # bump when what a year holds changes, so old cached stores are not reused
FIRST_YEAR = 2007  # year 20 is 2026/27
FRAMEWORK = "board-health-inequalities"
TRUST, ODS = "Bench Valley Hospitals NHS Foundation Trust", "BVH"
ANSWER_SAVES = 300
OPEN_ACTIONS = 150
PERENNIAL = 5  # first-year actions never closed: their history spans every year
DEFAULT_ROOT = Path(os.environ.get("SELFASSESS_BENCH_STORES", "/tmp/selfassess-bench-stores"))
OWNERS = ["Priya Raman", "James Okoro", "Helen Marsh", "David Chen", "Sarah Whitfield", "Dr Amina Yusuf"]
WORDS = (  # noqa: SIM905
    "board minutes committee dashboard deprivation quintile ethnicity coding waiting list outpatient "
         "missed appointments community partners anchor workforce recruitment local authority plan review "
         "audit report evidence assurance impact assessment population health data completeness").split()


@dataclass(frozen=True)
class BuiltStore:
    home: Path  # use as SELFASSESS_HOME: the store is home/"store"
    meta: dict[str, Any]

    @property
    def store(self) -> Path:
        return self.home / "store"

    @property
    def current(self) -> str:
        """The id of this year's assessment (in progress)."""
        return str(self.meta["current_assessment"])


def cache_name(years: int, edits_per_year: int) -> str:
    return f"years-{years}" if edits_per_year == 10_000 else f"years-{years}-e{edits_per_year}"


def _fingerprint(edits_per_year: int) -> dict[str, Any]:
    return {"builder": BUILDER, "store_format": store_module.FORMAT, "edits_per_year": edits_per_year}


def _valid(folder: Path, edits_per_year: int) -> dict[str, Any] | None:
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    return meta if all(meta.get(k) == v for k, v in _fingerprint(edits_per_year).items()) else None


@contextlib.contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """One builder at a time (two benchmarks started together must not build the same store twice)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build-lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def _no_sync() -> Iterator[None]:
    io = store_module.io
    saved = io.fsync, io.fdatasync
    io.fsync = io.fdatasync = lambda fd: None  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        io.fsync, io.fdatasync = saved  # type: ignore[method-assign]


def _text(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


class _Builder:
    def __init__(self, folder: Path, edits_per_year: int, meta: dict[str, Any] | None):
        self.store = Store(folder)
        self.ws = Workspace(self.store, load_catalogue(bundled_frameworks_dir(), []), "bench-builder")
        self.edits = edits_per_year
        self.meta = meta or {"years": 0, "assessments": [], "perennial": []}

    def _day(self, year: int, i: int) -> None:
        day = date(year, 4, 1) + timedelta(days=min(364, i * 365 // self.edits))
        self.ws.clock = Clock(day, f"{day.isoformat()}T10:{i // 60 % 60:02d}:{i % 60:02d}Z")

    def year(self, n: int) -> None:
        start = FIRST_YEAR + n - 1
        rng = random.Random(f"bench-year-{n}")
        ws = self.ws
        self._day(start, 0)
        before = self.store.head[0]
        if self.meta["assessments"]:
            prev = self.meta["assessments"][-1]
            ws.sign_off(prev, [("Margaret Ellison", "Chair"), ("Richard Osei", "Chief Executive")],
                        meeting=f"Public board, {start} item 9", on=f"{start}-03-31", agree_drafts=True)
            a = ws.new_assessment(TRUST, None, period_of(start), from_handle=prev).assessment
            ws.close_finished_years()  # as the app does at the next open: last year's notes to a closed file
        else:
            a = ws.new_assessment(TRUST, FRAMEWORK, period_of(start), ods_code=ODS).assessment
        self.meta["assessments"].append(a.id)
        framework = ws.framework(a)
        questions = [q.id for q in framework.questions()]
        open_actions = [x.id for x in ws.actions(a.id) if not x.closed]
        perennial = set(self._perennial(a.id))
        # The year's plan of events, shuffled so kinds interleave as a real year's work does.
        added = max(0, OPEN_ACTIONS - len(open_actions))
        text_edits, status, due = int(0.70 * self.edits), int(0.05 * self.edits), int(0.03 * self.edits)
        notes = self.edits - 2 - ANSWER_SAVES - text_edits - status - due - added
        plan = (["answer"] * (ANSWER_SAVES - len(questions)) + ["text"] * text_edits + ["status"] * status
                + ["due"] * due + ["note"] * notes + ["add"] * added)
        rng.shuffle(plan)
        plan = ["answer:" + q for q in questions] + plan  # every question answered (or reviewed) first
        evidence: dict[str, str] = {}
        for i, kind in enumerate(plan):
            if i % 50 == 0:
                self._day(start, i)
            if kind.startswith("answer"):
                q = kind.split(":", 1)[1] if ":" in kind else rng.choice(questions)
                evidence[q] = _text(rng, 20, 60)
                ws.answer(a.id, q, rating=str(rng.randint(1, 4)), evidence=evidence[q] + f" ({i})",
                          assurance=rng.choice(["self_asserted", "evidenced", "independently_verified"]))
            elif kind == "text":  # typing: each save a little more text, evidence or notes
                q = rng.choice(questions)
                evidence[q] = evidence.get(q, "") + " " + _text(rng, 3, 12)
                if rng.random() < 0.7:
                    ws.answer(a.id, q, evidence=evidence[q][-1000:] + f" ({i})")
                else:
                    ws.answer(a.id, q, notes=_text(rng, 10, 40) + f" ({i})")
            elif kind == "add" or not open_actions:
                x = ws.add_action(a.id, [rng.choice(questions)], "Deliver: " + _text(rng, 5, 12), rng.choice(OWNERS),
                                  (date(start, 4, 1) + timedelta(days=rng.randint(90, 720))).isoformat(),
                                  owner_role="Director", description=_text(rng, 8, 20))
                open_actions.append(x.id)
                if n == 1 and len(self.meta["perennial"]) < PERENNIAL:
                    self.meta["perennial"].append(x.id)
                    perennial.add(x.id)
            else:
                handle = rng.choice(open_actions)
                if kind == "note":
                    ws.update_action(handle, note=_text(rng, 6, 16) + f" ({i})")
                elif kind == "due":
                    current = date.fromisoformat(ws.action(handle).current_due)
                    ws.update_action(handle, due=(current + timedelta(days=rng.randint(14, 90))).isoformat(),
                                     note="Moved: " + _text(rng, 4, 10))
                else:
                    x = ws.action(handle)
                    closable = handle not in perennial
                    # About 60% of open actions close each year (lives of a year or two); the rest move between states.
                    if closable and rng.random() < 0.18:
                        ws.update_action(handle, status="done" if rng.random() < 0.85 else "dropped",
                                         note="Closed: " + _text(rng, 4, 10))
                        open_actions.remove(handle)
                    else:
                        choices = [s for s in ("on_track", "at_risk", "off_track") if s != x.status]
                        ws.update_action(handle, status=rng.choice(choices))
        self.meta["years"] = n
        self.meta["year_events"] = self.store.head[0] - before

    def _perennial(self, assessment_id: str) -> list[str]:
        """This year's copies of the never-closed first-year actions (followed through carried_from)."""
        if not self.meta["perennial"]:
            return []
        found = []
        for x in self.ws.actions(assessment_id):
            origin: Any = x
            while origin is not None and origin.carried_from:
                origin = self.ws.action(origin.carried_from)
            if origin is not None and origin.id in self.meta["perennial"]:
                found.append(x.id)
        return found

    def close(self) -> None:
        self.meta["events"] = self.store.head[0]
        self.meta["current_assessment"] = self.meta["assessments"][-1]
        self.store.close()


def build(years: int, *, edits_per_year: int = 10_000, root: Path = DEFAULT_ROOT, out: Path | None = None,
          quiet: bool = False) -> BuiltStore:
    """The cached store of this age (built if need be, from the largest younger one)."""
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    final = out or root / cache_name(years, edits_per_year)
    meta = _valid(final, edits_per_year)  # cached stores are complete (renamed into place): no lock needed
    if meta is not None and meta["years"] == years:
        return BuiltStore(final, meta)
    with _build_lock(root):
        meta = _valid(final, edits_per_year)
        if meta is not None and meta["years"] == years:
            return BuiltStore(final, meta)
        start_meta, base = None, None
        for k in range(years - 1, 0, -1):
            younger = root / cache_name(k, edits_per_year)
            start_meta = _valid(younger, edits_per_year)
            if start_meta is not None:
                base = younger
                break
        work = final.with_name(f".building-{final.name}-{os.getpid()}")
        shutil.rmtree(work, ignore_errors=True)
        if base is not None:
            say(f"building {years} years from a copy of {base.name}")
            shutil.copytree(base, work)
        else:
            work.mkdir(parents=True)
        t0 = time.perf_counter()
        with _no_sync():
            builder = _Builder(work / "store", edits_per_year, start_meta)
            for n in range(builder.meta["years"] + 1, years + 1):
                t = time.perf_counter()
                builder.year(n)
                say(f"  year {n}: {builder.meta['year_events']:,} events in {time.perf_counter() - t:.1f}s "
                    f"(log {(work / 'store' / 'audit.log').stat().st_size / 1e6:.0f} MB)")
            builder.close()
        meta = builder.meta
        elapsed = time.perf_counter() - t0
        meta.update(_fingerprint(edits_per_year))
        meta["build_seconds"] = round(elapsed + (start_meta or {}).get("build_seconds", 0.0), 1)
        meta["state_bytes"] = (work / "store" / "state.json").stat().st_size
        meta["log_bytes"] = (work / "store" / "audit.log").stat().st_size
        (work / "meta.json").write_text(json.dumps(meta, indent=1))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(work, final)
        return BuiltStore(final, meta)


def working_copy(built: BuiltStore, dest: Path) -> Path:
    """A private copy of a built store's home, for benchmarks that write (the cache stays as built)."""
    shutil.copytree(built.home, dest, ignore=shutil.ignore_patterns("backups"))
    return dest


def describe(built: BuiltStore) -> str:
    m = built.meta
    return (f"store: {m['years']} year(s), {m['events']:,} events, state.json {m['state_bytes'] / 1e6:.1f} MB, "
            f"audit.log {m['log_bytes'] / 1e6:.1f} MB (built in {m['build_seconds']:.0f}s, cached at {built.home})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, required=True)
    parser.add_argument("--out", type=Path, default=None, help="Build here instead of the cache (not reused).")
    parser.add_argument("--edits-per-year", type=int, default=10_000)
    args = parser.parse_args()
    if args.years < 1 or args.years > 90:
        parser.error("--years: expected 1 to 90")
    if args.edits_per_year < 1000:
        parser.error("--edits-per-year: expected at least 1000 (a year's answers and actions alone take about 500)")
    t0 = time.perf_counter()
    built = build(args.years, edits_per_year=args.edits_per_year, out=args.out)
    print(describe(built))
    print(f"this run: {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
