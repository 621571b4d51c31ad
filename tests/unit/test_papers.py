"""Board papers as they come out: the public text names no one and no user text can become
Markdown structure; layout holds in the PDF and the workbook; due dates as a calendar."""

from __future__ import annotations

import io
import random
import re
from datetime import timedelta

import docx
import pytest
from markdown_it import MarkdownIt

from selfassess.core.demo import create_demo
from selfassess.core.errors import InvalidInput
from selfassess.reports.data import gather
from selfassess.reports.export import render
from tests.helpers import BOARD_ID, TODAY, open_workspace

FIRST = ["Amara", "Bartholomew", "Chen", "Dafydd", "Eilidh", "Fatima", "Grzegorz", "Hamish", "Ifeoma", "Jaswinder"]
LAST = ["Okonkwo", "Pemberton-Smythe", "Quigley", "Rasmussen", "Szymańska", "Thistlethwaite", "Ubaldi", "Vasquez"]
ROLES = ["Director of Strategy", "Chief Nurse", "Medical Director", "Chief People Officer", "Director of Finance"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store, ws = open_workspace(tmp_path_factory.mktemp("demo") / "s")
    _, current = create_demo(ws)
    data = gather(ws, ws.assessment(current.id))
    store.close()
    return data


def plan(folder, n: int, *, seed: int = 7, roles: bool = True):
    """A plan of n actions with made-up owners, some overdue, some slipped."""
    rng = random.Random(seed)
    store, ws = open_workspace(folder / "s")
    a = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26", ods_code="RXX").assessment
    refs = [q.ref for q in ws.framework(a).questions()]
    for i, ref in enumerate(refs[:30]):
        ws.answer(a.id, ref, rating=str(1 + i % 4), evidence=f"Evidence for {ref}")
    for i in range(n):
        owner = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        due = (TODAY + timedelta(days=rng.randint(-90, 300))).isoformat()
        ws.add_action(a.id, [rng.choice(refs)], f"Action {i} on {rng.choice(['data', 'training', 'estates'])}",
                      owner, due, owner_role=rng.choice(ROLES) if roles and i % 7 else "")
    data = gather(ws, ws.assessment(a.id))
    store.close()
    return data


def public_texts(data) -> dict[str, str]:
    md = render(data, "md")[0].decode("utf-8")
    document = docx.Document(io.BytesIO(render(data, "docx")[0]))
    word = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for row in t.rows for c in row.cells]
                     + [document.core_properties.title or "", document.core_properties.author or ""])
    return {"markdown": md.replace("\\", ""), "word": word}


# --- the public text names no one -----------------------------------------------------------------


def test_the_annual_report_section_names_no_action_owner(demo, tmp_path):
    generated = plan(tmp_path, 40)
    for data in (demo, generated):
        owners = {a.owner for a in data.actions}
        assert len(owners) > 3 and data.figures.actions_overdue
        for fmt, text in public_texts(data).items():
            named = [o for o in owners if o in text] + [w for o in owners for w in o.split() if len(w) > 3 and w in text]
            assert not named, (fmt, named)
            assert "overdue" in text and "held by the" in text  # overdue actions are attributed to roles
            assert "selfassess" not in text.lower()  # no tool credit line


