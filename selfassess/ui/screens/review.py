"""For regulators: every trust's latest submission by domain, sortable; one trust year on year,
with its actions to accept or query; signed feedback to send back."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from ... import paths
from ...core import actions as rules
from ...core.errors import SelfAssessError
from ...core.figures import percent_text
from ...core.model import Action
from ...core.text import shown, sparkline
from ...submission import review
from ...submission.review import Checked, Verified
from ..help import KeyFooter
from ..text import cell, plain
from ..widgets import selected_key
from .base import AppScreen


class ReviewScreen(AppScreen):
    BINDINGS = [
        Binding("enter", "open", "Open trust", id="open", tooltip="The trust year on year, with its actions to accept or query"),
        Binding("i", "import", "Import", id="import", tooltip="Import a submission file, or a folder of them, checking each seal"),
        Binding("o", "sort", "Sort", id="sort", tooltip="Sort by trust, overall score, each domain or actions in turn"),
        Binding("escape", "back", "Back", id="back", tooltip="Back to the previous screen"),
        Binding("x", "export", "Export", id="export", tooltip="Write the trusts-by-domain table as a spreadsheet"),
        Binding("d", "remove", "Remove from review", id="remove", tooltip="Take a submission out of the review, with a reason (the file is kept)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort_keys = list(review.SORT_KEYS)
        self.sort_index = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with Vertical(classes="page"):
            yield Static(id="review-title", classes="title")
            yield DataTable(id="trusts", cursor_type="row", zebra_stripes=True)
            yield Static(id="review-hint", classes="dim")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Review: trusts by domain"
        self.refresh_data()
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    @property
    def review(self) -> review.Review:
        return review.Review(self.sa.ws, self.sa.home)

    def refresh_data(self) -> None:
        service = self.review
        ids = service.compare().domain_ids
        self.sort_keys = list(review.SORT_KEYS[:1]) + ids + list(review.SORT_KEYS[1:])
        key = self.sort_keys[self.sort_index % len(self.sort_keys)]
        found = service.compare(sort=key)
        ids, titles, rows = found.domain_ids, found.domain_titles, found.rows
        self.rows = {r.submission_id: r for r in rows}
        table = self.query_one(DataTable)
        columns = ["trust", "period", "overall", *ids, "done", "open", "late", "slip", "qry"]
        if [str(k.value) for k in table.columns] != columns:
            table.clear(columns=True)
            table.add_column("Trust", key="trust", width=30 if self.app.size.width >= 100 else 18)
            table.add_column("Period", key="period", width=7)
            table.add_column("All", key="overall", width=4)
            for did, title in zip(ids, titles, strict=True):
                table.add_column(title.split(" ", 1)[0], key=did, width=4)
            for label in ("Done", "Open", "Late", "Slip", "Qry"):
                table.add_column(label, key=label.lower(), width=4)
        else:
            table.clear()
        for r in rows:
            table.add_row(cell(r.organisation[:30]), r.period, percent_text(r.overall),
                          *[percent_text(r.domains.get(d)) for d in ids], percent_text(100 * r.completeness), str(r.open_actions),
                          Text(str(r.overdue), style="bold red" if r.overdue else ""),
                          Text(str(r.slipped), style="yellow" if r.slipped else ""), str(r.queried), key=r.submission_id)
        unreadable = service.unreadable()
        self.unreadable = {u.id: u for u in unreadable}
        for u in unreadable:  # listed, so they can be seen and removed (d), never used
            table.add_row(Text(f"unreadable: {shown(u.file, multiline=False)}"[:30], style="bold red"), "", "",
                          *["" for _ in ids], "", "", "", "", "", key=f"unreadable:{u.id}")
        sort_name = key if key in review.SORT_KEYS else next((t for d, t in zip(ids, titles, strict=True) if d == key), key)
        count = service.count()
        left_out = (f" · {len(unreadable)} unreadable, listed last (d removes one)" if unreadable else "")
        self.query_one("#review-title", Static).update(plain(
            f"{len(rows)} trust(s), latest submission each ({count} imported) · sorted by {sort_name}{left_out}"
            if rows else "No submissions imported yet: press i to import a folder of submissions." + left_out))
        self.query_one("#review-hint", Static).update(plain(
            "Domains: " + "; ".join(titles) + "\nenter: the trust year on year, its actions to accept or query"
            if rows else "Register each trust's key first (selfassess keys trust FINGERPRINT --name TRUST)."))

    def selected_id(self) -> str | None:
        return selected_key(self.query_one(DataTable))

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(self.sort_keys)
        self.refresh_data()

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        sid = self.selected_id()
        if sid and sid.startswith("unreadable:"):
            bad = self.unreadable[sid.removeprefix("unreadable:")]
            self.notify(f"{bad.file}: {bad.why}. Press d to remove it from the review (the file is kept).",
                        title="Unreadable submission", severity="warning", timeout=20)
        elif sid:
            self.app.push_screen(TrustReviewScreen(sid))

    def action_remove(self) -> None:
        """Take a submission out of the review, with a reason on the audit trail; the bundle is kept."""
        from ..dialogs import ReasonDialog

        sid = self.selected_id()
        if not sid or not self.sa.can_change():
            return
        sid = sid.removeprefix("unreadable:")
        name = self.rows[sid].organisation if sid in self.rows else self.unreadable[sid].file

        def done(reason: str | None) -> None:
            if reason and self.sa.attempt(self.review.remove, sid, reason):
                self.notify(f"Removed {name} from the review. The bundle is kept as received.", title="Removed")
                self.refresh_data()

        self.app.push_screen(ReasonDialog("Remove from review", f"Why take {name} out of the review? "
                                          "(kept on the audit trail; the file itself is kept)"), done)

    def action_import(self) -> None:
        from ..dialogs import InputDialog

        if not self.sa.can_change():
            return

        def done(path: str | None) -> None:
            if not path:
                return
            files = review.bundle_files([Path(path).expanduser()])
            if not files:
                self.notify(f"No submissions (*{review.SUFFIX}) found in {path}.", severity="error")
                return
            self.notify(f"Checking {len(files)} file(s)...", title="Import", timeout=3)
            self.run_worker(lambda: self._verify(files), thread=True, exclusive=True, group="import", exit_on_error=False)

        self.app.push_screen(InputDialog("Import submissions", "A submission file, or a folder of them (*.selfassess):",
                                         placeholder="~/submissions/2025-26/"), done)

    def _verify(self, files: list[Path]) -> None:
        """Worker thread: checking seals and hashes is the slow part and needs no store."""
        verified = [review.verify_file(f) for f in files]
        self.app.call_from_thread(self._keep, verified)

    def _keep(self, verified: list[Verified | Checked]) -> None:
        """Main thread: judge each against the store and import the genuine ones, in order."""
        results = []
        service = self.review
        for v in verified:
            result = self.sa.attempt(lambda v=v: service.keep(service.judge(v)))
            if result is not None:
                results.append(result)
        good = sum(r.verdict == "genuine" for r in results)
        self.notify(f"{good} of {len(verified)} imported.", title="Import", timeout=8)
        for r in results:
            if r.verdict != "genuine":
                self.notify(f"{r.file.name}: {r.message}", title=r.verdict.capitalize(), severity="error", timeout=30)
        self.refresh_data()

    def action_export(self) -> None:
        found = self.review.compare(sort=self.sort_keys[self.sort_index % len(self.sort_keys)])
        if not found.rows:
            return
        out = paths.exports_dir() / "trusts-by-domain.xlsx"

        def write() -> None:
            try:
                review.write_out(out, review.to_xlsx(found.domain_titles, found.domain_ids, found.rows))
                self.app.call_from_thread(self.notify, f"Saved {out}", title="Exported")
            except SelfAssessError as exc:
                self.app.call_from_thread(self.notify, exc.for_app(), severity="error")

        self.run_worker(write, thread=True, exclusive=True, group="export", exit_on_error=False)

    def action_back(self) -> None:
        self.app.pop_screen()


class TrustReviewScreen(AppScreen):
    BINDINGS = [
        Binding("a", "accept", "Accept", id="accept", tooltip="Accept the domain score or action under the cursor"),
        Binding("q", "query", "Query", id="query", tooltip="Query it, with a comment the trust must answer"),
        Binding("f", "feedback", "Write feedback", id="feedback", tooltip="Write the signed feedback file to send back to the trust"),
        Binding("escape", "back", "Back", id="back", tooltip="Back to every trust's submissions"),
    ]

    def __init__(self, submission_id: str):
        super().__init__()
        self.submission_id = submission_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with Vertical(classes="page"):
            yield Static(id="history", classes="title")
            yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
            yield Static(id="item-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # The item takes what the other columns leave, and wraps: an action's title is never cut.
        others = [("Review", "mark", 8), ("Score / due", "score", 11), ("Status", "status", 11), ("Slip", "slip", 6),
                  ("Owner", "owner", 16)]
        item = max(16, self.app.size.width - sum(w + 2 for _, _, w in others) - 8)
        for label, key, width in [("Item", "item", item), *others]:
            table.add_column(label, key=key, width=width)
        self.refresh_data()
        table.focus()

    def refresh_data(self) -> None:
        service = review.Review(self.sa.ws, self.sa.home)
        sub = service.find(self.submission_id)
        self.sub = sub
        self.title = shown(f"{sub.organisation.name} · {sub.period}", multiline=False)
        lines = [f"{sub.organisation.name} ({sub.organisation.ods_code or 'no ODS code'}), {sub.framework.title}: year on year"]
        history = service.history(sub.id)
        for h in history:
            by = {d.id: d.percent for d in h.domains}
            lines.append(f"  {h.period}  all {percent_text(h.overall)}  " + "  ".join(f"{d.ref} {percent_text(by.get(d.id))}" for d in sub.domains))
        if len(history) > 1:  # the trend at a glance, one block character per submission
            lines.append(f"  {'trend':<7}  all {sparkline([h.overall for h in history]):<4} " + "  ".join(
                f"{d.ref} {sparkline([h.percent_of(d.id) for h in history])}"
                for d in sub.domains))
        self.query_one("#history", Static).update(plain("\n".join(lines)))
        self.marks = service.marks().get(sub.id, {})
        marks = self.marks
        today = self.sa.ws.today()
        table = self.query_one(DataTable)
        keep = self.selected_key()
        table.clear()
        self.items: dict[str, review.DomainScore | Action] = {}
        for d in sub.domains:
            key = f"domain:{d.id}"
            m = marks.get(("domain", d.id))
            self.items[key] = d
            table.add_row(cell(d.label, style="bold"), _mark_text(m), percent_text(d.percent), d.level or "", "", "", key=key,
                          height=None)
        for a in sub.actions:
            key = f"action:{a.id}"
            m = marks.get(("action", a.id))
            self.items[key] = a
            slip = rules.slippage_days(a)
            late = rules.is_overdue(a, today)
            table.add_row(cell(f"{a.ref} {a.title}"), _mark_text(m),
                          Text(a.current_due + ("!" if late else ""), style="bold red" if late else ""),
                          "Carried fwd" if a.id in sub.carried_forward else a.status_label,  # counted in the next year
                          Text(f"+{slip}d" if slip else "", style="yellow" if slip else ""), cell(a.owner),
                          key=key, height=None)
        if keep in self.items:
            table.move_cursor(row=table.get_row_index(keep))
        self.show_detail()

    def selected_key(self) -> str | None:
        return selected_key(self.query_one(DataTable))

    @on(DataTable.RowHighlighted)
    def show_detail(self) -> None:
        key = self.selected_key()
        if not key:
            return
        item = self.items[key]
        if isinstance(item, review.DomainScore):
            kind = "domain"
            text = f"{item.label}: {percent_text(item.percent)} ({item.level or 'no score'}), {item.answered} of {item.questions} answered"
        else:
            kind, a = "action", item
            text = (f"{a.ref} {a.title}\nOwner: {a.owner}" + (f" ({a.owner_role})" if a.owner_role else "")
                    + f"; due {a.current_due} (originally {a.original_due}); {a.status_label}"
                    + (f"\nLast update: {a.last_update.date}: {a.last_update.text}" if a.last_update else ""))
        mark = self.marks.get((kind, item.id))
        if mark:
            text += f"\nYour review: {mark.verdict}" + (f": {mark.comment}" if mark.comment else "")
        self.query_one("#item-detail", Static).update(plain(text))

    def _mark(self, verdict: str, comment: str = "") -> None:
        key = self.selected_key()
        if not key or not self.sa.can_change():
            return
        item = self.items[key]
        kind, ref = ("domain", item.ref) if isinstance(item, review.DomainScore) else ("action", item.id)
        service = review.Review(self.sa.ws, self.sa.home)
        if self.sa.attempt(service.mark, self.sub.id, kind, ref, verdict, comment):
            self.refresh_data()

    def action_accept(self) -> None:
        self._mark("accepted")

    def action_query(self) -> None:
        from ..dialogs import ReasonDialog

        def done(comment: str | None) -> None:
            if comment:
                self._mark("queried", comment)

        self.app.push_screen(ReasonDialog("Query", "What should the trust answer? (for example: no owner below board level)"), done)

    def action_feedback(self) -> None:
        if not self.sa.can_change():
            return
        from ..exporting import exports_folder

        service = review.Review(self.sa.ws, self.sa.home)
        done = self.sa.attempt(lambda: service.feedback_file(self.sub.id, exports_folder()))
        if done:
            path, accepted, queried = done
            self.notify(f"Saved {path} ({accepted} accepted, {queried} queried). Send it to the trust.",
                        title="Feedback written", timeout=20)

    def action_back(self) -> None:
        self.app.pop_screen()


def _mark_text(mark: review.Mark | None) -> Text:
    if not mark:
        return Text("")
    return Text("queried" if mark.verdict == "queried" else "accepted",
                style="bold yellow" if mark.verdict == "queried" else "green")
