"""`selfassess indicators import` reading a generated 2,000,000-row extract (one row per pathway: IMD
decile, ethnic category code, age, sex, period and two measure columns), against a bare DuckDB GROUP BY
of the same file on the same columns, each run as its own child process, interleaved; time and peak
memory (ru_maxrss of that child, from wait4).

Ours is the whole import path short of the store: the file's SHA-256, the NHS-number check of a sample,
the aggregation with its checks (negative, fractional, unreadable, numerator above denominator) and the
mapping of codes to groups. The floor is what any aggregation of the file must do: read it and group it.

Targets: time ratio <= 1.5; peak memory <= 600 MB.
Run: python bench/indicators.py [--rows 2000000] [--runs 5] [--format csv|parquet]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_note, ratio_line, spread  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WAIT18, CANCER = "elective.waiting-over-18-weeks", "adults.cancer-early-stage"

OURS = r"""
import sys
from pathlib import Path
from selfassess.core import indicator_data, indicator_set
iset = indicator_set.load_file(Path(sys.argv[2]))
x = indicator_data.read_extract(Path(sys.argv[1]), iset)
print("ours: %d rows, %d cells" % (x.rows, sum(len(c) for c in x.cells.values())))
"""

FLOOR = r"""
import sys, duckdb
con = duckdb.connect(config={"threads": 2, "memory_limit": "400MB"})
con.execute("SET enable_progress_bar = false")
src = "read_parquet" if sys.argv[1].endswith(".parquet") else "read_csv"
rows = con.execute(f"SELECT imd_decile, ethnic_category, age, sex, period, SUM(\"%s\"), SUM(\"%s\"), COUNT(*) "
                   f"FROM {src}(?) GROUP BY ALL" % (sys.argv[2], sys.argv[3]), [sys.argv[1]]).fetchall()
print("floor: %d groups" % len(rows))
"""


def generate(path: Path, rows: int) -> None:
    import duckdb

    codes = "['A','B','C','D','E','F','G','H','J','K','L','M','N','P','R','S','Z','99']"
    fmt = "(FORMAT parquet)" if path.suffix == ".parquet" else "(HEADER, DELIMITER ',')"
    con = duckdb.connect()
    con.execute("SELECT setseed(0.17)")
    con.execute(f"""
        COPY (SELECT 1 + (random() * 10)::INT % 10 AS imd_decile,
                     {codes}[1 + (random() * 18)::INT % 18] AS ethnic_category,
                     (random() * 100)::INT AS age,
                     ['1','2','1','2','9','X'][1 + (random() * 6)::INT % 6] AS sex,
                     '2025/26' AS period,
                     (random() < 0.3)::INT AS "{WAIT18}",
                     (random() < 0.5)::INT AS "{CANCER}"
              FROM range({rows})) TO '{path}' {fmt}""")
    con.close()


def child(argv: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO)
    assert proc.stdout is not None
    out = proc.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[:3]} failed: {out[-2000:]}")
    return time.perf_counter() - start, usage.ru_maxrss, out.strip().splitlines()[-1] if out.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm", type=int, default=1)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-indicators-") as tmp:
        path = Path(tmp) / f"extract.{args.format}"
        generate(path, args.rows)
        print(f"extract: {args.rows:,} rows, {path.stat().st_size / 2**20:.0f} MiB {args.format}")
        iset = REPO / "frameworks" / "indicators" / "nhse-health-inequalities-information.yaml"
        cmds = {"ours": [sys.executable, "-c", OURS, str(path), str(iset)],
                "floor": [sys.executable, "-c", FLOOR, str(path), WAIT18, CANCER]}
        times: dict[str, list[float]] = {"ours": [], "floor": []}
        memory: dict[str, list[int]] = {"ours": [], "floor": []}
        said: dict[str, str] = {}
        for run in range(args.warm + args.runs):
            for name, cmd in cmds.items():
                elapsed, peak, said[name] = child(cmd)
                if run >= args.warm:
                    times[name].append(elapsed)
                    memory[name].append(peak)
    print(load_note())
    print(said["ours"], "|", said["floor"])
    print(spread("ours  (read_extract)", times["ours"], "s"))
    print(spread("floor (DuckDB GROUP BY)", times["floor"], "s"))
    print(f"peak memory: ours {max(memory['ours']) / 1024:.0f} MiB, floor {max(memory['floor']) / 1024:.0f} MiB")
    print(ratio_line(statistics.median(times["ours"]), statistics.median(times["floor"]), "s"))


if __name__ == "__main__":
    main()