def test_the_section_quotes_no_question_and_says_every_state_in_sentences(demo, tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26").assessment
    empty = gather(ws, ws.assessment(a.id))
    store.close()
    questions = [q.text for q in ws.framework(a).questions()]
    for data in (demo, empty):
        for fmt, text in public_texts(data).items():
            assert not [q for q in questions if q in text], fmt
            assert "–." not in text and ": –" not in text, fmt  # never a dash where a sentence belongs
            assert "completed yet and" not in text, fmt
    text = public_texts(empty)["markdown"]
    assert "The trust has no overall score yet, as no question has been rated this year." in text
    assert "Strategy and governance: no score yet, as none of its 7 questions has been rated this year." in text
    assert "This is the trust's first assessment against this framework" in text
    assert "There are no open actions (0 in the plan)." in text
    demo_md = public_texts(demo)["markdown"]
    assert "No actions have been completed yet this year. 9 actions were carried forward from last year's plan" in demo_md


# --- Markdown: no structure can come from user text -----------------------------------------------

NASTY = [
    "First paragraph\n\nSecond paragraph after a blank line",
    "Heading by underline\n===",
    "Also by dashes\n---",
    "    four spaces make a code block",
    "# a heading\n## another",
    "see http://evil.example/x and www.evil.example and me@evil.example",
    "| a | table |\n| --- | --- |\n| x | y |",
    "<script>alert(1)</script> <b>bold</b> &amp; &copy;",
    "[a link](http://x) ![img](http://x/i.png) <http://x>",
    "```\nfenced\n```\n~~~\nfenced\n~~~",
    "1. one\n2) two\n- three\n+ four\n* five\n> quoted",
    "*em* _em_ **strong** ~~struck~~ `code` \\escaped\\",
    "***\n___\n- - -",
    "Line\u2028separator\u0085next\rline\x0bvt\x0cff end",
]
BLOCKS = {"heading_open", "heading_close", "paragraph_open", "paragraph_close", "bullet_list_open", "bullet_list_close",
          "list_item_open", "list_item_close", "inline", "table_open", "table_close", "thead_open", "thead_close",
          "tbody_open", "tbody_close", "tr_open", "tr_close", "th_open", "th_close", "td_open", "td_close"}


def md_tokens(md: str):
    parser = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
    return parser.parse(md)


def md_plain(tokens) -> str:
    out = []
    for t in tokens:
        if t.type == "inline":
            out += [c.content if c.type == "text" else "\n" for c in t.children]
        out.append(" ")
    return " ".join("".join(out).split())


def test_markdown_user_text_can_make_no_structure_and_reads_back(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    org = "Trust *of* <the> [Vale] # & Co\n==="
    a = ws.new_assessment(org, BOARD_ID, "2025/26", ods_code="RXX").assessment
    for i, text in enumerate(NASTY):
        ws.answer(a.id, f"1.{i % 7 + 1}", rating="1", evidence=text)
        ws.add_action(a.id, ["1.1"], text, "Dana Whitfield", (TODAY + timedelta(days=30 + i)).isoformat(),
                      owner_role=text[:60])
    data = gather(ws, ws.assessment(a.id))
    store.close()
    md = render(data, "md")[0].decode("utf-8")
    tokens = md_tokens(md)
    assert {t.type for t in tokens} <= BLOCKS, {t.type for t in tokens} - BLOCKS
    children = {c.type for t in tokens if t.type == "inline" for c in t.children}
    assert children <= {"text", "softbreak", "hardbreak"}, children  # no link, code, emphasis or HTML
    assert sum(t.type == "heading_open" for t in tokens) == 5
    assert sum(t.type == "table_open" for t in tokens) == 1
    assert sum(t.type == "bullet_list_open" for t in tokens) == 1
    assert sum(t.type == "list_item_open" for t in tokens) == 8  # KEY_ACTIONS: the list is not broken
    shown = md_plain(tokens)
    from selfassess.reports.safe_text import Cleaner

    for action in data.actions[:8]:  # the key actions, by due date: every word reads back as typed
        assert " ".join(Cleaner("x").clean(action.title, "t").split()) in shown, action.title
    assert " ".join(org.split()) in shown


def test_markdown_escaping_holds_for_any_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from selfassess.reports.safe_text import markdown_escape

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=st.sampled_from(list("#=-+*_`~<>[]()!|&\\:/.@ 1\n\tawh")) , max_size=40))
    def check(text):
        md = "Before " + markdown_escape(text) + " after"
        tokens = md_tokens(md)
        assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], (text, md)
        assert {c.type for c in tokens[1].children} <= {"text", "softbreak", "hardbreak"}, (text, md)
        assert md_plain(tokens) == " ".join(("Before " + text + " after").split()), (text, md)

    check()


# --- one rule for surrounding whitespace --------------------------------------------------------


def test_surrounding_whitespace_is_removed_from_every_field_and_a_blank_note_is_refused(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("  Northgate NHS Trust  ", BOARD_ID, "2025/26").assessment
    answer = ws.answer(a.id, "1.1", rating="2", evidence="\n  Minutes, item 4  \n\n", notes="\tSee the pack ")
    assert (answer.evidence, answer.notes) == ("Minutes, item 4", "See the pack")
    action = ws.add_action(a.id, ["1.1"], " Write a remit ", " Dana Whitfield ", "2027-01-31",
                           owner_role=" Chief Nurse\n", description="  Inside  spaces   kept  ")
    assert (action.title, action.owner, action.owner_role, action.description) == (
        "Write a remit", "Dana Whitfield", "Chief Nurse", "Inside  spaces   kept")
    with pytest.raises(InvalidInput, match="progress note is empty or only spaces"):
        ws.update_action(action.id, note="   ")
    assert ws.action(action.id).updates == ()
    store.close()
