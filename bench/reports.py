"""Export an assessment to all four documents (Excel, PDF, Word, Markdown), against lean floors.

Data: 200 answered questions and 1,000 actions (generated), or with --years N this year's
assessment of a store of realistic age (bench/build_store.py).
Floors, from the same ReportData, interleaved run for run: the report's strings drawn line by line
on a reportlab canvas in the same embedded font (DejaVu Sans as shipped); an openpyxl write-only
workbook with the same cells; the annual-report section's strings written with python-docx without
styles, and as a plain join for Markdown. Each floor runs with the cyclic collector paused as ours
runs (selfassess.collector). Median, p99 and max of each.
Target: all four <= 2x the floors.
Run: python bench/reports.py [--years N] [--runs N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_store  # noqa: E402
from _common import interleave, load_note, median_time, ratio_line, spread  # noqa: E402
from load import generate  # noqa: E402

from selfassess import collector  # noqa: E402
from selfassess.core import framework as fw  # noqa: E402
from selfassess.core.catalogue import Catalogue, load_catalogue  # noqa: E402
from selfassess.core.clock import Clock  # noqa: E402
from selfassess.core.workspace import Workspace  # noqa: E402
from selfassess.paths import bundled_frameworks_dir  # noqa: E402
from selfassess.reports.data import ReportData, gather  # noqa: E402
from selfassess.reports.export import render  # noqa: E402
from selfassess.storage.store import Store  # noqa: E402


def build(folder: Path) -> ReportData:
    framework = fw.parse(generate(200, per_domain=25), "bench.yaml")
    cat = Catalogue()
    cat.add(framework, "user")
    with build_store._no_sync():  # building the fixture need not be durable
        return _fill(folder, framework, cat)


def _fill(folder: Path, framework: fw.Framework, cat: Catalogue) -> ReportData:
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


def report_texts(data: ReportData) -> list[str]:
    """The strings the board report shows, from the same ReportData (cover, summary, domains, plan, answers)."""
    texts = [data.organisation, f"{data.period} {data.framework_title} (version {data.framework_version})",
             data.status, data.framework_hash, data.generated_on.isoformat()]
    texts += [f"{s.name} {s.role}" for s in data.signatories]
    texts += [c.message for c in data.challenges]
    for d in data.domains:
        texts.append(f"{d.ref} {d.title} {d.answered}/{d.questions} {d.percent} {d.level} {d.previous_percent} {d.change}")
        texts += [f"{r.ref} {r.question} {r.rating} Evidence: {r.evidence}" for r in d.strengths + d.gaps]
    for x in data.actions:
        texts += [x.ref, x.title, f"{x.last_update_date}: {x.last_update}", x.owner, x.owner_role,
                  f"{x.current_due:%d %b %Y} was {x.original_due:%d %b %Y}", x.status_label, x.rag]
    for r in data.answers:
        texts += [f"{r.ref} {r.question}", f"{r.rating} {r.assurance} {r.state}", r.na_reason, r.evidence, r.notes]
    texts += list(data.sources)
    return [t for t in texts if t]


def floor_pdf(texts: list[str], font: str = "DejaVuSans") -> bytes:
    """The lean floor: the same strings drawn line by line on a reportlab canvas, in the same embedded font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    from selfassess.reports.pdf import _fonts

    _fonts()  # DejaVu Sans as shipped in selfassess (Helvetica cannot even write the same characters)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    y = height - 50
    c.setFont(font, 8)
    for text in texts:
        for line in simpleSplit(text, font, 8, width - 100):
            if y < 50:
                c.showPage()
                c.setFont(font, 8)
                y = height - 50
            c.drawString(50, y, line)
            y -= 10
    c.save()
    return out.getvalue()


