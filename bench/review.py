"""Import, verify and compare 500, 1,000 and 2,000 generated submissions (one key per trust), each
into a fresh regulator store, against a floor of reading, hashing and verifying the same bundles
(read the file, SHA-256, Ed25519 verify, unzip, json.loads; framework copies cached by their
checked hash). Sizes and sides interleaved over --runs repetitions; median, p99 and max per size,
and the growth ratio time(2000)/time(1000) (2.0 is linear).
Last line: ours against the floor at the largest size.
Run: python bench/review.py [--sizes 500,1000,2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_note, ratio_line, spread  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey  # noqa: E402

from selfassess.core.catalogue import load_catalogue  # noqa: E402
from selfassess.core.clock import Clock  # noqa: E402
from selfassess.core.demo import create_demo  # noqa: E402
from selfassess.core.workspace import Workspace  # noqa: E402
from selfassess.paths import bundled_frameworks_dir  # noqa: E402
from selfassess.storage.store import Store  # noqa: E402
from selfassess.submission import bundle, keys, review  # noqa: E402
from selfassess.submission.submit import prepare, submission_files  # noqa: E402

TODAY = date(2026, 11, 23)


def template(folder: Path) -> dict[str, bytes]:
    """One real submission's files (from the demo trust), to vary per generated trust."""
    store = Store(folder)
    ws = Workspace(store, load_catalogue(bundled_frameworks_dir(), []), "bench", Clock(TODAY))
    last, _ = create_demo(ws)
    files = submission_files(prepare(ws, last.id))
    store.close()
    return files


def generate(files: dict[str, bytes], n: int, out: Path) -> list[tuple[str, str]]:
    """n trusts, each with its own key and a first submission; returns (fingerprint, name) to register."""
    out.mkdir(parents=True, exist_ok=True)
    base = json.loads(files["submission.json"])
    registered = []
    for i in range(n):
        key = Ed25519PrivateKey.generate()
        sub = dict(base)
        ods = f"R{i:04d}"
        sub["organisation"] = dict(base["organisation"], name=f"Trust {i:04d} NHS Foundation Trust", ods_code=ods)
        # The answers stay as they are: the regulator checks a submission's figures against them.
        data = bundle.seal(bundle.SUBMISSION, {**files, "submission.json": json.dumps(sub).encode()}, key)
        (out / f"{ods}.selfassess").write_bytes(data)
        registered.append((keys.fingerprint(keys.raw_public(key.public_key())), f"Trust {i:04d}"))
    return registered


def run(folder: Path, bundles: Path, registered: list[tuple[str, str]]) -> tuple[float, float]:
    """(first import, verify and compare; the same folder imported again), in seconds."""
    shutil.rmtree(folder.parent, ignore_errors=True)
    store = Store(folder)
    ws = Workspace(store, load_catalogue(bundled_frameworks_dir(), []), "regulator", Clock(TODAY))
    for fp, name in registered:
        keys.register_key(ws, fp, name)
    start = time.perf_counter()
    service = review.Review(ws, folder.parent)
    results = service.import_bundles([bundles])
    rows = service.compare(sort="overdue").rows
    elapsed = time.perf_counter() - start
    verdicts = {r.verdict for r in results}
    assert verdicts == {"genuine"} and len(rows) == len(registered), (results[:1], len(rows), len(registered))
    start = time.perf_counter()  # a folder imported again: only new or changed files are checked
    again = review.Review(ws, folder.parent).import_bundles([bundles])
    reimport = time.perf_counter() - start
    assert {r.verdict for r in again} == {"already imported"}
    store.close()
    return elapsed, reimport


def floor(bundles: Path, trusted: set[str]) -> float:
    """Reading, hashing and verifying the same bundles: read the file, SHA-256 of the payload, the
    Ed25519 signature, unzip, json.loads of each JSON file; a framework copy is parsed once per hash."""
    start = time.perf_counter()
    frameworks: dict[str, object] = {}
    parsed = 0
    for path in sorted(bundles.iterdir()):
        data = path.read_bytes()
        end = data.index(b"\n", len(bundle.SUBMISSION))
        header = json.loads(data[len(bundle.SUBMISSION):end])
        payload = data[end + 1:]
        assert hashlib.sha256(payload).hexdigest() == header["payload_sha256"]
        public = base64.b64decode(header["public_key"])
        assert keys.fingerprint(public) in trusted
        unsigned = {k: v for k, v in header.items() if k != "signature"}
        Ed25519PublicKey.from_public_bytes(public).verify(
            base64.b64decode(header["signature"]),
            bundle.SUBMISSION + json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode())
        with zipfile.ZipFile(io.BytesIO(payload)) as z:
            for name in z.namelist():
                content = z.read(name)
                if not name.endswith(".json"):
                    continue
                if name.startswith("framework"):
                    digest = hashlib.sha256(content).hexdigest()
                    if digest not in frameworks:
                        frameworks[digest] = json.loads(content)
                    continue
                json.loads(content)
                parsed += 1
    assert parsed
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="500,1000,2000", help="Numbers of submissions, comma-separated.")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = template(root / "trust")
        registered = generate(files, max(sizes), root / "all")
        everything = sorted((root / "all").iterdir())
        folders = {}
        for n in sizes:  # the first n of the same bundles (hard links: no copying)
            folders[n] = root / f"in-{n}"
            folders[n].mkdir()
            for f in everything[:n]:
                os.link(f, folders[n] / f.name)
        ours: dict[int, list[float]] = {n: [] for n in sizes}
        again: dict[int, list[float]] = {n: [] for n in sizes}
        lean: dict[int, list[float]] = {n: [] for n in sizes}
        trusted = {fp for fp, _ in registered}
        # Interleaved: each repetition runs every size, ours then the floor, in a rotating order
        # (so no size always runs first, on a cold cache, or last).
        for rep in range(args.runs):
            order = sizes[rep % len(sizes):] + sizes[:rep % len(sizes)]
            for n in order:
                first, second = run(root / f"reg-{n}" / "store", folders[n], registered[:n])
                ours[n].append(first)
                again[n].append(second)
                lean[n].append(floor(folders[n], trusted))
    print(load_note())
    for n in sizes:
        o, f = statistics.median(ours[n]), statistics.median(lean[n])
        print(spread(f"{n:5} submissions, ours ", ours[n], "s") + f"  ({1000 * o / n:.1f} ms each)")
        print(spread(f"{n:5} submissions, floor", lean[n], "s") + f"  ({1000 * f / n:.1f} ms each)  ratio {o / f:.2f}")
        a = statistics.median(again[n])
        print(spread(f"{n:5} imported again   ", again[n], "s") + f"  ({100 * a / o:.1f}% of the first import; target < 10%)")
    if len(sizes) >= 2:
        big, mid = sizes[-1], sizes[-2]
        growth = statistics.median(ours[big]) / statistics.median(ours[mid])
        floor_growth = statistics.median(lean[big]) / statistics.median(lean[mid])
        print(f"growth time({big})/time({mid}): ours {growth:.2f}, floor {floor_growth:.2f} (linear: {big / mid:.2f})")
    import resource

    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    n = sizes[-1]
    print(ratio_line(statistics.median(ours[n]), statistics.median(lean[n]), "s"))


if __name__ == "__main__":
    main()
