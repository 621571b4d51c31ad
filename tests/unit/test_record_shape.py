"""Records built from stored dicts without the dataclass __init__ (model.Record.from_record and
replace) are the same records __init__ builds: the same fields, defaults and errors."""

from __future__ import annotations

import dataclasses

import pytest

from selfassess.core import model
from selfassess.core.model import Action, Answer, Assessment, Record


def _record_classes() -> list[type[Record]]:
    """Those read through Record.from_record itself (not one of their own)."""
    return [c for c in vars(model).values() if isinstance(c, type) and issubclass(c, Record) and c is not Record
            and dataclasses.is_dataclass(c) and "from_record" not in vars(c)]


def _required_only(cls: type[Record]) -> dict[str, object]:
    """A value for each required field, made-up but of a plain type."""
    return {f.name: f"{f.name}-value" for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}


@pytest.mark.parametrize("cls", _record_classes(), ids=lambda c: c.__name__)
def test_from_record_gives_what_init_gives_with_every_default(cls):
    data = _required_only(cls)
    made = cls.from_record(data)
    assert made == cls(**data)
    for f in dataclasses.fields(cls):
        assert hasattr(made, f.name), f"{cls.__name__}.{f.name} was not set"
    assert made.to_record() == cls.from_record(made.to_record()).to_record()
    # In the fields' order however read (to_record copies __dict__): a record's JSON reads the same.
    order = [f.name for f in dataclasses.fields(cls)]
    assert list(made.to_record()) == order
    assert list(cls.from_record(dict(reversed(list(data.items())))).to_record()) == order
    assert list(cls(**data).to_record()) == order


def test_fields_the_record_does_not_name_are_left_out_and_a_missing_one_is_named():
    stored = {"id": "a1", "assessment_id": "x", "question_id": "q1", "rating": "leading", "from_a_later_version": 1}
    answer = Answer.from_record(stored)
    assert answer.rating == "leading" and answer.evidence == "" and answer.state == model.DRAFT
    assert "from_a_later_version" not in answer.to_record()
    with pytest.raises(TypeError, match="question_id"):
        Answer.from_record({"id": "a1", "assessment_id": "x"})


def test_each_record_gets_its_own_default_containers():
    data = {"id": "s1", "organisation_id": "o", "framework_id": "f", "framework_version": "1", "framework_hash": "h",
            "period": "2026/27", "status": "in_progress", "created_at": "t", "created_by": "me"}
    one, two = Assessment.from_record(data), Assessment.from_record(data)
    assert one.parts == {} and one.targets == {}
    assert one.parts is not two.parts and one.targets is not two.targets


def test_replace_changes_only_what_it_names_and_refuses_a_stranger():
    answer = Answer.from_record({"id": "a1", "assessment_id": "x", "question_id": "q1", "evidence": "minutes"})
    changed = answer.replace(rating="leading", updated_by="board")
    assert (changed.rating, changed.updated_by, changed.evidence) == ("leading", "board", "minutes")
    assert answer.rating is None and answer.updated_by == ""  # the original is as it was
    assert changed == Answer(**{**answer.to_record(), "rating": "leading", "updated_by": "board"})
    with pytest.raises(TypeError, match="colour"):
        answer.replace(colour="red")


def test_an_action_read_from_its_record_is_the_action_that_was_stored():
    action = Action(id="x1", assessment_id="s1", ref="A1", question_ids=("q1", "q2"), title="Agree a plan",
                    owner="Chief nurse", original_due="2027-03-31", current_due="2027-06-30", updates=(model.ProgressUpdate("2026-12-01", "me", "Started"),))
    assert Action.from_record(action.to_record()) == action
    assert Action.from_record(action.stored()).updates == ()  # the stored record holds no history
