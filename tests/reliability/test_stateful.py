"""A hypothesis state machine: answer, edit, act, carry forward, sign off, reopen and restart,
checked after every step against a plain model of what the user did."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from selfassess.core.catalogue import Catalogue
from selfassess.core.errors import Refused
from selfassess.core.framework import parse
from selfassess.core.model import NEEDS_REVIEW
from tests.helpers import open_workspace
from tests.unit.test_framework_loader import MINIMAL

SMALL = parse(
    MINIMAL
    + "      - id: q2\n        ref: \"1.2\"\n        text: Two?\n        source:\n          document: doc\n"
    + "  - id: d2\n    ref: \"2\"\n    title: Domain two\n    questions:\n"
    + "      - id: q3\n        ref: \"2.1\"\n        text: Three?\n        source:\n          document: doc\n",
    "small.yaml",
)
QUESTIONS = ["q1", "q2", "q3"]
RATINGS = ["low", "high"]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


class StoreMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())
        self.catalogue = Catalogue()
        self.catalogue.add(SMALL, "user")
        self.store, self.ws = open_workspace(self.tmp / "store", catalogue=self.catalogue)
        # The model: per assessment, its period, whether frozen, answers and action statuses.
        self.model: dict[str, dict] = {}
        self.current: str | None = None
        self.year = 2020

    def teardown(self):
        try:
            assert self.store.verify().ok
            self.store.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _period(self) -> str:
        self.year += 1
        return f"{self.year}/{(self.year + 1) % 100:02d}"

    @precondition(lambda self: self.current is None)
    @rule()
    def start(self):
        a = self.ws.new_assessment("Test Trust", "mini", self._period()).assessment
        self.model[a.id] = {"frozen": False, "answers": {}, "actions": {}}
        self.current = a.id

    @precondition(lambda self: self.current is not None)
    @rule(q=st.sampled_from(QUESTIONS), rating=st.sampled_from(RATINGS), evidence=TEXT)
    def answer(self, q, rating, evidence):
        m = self.model[self.current]
        if m["frozen"]:
            try:
                self.ws.answer(self.current, q, rating=rating)
            except Refused:
                return
            raise AssertionError("a frozen assessment accepted an answer")
        self.ws.answer(self.current, q, rating=rating, evidence=evidence)
        self._record(q, {"rating": rating, "na": None, "evidence": evidence.strip()})  # one rule: surrounding whitespace is not kept

    def _record(self, q, values):
        """An edit that changes something makes the answer a draft, as does choosing a carried-forward
        answer's level again (reviewing it); one that changes nothing else records nothing."""
        answers = self.model[self.current]["answers"]
        old = answers.get(q)
        if old is None or any(old[k] != v for k, v in values.items()) or old["state"] == NEEDS_REVIEW:
            answers[q] = {**values, "state": "draft"}

    @precondition(lambda self: self.current is not None and not self.model[self.current]["frozen"])
    @rule(q=st.sampled_from(QUESTIONS), reason=TEXT.filter(lambda t: t.strip()))
    def mark_na(self, q, reason):
        self.ws.answer(self.current, q, na_reason=reason)
        old = self.model[self.current]["answers"].get(q, {"evidence": ""})
        self._record(q, {"rating": None, "na": reason.strip(), "evidence": old["evidence"]})

    @precondition(lambda self: self.current is not None and not self.model[self.current]["frozen"])
    @rule(q=st.sampled_from(QUESTIONS), title=TEXT.filter(lambda t: t.strip()))
    def act(self, q, title):
        a = self.ws.add_action(self.current, [q], title, "Owner", "2027-03-31")
        self.model[self.current]["actions"][a.id] = "not_started"

    @precondition(lambda self: self.current is not None and self.model[self.current]["actions"])
    @rule(data=st.data(), status=st.sampled_from(["on_track", "at_risk", "done"]))
    def progress(self, data, status):
        action_id = data.draw(st.sampled_from(sorted(self.model[self.current]["actions"])))
        self.ws.update_action(action_id, status=status, note="progress")
        self.model[self.current]["actions"][action_id] = status

    @precondition(lambda self: self.current is not None)
    @rule()
    def carry_forward(self):
        old = self.model[self.current]
        new = self.ws.new_assessment("", None, self._period(), from_handle=self.current).assessment
        self.model[new.id] = {
            "frozen": False,
            "answers": {q: {**a, "state": NEEDS_REVIEW} for q, a in old["answers"].items()},
            "actions": {},
        }
        for a in self.ws.actions(new.id):
            assert old["actions"][a.carried_from] not in ("done", "dropped")
            self.model[new.id]["actions"][a.id] = old["actions"][a.carried_from]
        assert len(self.model[new.id]["actions"]) == sum(s not in ("done", "dropped") for s in old["actions"].values())
        self.current = new.id

    @precondition(lambda self: self.current is not None and not self.model[self.current]["frozen"])
    @rule(agree_drafts=st.booleans())
    def sign_off(self, agree_drafts):
        m = self.model[self.current]
        states = [a["state"] for a in m["answers"].values()]
        complete = (len(m["answers"]) == len(QUESTIONS) and NEEDS_REVIEW not in states
                    and (agree_drafts or "draft" not in states))
        try:
            self.ws.sign_off(self.current, [("Chair", "Chair")], agree_drafts=agree_drafts)
        except Refused:
            assert not complete
            return
        assert complete
        m["frozen"] = True
        m["answers"] = {q: {**a, "state": "agreed"} for q, a in m["answers"].items()}

    @precondition(lambda self: self.current is not None and self.model[self.current]["frozen"])
    @rule()
    def reopen(self):
        old = self.model[self.current]
        new = self.ws.reopen(self.current, "corrections")
        self.model[new.id] = {
            "frozen": False,
            "answers": {q: {**a, "state": "agreed"} for q, a in old["answers"].items()},
            "actions": {a.id: old["actions"][a.carried_from] for a in self.ws.actions(new.id)},
        }
        self.current = new.id

    @rule()
    def restart(self):
        self.store.close()
        self.store, self.ws = open_workspace(self.tmp / "store", catalogue=self.catalogue)

    @invariant()
    def store_matches_model(self):
        for aid, m in self.model.items():
            answers = self.ws.answers(aid)
            assert set(answers) == set(m["answers"])
            for q, expected in m["answers"].items():
                got = answers[q]
                assert (got.rating, got.na_reason, got.evidence, got.state) == (
                    expected["rating"], expected["na"], expected["evidence"], expected["state"])
            assert {a.id: a.status for a in self.ws.actions(aid)} == m["actions"]
            assert self.ws.assessment(aid).frozen == (m["frozen"] or self.ws.assessment(aid).superseded_by is not None)


TestStoreMachine = StoreMachine.TestCase
TestStoreMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