def floor_xlsx(data: ReportData) -> bytes:
    """openpyxl's write-only workbook with the same cells (plan, answers, summary), no styles."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    plan = wb.create_sheet("Action plan")
    for x in data.actions:
        plan.append([x.ref, x.domain_title, f"{x.question_refs} {x.question}", x.title, x.owner, x.owner_role,
                     x.original_due, x.current_due, x.status_label, x.rag, x.slippage_days, x.last_update])
    answers = wb.create_sheet("Answers")
    for r in data.answers:
        answers.append([r.ref, r.domain_title, r.question, r.rating, r.na_reason, r.evidence, r.notes, r.assurance,
                        r.state, r.updated_by, r.updated_at])
    summary = wb.create_sheet("Summary")
    for d in data.domains:
        summary.append([d.ref, d.title, d.questions, d.complete, d.percent, d.level, d.previous_percent, d.change])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def section_texts(data: ReportData) -> list[str]:
    """The annual-report section's strings, from the same blocks the Word and Markdown writers use."""
    from selfassess.reports import annual

    texts: list[str] = [annual.title(data)]
    for block in annual.draft(data):
        if isinstance(block, annual.Heading):
            texts.append(block.text)
        elif isinstance(block, annual.Para):
            texts.append("".join(text for text, _ in block.parts))
        elif isinstance(block, annual.Bullets):
            texts += ["".join(text for text, _ in item.parts) for item in block.items]
        else:
            texts += [" | ".join(row) for row in (block.header, *block.rows)]
    return texts


def floor_docx(texts: list[str]) -> bytes:
    from docx import Document

    doc = Document()
    for text in texts:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def floor_md(texts: list[str]) -> bytes:
    return "\n\n".join(texts).encode("utf-8")


def lean(floor: Callable[[], bytes]) -> Callable[[], bytes]:
    """A floor run as render runs ours: the cyclic collector paused while the document is built, and what
    it left in cycles freed at the end (selfassess.collector), so neither side's time holds the other's GC."""
    def run() -> bytes:
        with collector.paused(free_after=True):
            return floor()
    return run


def aged(years: int, edits_per_year: int) -> tuple[ReportData, float]:
    """This year's assessment of a store of realistic age (read-only), and how long gathering it took."""
    built = build_store.build(years, edits_per_year=edits_per_year)
    print(build_store.describe(built))
    store = Store(built.store, writer=False)
    ws = Workspace(store, load_catalogue(bundled_frameworks_dir(), []), "bench", Clock())
    assessment = ws.assessment(built.current)
    gather(ws, assessment)  # warm: the framework is read once per session
    gathering = median_time(lambda: gather(ws, assessment), 3)
    data = gather(ws, assessment)
    store.close()
    return data, gathering


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, default=None,
                        help="Export this year's assessment of a store of this age (bench/build_store.py) instead "
                             "of the generated 200 answers and 1,000 actions.")
    parser.add_argument("--edits-per-year", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    gathering = None
    if args.years:
        data, gathering = aged(args.years, args.edits_per_year)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            data = build(Path(tmp) / "store")
    pdf_texts, section = report_texts(data), section_texts(data)
    print(f"{len(data.answers)} answers, {len(data.actions)} actions; {args.runs} interleaved runs each")
    jobs = {
        "xlsx": (lambda: render(data, "xlsx"), lean(lambda: floor_xlsx(data))),
        "pdf": (lambda: render(data, "pdf"), lean(lambda: floor_pdf(pdf_texts))),
        "docx": (lambda: render(data, "docx"), lean(lambda: floor_docx(section))),
        "md": (lambda: render(data, "md"), lean(lambda: floor_md(section))),
    }
    # Interleaved, so both sides see the same machine (other work on it moves both together).
    samples = interleave({f"{side} {fmt}": pair[i] for fmt, pair in jobs.items() for i, side in enumerate(("ours", "floor"))},
                         args.runs)
    print(load_note())
    if gathering is not None:
        print(f"gathering the report data (ours only; the floors are given it): {gathering * 1000:.0f} ms")
    for fmt in jobs:
        print(spread(f"{fmt:4} ours ", samples[f"ours {fmt}"]))
        print(spread(f"{fmt:4} floor", samples[f"floor {fmt}"])
              + f"  ratio {statistics.median(samples[f'ours {fmt}']) / statistics.median(samples[f'floor {fmt}']):.2f}")
    per_run = [[samples[f"{side} {fmt}"][i] for fmt in jobs] for side in ("ours", "floor") for i in range(args.runs)]
    ours_total = statistics.median(sum(r) for r in per_run[:args.runs])
    floor_total = statistics.median(sum(r) for r in per_run[args.runs:])
    print("all four, per run: " + spread("ours", [sum(r) for r in per_run[:args.runs]], "s") + "; "
          + spread("floor", [sum(r) for r in per_run[args.runs:]], "s"))
    print(ratio_line(ours_total, floor_total, "s"))


if __name__ == "__main__":
    main()
