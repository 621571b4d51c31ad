"""Import, verify and compare 200 generated submissions, then 400, each into a fresh regulator store.

ratio = time(400) / time(200). Target: <= 2.2, so the cost grows linearly with the number of trusts.
Run: python bench/review.py [--small N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

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
        # Vary the ratings so the comparison has something to sort.
        sub["answers"] = [dict(a, rating=["emerging", "developing", "established", "leading"][(i + j) % 4])
                          if a.get("rating") else a for j, a in enumerate(base["answers"])]
        data = bundle.seal(bundle.SUBMISSION, {**files, "submission.json": json.dumps(sub).encode()}, key)
        (out / f"{ods}.selfassess").write_bytes(data)
        registered.append((keys.fingerprint(keys.raw_public(key.public_key())), f"Trust {i:04d}"))
    return registered


def run(folder: Path, bundles: Path, registered: list[tuple[str, str]]) -> float:
    store = Store(folder)
    ws = Workspace(store, load_catalogue(bundled_frameworks_dir(), []), "regulator", Clock(TODAY))
    for fp, name in registered:
        keys.register_key(ws, fp, name)
    start = time.perf_counter()
    service = review.Review(ws, folder.parent)
    results = service.import_bundles([bundles])
    rows = service.compare(sort="overdue").rows
    elapsed = time.perf_counter() - start
    assert all(r.verdict == "genuine" for r in results) and len(rows) == len(registered)
    store.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = template(root / "trust")
        small, large = args.small, 2 * args.small
        reg_small = generate(files, small, root / "small")
        reg_large = generate(files, large, root / "large")
        t_small = run(root / "reg-small" / "store", root / "small", reg_small)
        t_large = run(root / "reg-large" / "store", root / "large", reg_large)
    print(f"{small} submissions: {t_small:.2f}s ({1000 * t_small / small:.1f} ms each); "
          f"{large}: {t_large:.2f}s ({1000 * t_large / large:.1f} ms each)")
    print(f"ratio={t_large / t_small:.2f} ours={t_large:.2f}s floor={t_small:.2f}s")


if __name__ == "__main__":
    main()
