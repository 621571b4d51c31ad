"""A realistic demo trust: last year's assessment signed off, this year's part done, actions slipping.

Built through the Workspace like any user's data, so every record is on the audit trail, and
saved as ONE audit event: on a full disk there is either the whole demo or none of it.
Dates are relative to today, so there is always something overdue to look at.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from .audit import Change, VerifyReport
from .errors import Refused
from .model import AT_RISK, DONE, OFF_TRACK, ON_TRACK, Assessment, financial_year, period_of
from .workspace import Repository, Workspace

DEMO_TRUST = "Riverside Valley Hospitals NHS Foundation Trust"
DEMO_ODS = "RVH"
BOARD = "board-health-inequalities"

OWNERS = [
    ("Priya Raman", "Chief Nurse and executive lead for health inequalities"),
    ("James Okoro", "Director of Strategy"),
    ("Helen Marsh", "Chief People Officer"),
    ("David Chen", "Chief Information Officer"),
    ("Sarah Whitfield", "Director of Finance"),
    ("Dr Amina Yusuf", "Medical Director"),
    ("Tom Barker", "Director of Corporate Affairs"),
    ("Gareth Lloyd", "Director of Estates and Facilities"),
]

EVIDENCE = {
    "leadership": [
        "Executive lead's portfolio agreed at the board in June; quarterly report to the board.",
        "Board minutes (items 6, 9 and 14) record challenge on the inequalities objectives.",
        "Terms of reference of the Quality Committee revised to cover health inequalities.",
        "Board development session held with the ICS public health consultant.",
    ],
    "strategy": [
        "Health inequalities plan 2024-27 approved by the board; delivery plan with owners.",
        "Equality and health inequalities impact assessment register reviewed at committee.",
        "Core20PLUS5 mapping agreed with the ICB; PLUS groups: Roma and traveller communities, people experiencing homelessness.",
        "Annual report 2024/25, pages 41-43: health inequalities statement.",
    ],
    "data": [
        "Ethnicity-coding dashboard by team; completeness rose from 78% to 91%.",
        "Integrated performance report now splits waiting times and missed appointments by IMD quintile.",
        "Analyst time agreed with the ICS population health management team.",
        "Patient experience results analysed by ethnicity for the first time this year.",
    ],
    "public-health": [
        "Consultant in public health: two sessions a week through the local authority agreement.",
        "Health inequalities e-learning added to induction; 64% of staff completed.",
        "Inpatient tobacco dependence service: referrals by deprivation reported monthly.",
        "Co-design group for the diabetes pathway with two community organisations.",
    ],
    "anchor": [
        "Supported internships: 12 places for young people with learning disabilities.",
        "Social value weighting of 10% applied to tenders over 100,000 pounds.",
        "Outpatient clinic running from the Eastgate community centre since April.",
        "Anchor charter signed with the council and the university.",
    ],
    "workforce": [
        "Workforce race equality report to the People Committee, with action plan.",
        "Reciprocal mentoring programme: second cohort of 20 pairs.",
        "Staff survey bullying and harassment results analysed by group with staff networks.",
        "Bank staff added to the workforce equality report this year.",
    ],
}

NA_REASONS = {
    "public-health.whole-household": "The trust provides no paediatric services; children's care is commissioned from the neighbouring trust.",
}

PROGRESS = [
    "Draft circulated to the executive team for comment.",
    "Paper scheduled for the next committee meeting.",
    "Delayed by winter operational pressures; new date agreed with the executive lead.",
    "Pilot running in two divisions; early results positive.",
    "Funding confirmed for the first year.",
]


class Staged:
    """A Repository that holds commits in memory over another one: the demo is built through the
    Workspace step by step, then saved by the real store as one event."""

    def __init__(self, base: Repository):
        self.base = base
        self.changed: dict[tuple[str, str], dict[str, Any] | None] = {}  # (table, id) -> record, None if deleted
        self.actions: list[str] = []
        self.touched: dict[str, int] = {}  # staged changes per table

    @property
    def readonly(self) -> bool:
        return bool(self.base.readonly)

    def get(self, table: str, record_id: str) -> dict[str, Any] | None:
        if (table, record_id) in self.changed:
            rec = self.changed[(table, record_id)]
            return dict(rec) if rec is not None else None
        return self.base.get(table, record_id)

    def all(self, table: str) -> list[dict[str, Any]]:
        out = {r["id"]: r for r in self.base.all(table)}
        for (t, rid), rec in self.changed.items():
            if t == table:
                if rec is None:
                    out.pop(rid, None)
                else:
                    out[rid] = dict(rec)
        return list(out.values())

    def find(self, table: str, **equal: Any) -> list[dict[str, Any]]:
        return [r for r in self.all(table) if all(r.get(k) == v for k, v in equal.items())]

    def commit(self, action: str, actor: str, summary: str, changes: list[Change], when: str) -> dict[str, Any]:
        for c in changes:
            self.changed[(c.table, c.id)] = c.after
            self.touched[c.table] = self.touched.get(c.table, 0) + 1
        self.actions.append(action)
        return {}

    @property
    def head(self) -> tuple[int, str]:
        seq, digest = self.base.head
        return seq + len(self.actions), digest  # moves with each staged commit, as a real head would

    def version(self, table: str) -> tuple[int, int]:
        generation, changes = self.base.version(table)
        return generation, changes + self.touched.get(table, 0)

    def keep_received(self, kind: str, name: str, data: bytes) -> None:
        raise NotImplementedError("the demo receives no files")

    def read_received(self, kind: str, name: str) -> bytes | None:
        return None

    def keep_evidence(self, sha256: str, data: bytes) -> None:
        raise NotImplementedError("the demo keeps no evidence files")

    def read_evidence(self, sha256: str) -> bytes | None:
        return None

    def close_records(self, table: str, key: str, groups: list[tuple[str, list[str]]]) -> int:
        return 0  # staged records are saved as one event; the store closes finished years at its next open

    def closed_values(self, table: str, key: str) -> frozenset[str]:
        return frozenset()

    def closed_labels(self, table: str) -> frozenset[str]:
        return frozenset()

    def verify(self) -> VerifyReport:
        raise NotImplementedError("staged changes have no chain of their own to verify")

    def changes(self) -> list[Change]:
        """Every record the staged commits made, as changes from what the real store holds."""
        out = [Change(t, rid, self.base.get(t, rid), rec) for (t, rid), rec in self.changed.items()]
        return [c for c in out if c.before != c.after]


def create_demo(ws: Workspace, seed: int = 2025) -> tuple[Assessment, Assessment]:
    """Create the demo trust with two periods of the board framework, saved as one event.
    Returns (last year, this year)."""
    for org in ws.organisations():
        if org.ods_code == DEMO_ODS or org.name == DEMO_TRUST:
            raise Refused(f"the demo trust already exists in this store ({DEMO_TRUST})")
    staged = Staged(ws.repo)
    built = Workspace(staged, ws.catalogue, ws.actor, ws.clock)
    last, current = _build(built, seed)
    ws.commit("demo.create", f"created the demo trust {DEMO_TRUST}: {last.period} signed off and {current.period} "
              f"in progress ({len(staged.actions)} steps)", staged.changes())
    return ws.assessment(last.id), ws.assessment(current.id)


def _build(ws: Workspace, seed: int) -> tuple[Assessment, Assessment]:
    rng = random.Random(seed)
    today = ws.today()
    this_year = financial_year(today)
    last = ws.new_assessment(DEMO_TRUST, BOARD, period_of(this_year - 1), ods_code=DEMO_ODS, org_type="acute").assessment
    framework = ws.framework(last)

    # Last year: every question answered, a board that is developing, with gaps acted on.
    level_weights = {"emerging": 2, "developing": 5, "established": 4, "leading": 1}
    domain_bias = {"data": -1, "workforce": 0, "anchor": 1}
    for q in framework.questions():
        if q.id in NA_REASONS:
            ws.answer(last.id, q.id, na_reason=NA_REASONS[q.id], state="agreed")
            continue
        keys = list(level_weights)
        choice = rng.choices(keys, weights=list(level_weights.values()))[0]
        idx = max(0, min(3, keys.index(choice) + domain_bias.get(q.domain_id, 0) * (rng.random() < 0.5)))
        ws.answer(last.id, q.id, rating=keys[idx], evidence=rng.choice(EVIDENCE[q.domain_id]),
                  assurance=rng.choice(["self_asserted", "evidenced", "evidenced", "independently_verified"]),
                  state="agreed")
    year_start = date(this_year - 1, 4, 1)
    gaps = [q for q in framework.questions() if ws.is_gap(last, ws.answer_for(last.id, q.id))]
    rng.shuffle(gaps)
    for i, q in enumerate(gaps[:12]):
        owner, role = OWNERS[i % len(OWNERS)] if i % 5 else OWNERS[1]
        due = year_start + timedelta(days=150 + 30 * (i % 9))
        action = ws.add_action(last.id, [q.id], q.suggested_actions[0], owner, due.isoformat(), owner_role=role, origin="suggested")
        if i % 4 == 0:
            ws.update_action(action.id, status=DONE, note="Completed and reported to the board.")
        elif i % 4 == 1:
            ws.update_action(action.id, status=ON_TRACK, note=rng.choice(PROGRESS))
    signoff_day = min(date(this_year, 5, 22), today - timedelta(days=1))
    ws.sign_off(last.id, [("Margaret Ellison", "Chair"), ("Richard Osei", "Chief Executive")],
                meeting=f"Public board meeting, {signoff_day:%d %B %Y}, item 9", on=signoff_day.isoformat())

    # This year: carried forward, partly reviewed; data and insight up a level, workforce flat.
    current = ws.new_assessment(DEMO_TRUST, None, period_of(this_year), from_handle=last.id).assessment
    previous_answers = ws.answers(last.id)
    questions = list(framework.questions())
    reviewed = [q for q in questions if q.domain_id in ("leadership", "strategy", "data")] + \
               [q for q in questions if q.domain_id == "public-health"][:3]
    for q in reviewed:
        old = previous_answers[q.id]
        if old.is_na:
            ws.answer(current.id, q.id, state="agreed")
            continue
        levels = framework.scale_for(q).level_keys()
        idx = levels.index(old.rating) if old.rating else 0
        if q.domain_id == "data" or (q.domain_id == "leadership" and rng.random() < 0.3):
            idx = min(3, idx + 1)
        ws.answer(current.id, q.id, rating=levels[idx], evidence=rng.choice(EVIDENCE[q.domain_id]),
                  assurance="evidenced", state="draft")
    # A point for challenge for the board to find (k): a top rating claimed as independently
    # verified, with the evidence not yet written up.
    answers_now = ws.answers(current.id)
    strong = next(q for q in reviewed if q.domain_id == "strategy" and answers_now[q.id].rating
                  and framework.scale_for(q).number_of(answers_now[q.id].rating or "") >= 3)
    ws.answer(current.id, strong.id, evidence="", assurance="independently_verified")
    # The journey's example: board papers still only developing; an action adopted from the suggestions.
    ws.answer(current.id, "leadership.board-papers-impact", rating="developing",
              evidence="Impact section added to the paper template in March; used in 4 of 11 papers since.",
              notes="Quality of the impact sections is uneven; the template alone has not changed practice.")
    # Carried actions get new dates this year; two slipped again and are now overdue, both the
    # Director of Strategy's; one new action is overdue too. Three overdue in all, as boards see.
    carried = [a for a in ws.actions(current.id) if not a.closed]
    for i, a in enumerate(carried):
        if i in (0, 1):
            ws.update_action(a.id, owner=OWNERS[1][0], owner_role=OWNERS[1][1], status=AT_RISK,
                             due=(today - timedelta(days=18 + 17 * i)).isoformat(),
                             note="Delayed by winter operational pressures; new date agreed with the executive lead.")
        else:
            ws.update_action(a.id, due=(today + timedelta(days=25 + 21 * i)).isoformat(),
                             status=ON_TRACK if i % 2 else None, note=rng.choice(PROGRESS))
    new_gaps = [q for q in questions if ws.is_gap(current, ws.answer_for(current.id, q.id))] or questions
    owners_cycle = [OWNERS[3], OWNERS[2], OWNERS[0], OWNERS[4], OWNERS[5], OWNERS[6], OWNERS[7], OWNERS[1]]
    for i in range(14):
        q = new_gaps[i % len(new_gaps)]
        taken = {a.title for a in ws.actions(current.id)}
        suggestion = next((t for t in q.suggested_actions if t not in taken), None)
        if suggestion is None:
            continue
        owner, role = owners_cycle[i % len(owners_cycle)]
        due = today + timedelta(days=-12 if i == 0 else rng.choice([20, 45, 60, 95, 130, 160]))
        action = ws.add_action(current.id, [q.id], suggestion, owner, due.isoformat(), owner_role=role, origin="suggested")
        if i % 5 == 2:
            ws.update_action(action.id, status=OFF_TRACK, note="Analyst vacancy; recruitment under way.")
        elif i % 5 == 3:
            ws.update_action(action.id, status=ON_TRACK, note=rng.choice(PROGRESS))
        elif i % 7 == 6:
            ws.update_action(action.id, status=DONE, note="Done; evidence filed with the board papers.")
    return ws.assessment(last.id), ws.assessment(current.id)
