"""A second copy of selfassess in a process of its own: answers questions when told, says 'ack' after each.

Reads lines 'QUESTION_ID EVIDENCE' on stdin; the parent runs its own Workspace on the same store meanwhile.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers import open_workspace


def main() -> None:
    folder, assessment = Path(sys.argv[1]), sys.argv[2]
    store, ws = open_workspace(folder, actor="Jo Script")
    print("open", flush=True)
    for line in sys.stdin:
        qid, evidence = line.rstrip("\n").split(" ", 1)
        ws.answer(assessment, qid, evidence=evidence)
        print(f"ack {qid}", flush=True)
    store.close()


if __name__ == "__main__":
    main()
