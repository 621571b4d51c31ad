"""Export an assessment of 200 answered questions and 1,000 actions to Excel and PDF.

Floor: the bare libraries writing the same cells (openpyxl, no styles, tables or validation) and
the same paragraphs (reportlab, plain paragraphs, no tables, chart, fonts or page furniture),
in the same run. Target: ratio <= 1.5.
Run: python bench/reports.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median_time, ratio_line  # noqa: E402
from load import generate  # noqa: E402

from selfassess.core import framework as fw  # noqa: E402
from selfassess.core.catalogue import Catalogue  # noqa: E402
from selfassess.core.clock import Clock  # noqa: E402
from selfassess.core.workspace import Workspace  # noqa: E402
from selfassess.reports.data import ReportData, gather  # noqa: E402
from selfassess.reports.export import render  # noqa: E402
from selfassess.storage import store as store_module  # noqa: E402
from selfassess.storage.store import Store  # noqa: E402


def build(folder: Path) -> ReportData:
    framework = fw.parse(generate(200, per_domain=25), "bench.yaml")
    cat = Catalogue()
    cat.add(framework, "user")
    store_module.io.fdatasync = lambda fd: None  # building the fixture need not be durable
    store = Store(folder)
    ws = Workspace(store, cat, "bench", Clock(date(2026, 11, 23)))
    a = ws.new_assessment("Bench Hospitals NHS Foundation Trust", framework.id, "2026/27", ods_code="BEN").assessment
    questions = [q.id for q in framework.questions()]
    for i, q in enumerate(questions):
        ws.answer(a.id, q, rating=str(1 + i % 4), evidence=f"Evidence for {q}: board minutes, dashboard and terms of reference.",
                  notes=f"Reviewed at committee; follow-up {i}.")
    for i in range(1000):
        action = ws.add_action(a.id, [questions[i % 200]], f"Action {i}: agree and deliver an improvement for question {i % 200}",
                               f"Owner {i % 17}", (date(2026, 4, 1) + timedelta(days=i % 400)).isoformat(),
                               owner_role="Director")
        if i % 3 == 0:
            ws.update_action(action.id, status="on_track", note=f"Progress note {i}")
    data = gather(ws, ws.assessment(a.id))
    store.close()
    return data


def floor_xlsx(data: ReportData) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    plan = wb.active
    for x in data.actions:
        plan.append([x.ref, x.domain_title, f"{x.question_refs} {x.question}", x.title, x.owner, x.owner_role,
                     x.original_due, x.current_due, x.status_label, x.rag, x.slippage_days, x.last_update])
    answers = wb.create_sheet("Answers")
    for r in data.answers:
        answers.append([r.ref, r.domain_title, r.question, r.rating, r.na_reason, r.evidence, r.notes, r.assurance,
                        r.state, r.updated_by, r.updated_at])
    summary = wb.create_sheet("Summary")
    for d in data.domains:
        summary.append([d.ref, d.title, d.questions, d.complete, d.percent, d.level])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def floor_pdf(data: ReportData, font: str = "DejaVuSans") -> bytes:
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from selfassess.reports.pdf import _fonts

    _fonts()  # the same embedded Unicode font: Helvetica cannot even write the same characters
    style = ParagraphStyle("floor", parent=getSampleStyleSheet()["Normal"], fontName=font)
    # The same paragraphs the report has: one per piece of text, with no tables, chart,
    # font fallback, page furniture or styles.
    texts = [f"{d.ref} {d.title} {d.percent}" for d in data.domains]
    for x in data.actions:
        texts += [x.ref, x.title + " " + x.last_update, f"{x.owner} {x.owner_role}", str(x.current_due), x.status_label, x.rag]
    for r in data.answers:
        texts += [f"{r.ref} {r.question}", f"{r.rating} {r.assurance} {r.state}", r.evidence, r.notes]
    for d in data.domains:
        texts += [f"{r.ref} {r.question} {r.rating} {r.evidence}" for r in d.strengths + d.gaps]
    story = [Paragraph(escape(t), style) for t in texts]
    out = io.BytesIO()
    SimpleDocTemplate(out).build(story)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = build(Path(tmp) / "store")
    print(f"{len(data.answers)} answers, {len(data.actions)} actions; median of {args.runs} runs each")
    render(data, "pdf")  # warm: fonts registered once per process, for both
    floor_pdf(data)
    # Interleaved, so both sides see the same machine (other work on it moves both together).
    samples: dict[str, list[float]] = {"ours_x": [], "floor_x": [], "ours_p": [], "floor_p": []}
    jobs = {"ours_x": lambda: render(data, "xlsx"), "floor_x": lambda: floor_xlsx(data),
            "ours_p": lambda: render(data, "pdf"), "floor_p": lambda: floor_pdf(data)}
    for _ in range(args.runs):
        for name, job in jobs.items():
            samples[name].append(median_time(job, 1))
    ours_x, floor_x, ours_p, floor_p = (statistics.median(samples[k]) for k in ("ours_x", "floor_x", "ours_p", "floor_p"))
    print(f"xlsx: ours {ours_x:.2f}s, floor {floor_x:.2f}s, ratio {ours_x / floor_x:.2f}")
    print(f"pdf:  ours {ours_p:.2f}s, floor {floor_p:.2f}s, ratio {ours_p / floor_p:.2f}")
    helvetica = median_time(lambda: floor_pdf(data, "Helvetica"), 3)
    print(f"(for reference, the pdf floor in built-in Helvetica, which cannot draw non-Latin text: {helvetica:.2f}s)")
    print(ratio_line(ours_x + ours_p, floor_x + floor_p, "s"))


if __name__ == "__main__":
    main()
