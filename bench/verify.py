"""`selfassess audit verify` on a store of realistic age, against a bare read-parse-hash loop over
the same audit.log (read each line, json.loads, SHA-256 of the canonical body), each run as its
own child process, interleaved; time and peak memory (ru_maxrss of that child, from wait4).

Targets: time ratio <= 1.5; memory <= 150 MB at 20 years.
Run: python bench/verify.py [--years N] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import add_years, load_note, ratio_line, spread  # noqa: E402
from build_store import build, describe  # noqa: E402

# The floor streams the log: one line in memory at a time, as a verifier need be.
FLOOR = r"""
import hashlib, json, sys
events = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        event = json.loads(line)
        body = {k: v for k, v in event.items() if k != "hash"}
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()
        if digest != event["hash"]:
            sys.exit("bad hash at event %s" % event["seq"])
        events += 1
print("floor: %d events hashed" % events)
"""


def child(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak resident KiB and output of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out = proc.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}): {out[-2000:]}")
    return elapsed, usage.ru_maxrss, out.strip().splitlines()[0] if out.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_years(parser)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm", type=int, default=1, help="Uncounted first runs of each (page cache).")
    args = parser.parse_args()
    built = build(args.years, edits_per_year=args.edits_per_year)
    print(describe(built))
    exe = shutil.which("selfassess") or str(Path(sys.executable).with_name("selfassess"))
    env = dict(os.environ, SELFASSESS_HOME=str(built.home))
    ours_cmd = [exe, "audit", "verify"]  # opens read-only: the cached store is not changed
    floor_cmd = [sys.executable, "-c", FLOOR, str(built.store / "audit.log")]
    times: dict[str, list[float]] = {"ours": [], "floor": []}
    memory: dict[str, list[int]] = {"ours": [], "floor": []}
    said: dict[str, str] = {}
    for run in range(args.warm + args.runs):  # the first of each warms the page cache and is not counted
        for name, cmd in (("ours", ours_cmd), ("floor", floor_cmd)):
            elapsed, peak, said[name] = child(cmd, env)
            if run >= args.warm:
                times[name].append(elapsed)
                memory[name].append(peak)
    print(load_note())
    print(f"ours said: {said['ours']}")
    print(spread("ours  (selfassess audit verify)", times["ours"], "s"))
    print(spread("floor (read, json.loads, sha256)", times["floor"], "s"))
    print(f"peak memory: ours {max(memory['ours']) / 1024:.0f} MiB, floor {max(memory['floor']) / 1024:.0f} MiB "
          f"(audit.log {built.meta['log_bytes'] / 2**20:.0f} MiB)")
    print(ratio_line(statistics.median(times["ours"]), statistics.median(times["floor"]), "s"))


if __name__ == "__main__":
    main()
