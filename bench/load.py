"""Load and validate a generated framework of 2,000 questions, against PyYAML's C loader.

Floor: yaml.load(text, Loader=yaml.CSafeLoader) of the same file, interleaved run for run; also
printed, as a second reference, the C event stream alone (yaml.parse with CParser), which is what
a loader built on events reads. Median, p99 and max of each. Target: ratio <= 2.
Run: python bench/load.py [--questions N] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import interleave, load_note, ratio_line, spread  # noqa: E402

from selfassess.core import framework as fw  # noqa: E402


def generate(questions: int, per_domain: int = 100) -> str:
    out = [
        "format: 1", "id: generated", 'version: "1.0"', "title: Generated benchmark framework", "publisher: bench",
        "sources:", "  - id: doc", "    title: A source document",
        "scales:", "  - id: maturity", "    title: Maturity", "    gap_at_or_below: 2", "    levels:",
    ]
    for i, key in enumerate(["emerging", "developing", "established", "leading"], start=1):
        out += [f"      - key: {key}", f"        label: {key.title()}", f"        score: {i}",
                f"        description: What {key} looks like in general terms for a board."]
    out.append("domains:")
    for d in range(0, questions, per_domain):
        dn = d // per_domain + 1
        out += [f"  - id: domain-{dn}", f'    ref: "{dn}"', f"    title: Domain number {dn}",
                "    description: >-", "      A domain of generated questions for the load benchmark.", "    questions:"]
        for q in range(d, min(d + per_domain, questions)):
            out += [
                f"      - id: d{dn}.q{q}", f'        ref: "{dn}.{q - d + 1}"',
                f"        text: Does the board do thing number {q} well, with evidence and follow-through?",
                "        guidance: >-",
                "          Judge whether the arrangement is in place, used routinely, and improving outcomes",
                "          for the groups with the worst health, and whether the board sees it working.",
                "        evidence_expected:", "          - Board minutes", "          - A dashboard split by deprivation",
                "        suggested_actions:", f"          - Agree an action for thing {q} at the board",
                "        levels:", "          emerging: Nothing in place.", "          leading: Embedded and improving.",
                "        source:", "          document: doc", "          section: Somewhere",
                "        tags: [generated, bench]",
            ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if not yaml.__with_libyaml__:
        sys.exit("PyYAML was built without libyaml: the floor (the C loader) is not available here")
    from yaml.cyaml import CParser

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.yaml"
        path.write_text(generate(args.questions), encoding="utf-8")
        loaded = fw.load_file(path)
        assert loaded.question_count == args.questions

        def events() -> None:
            for _ in yaml.parse(path.read_text(encoding="utf-8"), Loader=CParser):
                pass

        samples = interleave({
            "ours": lambda: fw.load_file(path),
            "floor": lambda: yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader),
            "events": events,
        }, args.runs)
        print(f"file: {path.stat().st_size:,} bytes, {args.questions} questions, {args.runs} interleaved runs")
        print(load_note())
        print(spread("ours  (load and validate)", samples["ours"]))
        print(spread("floor (yaml.load, CSafeLoader)", samples["floor"]))
        ours, c_events = statistics.median(samples["ours"]), statistics.median(samples["events"])
        print(spread("reference: the C event stream alone (yaml.parse, CParser)", samples["events"])
              + f"  ours/that = {ours / c_events:.2f}")
        print(ratio_line(ours, statistics.median(samples["floor"]), "ms"))


if __name__ == "__main__":
    main()
