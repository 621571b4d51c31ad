"""A child process that saves numbered records and says 'ack N' after each one is durable.

Used by the crash and concurrency tests: the parent kills it at random moments, or runs two at once.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from selfassess.core.audit import Change
from selfassess.storage import store as store_module
from selfassess.storage.store import Store

WHEN = "2026-11-23T10:00:00Z"


def save(store: Store, key: str, rng: random.Random) -> None:
    before = store.get("records", key)
    # Sizes vary so that kills land in short and long writes alike.
    after = {"id": key, "payload": "x" * rng.choice([10, 200, 5000, 40000])}
    store.commit("record.put", "child", f"put {key}", [Change("records", key, before, after)], WHEN)


def main() -> None:
    folder, prefix, count, mode = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    store_module.CHECKPOINT_EVERY = 7  # checkpoint often, so kills land inside checkpoints too
    rng = random.Random()
    if mode == "crash":  # one long session, killed from outside
        store = Store(folder, wait=30)
        print("open", flush=True)
        for n in range(count):
            save(store, f"{prefix}-{n}", rng)
            print(f"ack {prefix}-{n}", flush=True)
            if rng.random() < 0.05:
                store.checkpoint()
        store.close()
    else:  # many short sessions, competing with another process for the lock
        for n in range(count):
            with Store(folder, wait=60) as store:
                save(store, f"{prefix}-{n}", rng)
            print(f"ack {prefix}-{n}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()
