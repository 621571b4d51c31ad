"""Moving an assessment to a new version of its framework without losing an answer.

The new version's `retired` list says where each removed question's answers go: to one question
(`replaced_by: [x]`, carried over), to several (a split: each gets the answer, flagged for
re-rating), or, when several retired questions name the same successor, into one (a merge: the
successor gets their evidence and notes, no rating, flagged for re-rating). Answers to questions
the new version still asks carry over unchanged. Whatever is replaced or has nowhere to go is
archived, pinned to the version it was given under: nothing is ever deleted.

Planning is pure (no store): the workspace applies a plan in one commit on the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .framework import Framework

CARRY, SPLIT, MERGE, REMOVED, RESCALED = "carried", "split", "merged", "removed", "rescaled"


@dataclass(frozen=True)
class Move:
    """What happens to one answer (question_id in the old version)."""

    question_id: str
    ref: str
    kind: str  # carried (unchanged or renamed), split, merged, removed or rescaled
    targets: tuple[str, ...]  # question ids in the new version (empty when removed)
    # How people know them: the old question's words, and each target's ref and words in the new version.
    text: str = ""
    target_refs: tuple[str, ...] = ()
    target_texts: tuple[str, ...] = ()

    @property
    def named(self) -> str:
        """'1.2 "Board papers show impact"': the ref, and the question's words where they are short."""
        return named(self.ref, self.text)

    @property
    def targets_named(self) -> list[str]:
        return [named(r, t) for r, t in zip(self.target_refs or self.targets, self.target_texts or ("",) * len(self.targets),
                                            strict=True)]

    @property
    def rerate(self) -> bool:
        return self.kind in (SPLIT, MERGE, RESCALED)


@dataclass(frozen=True)
class Plan:
    from_key: str
    to_key: str
    moves: tuple[Move, ...]

    @property
    def changes_nothing(self) -> bool:
        return self.from_key == self.to_key

    def of(self, kind: str) -> list[Move]:
        return [m for m in self.moves if m.kind == kind]

    def lines(self) -> list[str]:
        """The plan in words, by the refs people know: a line a kind, and for a split or a merge a line
        each, old question(s) -> new (refs change between versions: "1.2" before may not be "1.2" after)."""
        out = []
        for kind, words in ((CARRY, "carried over"), (SPLIT, "split (each part flagged for re-rating)"),
                            (MERGE, "merged (flagged for re-rating)"),
                            (RESCALED, "scale changed (rating cleared, flagged for re-rating)"),
                            (REMOVED, "no longer asked (archived, pinned to " + self.from_key + ")")):
            moves = self.of(kind)
            if not moves:
                continue
            if kind == SPLIT:
                out += [f"{words}:"] + [f"  {m.named} -> {', '.join(m.targets_named)}" for m in moves]
            elif kind == MERGE:
                into: dict[str, list[Move]] = {}
                for m in moves:
                    into.setdefault(m.targets[0], []).append(m)
                out += [f"{words}:"] + [f"  {' + '.join(m.named for m in group)} -> {group[0].targets_named[0]}"
                                        for group in into.values()]
            else:  # a carried question renumbered says where it went
                out.append(f"{words}: " + ", ".join(
                    m.ref + (f" (now {m.target_refs[0]})" if kind == CARRY and m.target_refs and m.target_refs[0] != m.ref else "")
                    for m in moves))
        return out


SHORT = 50  # question words up to this long are shown beside the ref; longer ones would bury it


def named(ref: str, text: str) -> str:
    words = " ".join(text.split())
    return f'{ref} "{words}"' if words and len(words) <= SHORT else ref


def _split_part(framework: Framework, question_id: str) -> tuple[str, str]:
    """(the framework's own question id, the service suffix such as ':maternity' or '')."""
    q = framework.question(question_id)
    return (q.base_id, question_id[len(q.base_id):]) if q.base_id else (question_id, "")


def plan(old: Framework, new: Framework, answered: Mapping[str, str | None]) -> Plan:
    """What migrating these answers (question id -> rating key, None when not rated) from old to
    new would do. Both frameworks are as the assessment holds them (per-service copies named)."""
    merged_into: dict[str, int] = {}
    for r in new.retired:
        for t in r.replaced_by:
            merged_into[t] = merged_into.get(t, 0) + 1
    moves: list[Move] = []
    for qid, rating in answered.items():
        if not old.has_question(qid):
            continue  # already not part of this version (left from before): not ours to move
        base, suffix = _split_part(old, qid)

        def move(kind: str, targets: tuple[str, ...], qid: str = qid) -> Move:
            q, found = old.question(qid), [new.question(t) for t in targets]
            return Move(qid, q.ref, kind, targets, q.text, tuple(t.ref for t in found), tuple(t.text for t in found))

        if new.has_question(qid):
            scale = new.scale_for(new.question(qid))
            moves.append(move(RESCALED if rating is not None and rating not in scale.level_keys() else CARRY, (qid,)))
            continue
        targets = tuple(t + suffix for t in new.successors(base) if new.has_question(t + suffix))
        if not targets:
            moves.append(move(REMOVED, ()))
        elif len(targets) > 1:
            moves.append(move(SPLIT, targets))
        elif merged_into.get(targets[0][: len(targets[0]) - len(suffix)] if suffix else targets[0], 0) > 1:
            moves.append(move(MERGE, targets))
        else:
            moves.append(move(CARRY, targets))
    # In the framework's order, whatever order the answers were read in: the plan reads the same every run.
    place = {q.id: i for i, q in enumerate(old.questions())}
    return Plan(old.key, new.key, tuple(sorted(moves, key=lambda m: place.get(m.question_id, len(place)))))
