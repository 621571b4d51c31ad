"""The action plan: who owes what by when, what slipped, filtered and sorted from the keyboard."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from ...core import actions as rules
from ...core.model import ACTION_STATUSES, DROPPED, Action
from ...core.text import shown
from ..dialogs import ActionDialog, ActionForm, ChoiceDialog
from ..help import KeyFooter
from ..text import cell, plain
from ..widgets import selected_key
from .base import AppScreen

RAG_STYLE = {"Red": "bold red", "Amber": "bold yellow", "Green": "green", "Complete": "blue", "Dropped": "dim"}
SORTS = [("due date", "due"), ("owner", "owner"), ("status", "status"), ("ref", "ref"), ("slippage", "slip")]


class ActionsScreen(AppScreen):
    BINDINGS = [
        Binding("enter", "edit", "Update", id="edit", tooltip="Update the action: status, due date, owner, a progress note"),
        Binding("v", "toggle_overdue", "Overdue only", id="overdue", tooltip="Show only overdue actions, or all again"),
        Binding("o", "sort", "Sort", id="sort", tooltip="Sort by due date, owner, status, ref or slippage in turn"),
        Binding("escape", "back", "Back", id="back", tooltip="Back to the previous screen"),
        Binding("w", "filter_owner", "Owner", id="owner", tooltip="Show one owner's actions"),
        Binding("f", "filter_status", "Status", id="status", tooltip="Show actions with one status"),
        Binding("m", "filter_domain", "Domain", id="domain", tooltip="Show the actions of one domain"),
        Binding("c", "clear_filters", "Clear", id="clear", tooltip="Clear every filter"),
    ]

    def __init__(self, assessment_id: str, overdue_only: bool = False):
        super().__init__()
        self.assessment_id = assessment_id
        self.overdue_only = overdue_only
        self.owner: str | None = None
        self.status: str | None = None
        self.domain: str | None = None
        self.sort_index = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with Vertical(classes="page"):
            yield Static(id="filters")
            yield DataTable(id="actions", cursor_type="row", zebra_stripes=True)
            yield Static(id="detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        ws = self.sa.ws
        self.assessment = ws.assessment(self.assessment_id)
        self.framework = ws.framework(self.assessment)
        self.title = f"Action plan · {self.assessment.period}"
        self.sub_title = shown(ws.organisation(self.assessment.organisation_id).name, multiline=False)
        self.columns: tuple[str, ...] = ()
        self.fit_width(self.app.size.width)
        self.query_one(DataTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        if hasattr(self, "columns") and self.query(DataTable):  # not while being taken down
            self.fit_width(event.size.width)

    def fit_width(self, width: int) -> bool:
        """Columns for the terminal's width; the action's title takes the rest and wraps, never cut.
        Narrower, RAG and slippage fold into the detail below, then status. The ref is never wrapped:
        a plan kept for years has refs such as A1042, and a queried one ends in '?'."""
        refs = max((len(a.ref) + 1 for a in self.sa.ws.live_actions(self.assessment_id)), default=0)
        fixed = [("Ref", "ref", max(4, refs)), ("Status", "status", 11), ("RAG", "rag", 8), ("Due", "due", 11), ("Slip", "slip", 6),
                 ("Owner", "owner", 16 if width >= 100 else 13)]
        if width < 120:
            fixed = [c for c in fixed if c[1] not in ("rag", "slip")]
        if width < 70:
            fixed = [c for c in fixed if c[1] != "status"]
        title = max(width - 4 - sum(w + 2 for _, _, w in fixed) - 2, 16)
        columns = tuple(f"{key}:{w}" for _, key, w in fixed) + (f"title:{title}",)
        if columns == self.columns:
            return False
        self.columns = columns
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for label, key, w in fixed:
            table.add_column(label, key=key, width=w)
        table.add_column("Action", key="title", width=title)
        self.refresh_data()
        return True

    def on_screen_resume(self) -> None:
        if not self.fit_width(self.app.size.width):  # an action added since may have a longer ref
            self.refresh_data()

    def domain_of(self, a: Action) -> str | None:
        domain = self.framework.action_domain(a.question_ids)
        return domain.id if domain else None

    def shown_actions(self) -> list[Action]:
        today = self.sa.ws.today()
        items = self.sa.ws.live_actions(self.assessment_id)
        if self.overdue_only:
            items = [a for a in items if rules.is_overdue(a, today)]
        if self.owner:
            items = [a for a in items if a.owner == self.owner]
        if self.status:
            items = [a for a in items if a.status == self.status]
        if self.domain:
            items = [a for a in items if self.domain_of(a) == self.domain]
        key = SORTS[self.sort_index][1]
        order = {
            "due": lambda a: (a.current_due, a.ref),
            "owner": lambda a: (a.owner.lower(), a.current_due),
            "status": lambda a: (list(ACTION_STATUSES).index(a.status), a.current_due),
            "ref": lambda a: (len(a.ref), a.ref),
            "slip": lambda a: (-rules.slippage_days(a), a.current_due),
        }[key]
        return sorted(items, key=order)

    def refresh_data(self) -> None:
        today = self.sa.ws.today()
        table = self.query_one(DataTable)
        keep = self.selected_id()
        table.clear()
        self.rows = {a.id: a for a in self.shown_actions()}
        for a in self.rows.values():
            rag = rules.rag(a, today)
            slip = rules.slippage_days(a)
            late = rules.is_overdue(a, today)
            queried = self.sa.ws.is_queried(a)
            cells = {
                "ref": Text(a.ref + ("?" if queried else ""), style="bold yellow" if queried else ""),
                "status": Text(a.status_label), "rag": Text(rag, style=RAG_STYLE.get(rag, "")),
                "due": Text(a.current_due + ("!" if late else ""), style="bold red" if late else ""),
                "slip": Text(f"+{slip}d" if slip else "", style="yellow" if slip else ""),
                "owner": cell(a.owner), "title": cell(a.title)}
            table.add_row(*[cells[c.split(":")[0]] for c in self.columns], key=a.id, height=None)
        if keep in self.rows:
            table.move_cursor(row=table.get_row_index(keep))
        parts = []
        if self.overdue_only:
            parts.append("overdue only")
        if self.owner:
            parts.append(f"owner: {self.owner}")
        if self.status:
            parts.append(f"status: {ACTION_STATUSES[self.status]}")
        if self.domain:
            parts.append(f"domain: {self.framework.domain(self.domain).title}")
        summary = rules.summarise(list(self.rows.values()), today)
        self.query_one("#filters", Static).update(plain(
            f"{summary.total} action(s) · {summary.overdue} overdue · {summary.slipped} slipped · sorted by {SORTS[self.sort_index][0]}"
            + (f" · filter: {', '.join(parts)}" if parts else "") + " · enter: update"))
        self.show_detail()

    def selected_id(self) -> str | None:
        return selected_key(self.query_one(DataTable))

    @on(DataTable.RowHighlighted)
    def show_detail(self) -> None:
        aid = self.selected_id()
        detail = self.query_one("#detail", Static)
        if aid is None:
            detail.update(plain("No actions match. c clears the filters."))
            return
        a = self.rows[aid]
        refs = ", ".join(self.framework.question(q).ref for q in a.question_ids if self.framework.has_question(q))
        lines = [f"{a.ref} {a.title}",
                 f"{a.status_label} · RAG {rules.rag(a, self.sa.ws.today())}"
                 + (f" · slipped {rules.slippage_days(a)} days" if rules.slippage_days(a) else ""),
                 f"Owner: {a.owner}" + (f" ({a.owner_role})" if a.owner_role else "") + f" · question {refs or '-'}",
                 f"Due {a.current_due}" + (f" (originally {a.original_due})" if a.current_due != a.original_due else "")]
        if a.dropped_reason:
            lines.append(f"Dropped: {a.dropped_reason}")
        last = a.last_update
        if last:
            lines.append(f"Last update {last.date} ({last.author}): {last.text}")
        for f in self.sa.ws.feedback_for_action(a):
            lines.append(f"Regulator {f.verdict}: {f.comment or 'no comment'} ({f.reviewer}, {f.reviewed_at[:10]})")
        detail.update(plain("\n".join(lines)))

    def action_toggle_overdue(self) -> None:
        self.overdue_only = not self.overdue_only
        self.refresh_data()

    def _pick(self, title: str, choices: list[tuple[str, str]], apply: Callable[[str | None], object]) -> None:
        def chosen(key: str | None) -> None:
            if key is not None:
                apply(None if key == "__all__" else key)
                self.refresh_data()

        self.app.push_screen(ChoiceDialog(title, [("__all__", "All")] + choices), chosen)

    def action_filter_owner(self) -> None:
        owners = sorted({a.owner for a in self.sa.ws.live_actions(self.assessment_id, history=False)}, key=str.lower)
        self._pick("Show the actions of", [(o, o) for o in owners], lambda v: setattr(self, "owner", v))

    def action_filter_status(self) -> None:
        self._pick("Show actions with status", list(ACTION_STATUSES.items()), lambda v: setattr(self, "status", v))

    def action_filter_domain(self) -> None:
        self._pick("Show actions in domain", [(d.id, f"{d.ref} {d.title}") for d in self.framework.domains],
                   lambda v: setattr(self, "domain", v))

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.refresh_data()

    def action_clear_filters(self) -> None:
        self.overdue_only, self.owner, self.status, self.domain = False, None, None, None
        self.refresh_data()

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        aid = self.selected_id()
        if aid is None or not self.sa.can_change():
            return
        a = self.rows[aid]
        agreed_is_frozen = self.assessment.frozen

        updated: list[Action] = []

        def submit(form: ActionForm) -> str | None:  # refused: the dialog stays open as typed, saying why
            changed, why = self.sa.try_change(
                self.sa.ws.update_action, a.id, status=form.status, due=form.due, owner=form.owner,
                owner_role=form.owner_role, note=form.note or None,
                dropped_reason=form.note if form.status == DROPPED else None,
                title=None if agreed_is_frozen or form.title == a.title else form.title)
            if changed is not None:
                updated.append(changed)
            return why

        def done(form: ActionForm | None) -> None:
            if form is not None and updated:
                changed = updated[-1]
                self.notify(f"{changed.ref} updated: {changed.status_label}, due {changed.current_due}.")
                self.refresh_data()

        self.app.push_screen(ActionDialog(f"Update {a.ref}", action=a, locked=agreed_is_frozen, today=self.sa.ws.today(),
                                          submit=submit), done)

    def action_back(self) -> None:
        self.app.pop_screen()
