"""The board report's plain-text blocks look exactly as the Paragraphs they stand in for: the same
line breaks, the same room left on each line, the same words in the same places, the same split
across a page; anything they cannot draw stays a Paragraph."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from selfassess.reports import pdf
from selfassess.reports.safe_text import Cleaner

WORDS = ["the", "board", "minutes", "a", "Zażółć", "gęślą", "Ŵyr", "—", "R&D", "<b>", "well-led", "committee's",
         "1,000", "(see)", "dashboard", "W", "iiii", "MMMMMMM", "Llŷr", "é", "&amp;"]
GAPS = [" ", " ", " ", "  ", "\n", " \n", "\n\n", ""]
STYLES = ["body", "finding", "small", "h4", "bullet", "cell"]
WIDTHS = [pdf.TEXT_WIDTH + 14, 200.0, 120.0, 80.0]


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(GAPS)), max_size=60))
    return draw(st.sampled_from(["", " "])) + "".join(w + g for w, g in parts)


@st.composite
def runs(draw: st.DrawFn) -> list[tuple[str, str | None, bool]]:
    out: list[tuple[str, str | None, bool]] = []
    if draw(st.booleans()):
        out += [(draw(st.sampled_from(["Evidence:", "Notes:", "E1.2", "Actions"])), None, True), (" ", None, False)]
    out.append((draw(texts()), "evidence", draw(st.booleans())))
    if draw(st.booleans()):
        out.append((" – " + draw(texts()), "owner", False))
    return out


def both(parts: list[tuple[str, str | None, bool]], style: str) -> tuple[object, pdf.Paragraph]:
    t = pdf._Text(Cleaner("PDF"))
    st_ = pdf._styles()[style]
    bullet = "•" if style == "bullet" else None
    return t.block(parts, st_, bullet), t._paragraph(parts, st_, bullet)


def paragraph_lines(para: pdf.Paragraph) -> list[tuple[str, float]]:
    bl = para.blPara
    if bl.kind == 0:
        return [(" ".join(words), round(room, 6)) for room, words in bl.lines]
    return [("".join(getattr(w, "text", "") for w in line.words).strip(), round(line.extraSpace, 6)) for line in bl.lines]


def block_lines(block: pdf._Block) -> list[tuple[str, float]]:
    return [(" ".join("".join(p for p, _ in w[0]) for w in words), round(room, 6)) for words, room, _, _ in block.lines]


@settings(max_examples=300, deadline=None)
@given(parts=runs(), style=st.sampled_from(STYLES), width=st.sampled_from(WIDTHS))
def test_a_block_breaks_its_lines_where_a_paragraph_does(parts, style, width):
    block, para = both(parts, style)
    _, height = para.wrap(width, 10_000)
    if not isinstance(block, pdf._Block):
        return
    assert block.wrap(width, 10_000) == (width, height)
    if block._instead is None:  # a word wider than the line: the Paragraph itself lays it out
        assert block_lines(block) == paragraph_lines(para)


def _words_on_pages(content: bytes) -> list[list[tuple[str, str]]]:
    """pdftotext's word boxes, page by page."""
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    return [re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page)
            for page in out.split("<page")[1:]]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed here")
@pytest.mark.parametrize("parts,style", [
    ([("Evidence:", None, True), (" ", None, False), ("Board minutes of 12 May, the dashboard and its terms of "
                                                      "reference; reviewed at committee and again at the board. " * 3,
                                                      "evidence", False)], "body"),
    ([("E1.2 · 2 Developing", None, True)], "h4"),
    ([("A1 ", None, False), ("Agree and deliver an improvement plan with the committee and the executive", "title",
                             False), (" – ", None, False), ("Director of Nursing", "owner", False),
      (", due 1 April 2027", None, False)], "bullet"),
    ([("Line one\nLine two  with  spaces\n\nafter a blank line  \n", "notes", False)], "small"),
    ([("Zażółć gęślą jaźń, Ŵyr, ŷd, Llŷr a'r ŵy " * 6, "notes", True)], "finding"),
])
def test_a_block_draws_every_word_where_a_paragraph_does(parts, style):
    block, para = both(parts, style)
    assert isinstance(block, pdf._Block)
    pages = []
    for flowable in (para, block):
        out = io.BytesIO()
        c = canvas.Canvas(out, pagesize=A4, invariant=1)
        _, h = flowable.wrap(300, 10_000)
        flowable.drawOn(c, 72, A4[1] - 72 - h)
        c.showPage()
        c.save()
        pages.append(_words_on_pages(out.getvalue()))
    assert pages[0] == pages[1] and pages[0][0]


@pytest.mark.parametrize("height", [5.0, 14.0, 27.0, 40.0, 66.0, 200.0])
def test_a_block_splits_across_a_page_as_a_paragraph_does(height):
    text = [("Evidence:", None, True), (" ", None, False), ("The board reviewed the plan and the risks. " * 12, "e", False)]
    block, para = both(text, "body")
    assert isinstance(block, pdf._Block)
    block.wrap(200, 10_000)
    para.wrap(200, 10_000)
    ours, theirs = block.split(200, height), para.split(200, height)
    assert [p.wrap(200, 10_000)[1] for p in ours] == [p.wrap(200, 10_000)[1] for p in theirs]
    if len(ours) == 2:
        assert block_lines(ours[0]) + block_lines(ours[1]) == block_lines(block)


@pytest.mark.parametrize("text", [
    "Great progress 😀👍",  # Symbola: a Paragraph switches font
    "مرحبا بالعالم: الصحة للجميع",  # shaped and reordered
    "no\u00a0break", "a\ttab", "zero\u200bwidth", "soft\u00adhyphen",  # spaces a Paragraph treats otherwise
    "漢字",  # no glyph: shown as its code point, and noted
])
def test_text_a_block_cannot_draw_as_a_paragraph_would_stays_a_paragraph(text):
    block, _ = both([("Evidence:", None, True), (" ", None, False), (text, "evidence", False)], "body")
    assert not isinstance(block, pdf._Block)


def test_a_word_wider_than_the_line_is_left_to_the_paragraph():
    block, para = both([("https://example.org/" + "averyveryverylongpath" * 4, "evidence", False)], "body")
    assert isinstance(block, pdf._Block)
    assert block.wrap(150, 10_000) == para.wrap(150, 10_000)
    assert block._instead is not None


def test_lines_a_little_over_the_width_are_kept_with_narrower_spaces_as_a_paragraph_keeps_them():
    """reportlab lets a line run over by 5% of its spaces and narrows them: the block does the same."""
    import random

    rnd = random.Random(13)
    squeezed = 0
    for _ in range(400):
        text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 40)))
        block, para = both([("Evidence:", None, True), (" ", None, False), (text, "evidence", False)], "body")
        assert isinstance(block, pdf._Block)
        width = rnd.choice(WIDTHS)
        assert block.wrap(width, 10_000) == para.wrap(width, 10_000)
        assert block_lines(block) == paragraph_lines(para)
        squeezed += sum(room < 0 for _, room in block_lines(block))
    assert squeezed > 5


# Characters and runs of them: ASCII with PDF's own escapes, others in DejaVu (one run of 300 fills subset 0,
# so later ones go in subset 1), and some no font here has, or none draws.
MANY = "".join(map(chr, range(0x100, 0x180))) + "".join(map(chr, range(0x400, 0x4B0)))
PIECES = st.sampled_from([*"aZ 09.,;:'\"~()\\", "é", "ŵ", "—", "Ж", "ѣ", MANY, "😀", "漢", "\x07", "\t", "\u00a0", "\x7f"])


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from([pdf.BODY, pdf.BOLD, pdf.SYMBOLS, "Helvetica", "new", "same", "same"]),
                                st.lists(PIECES, max_size=8).map("".join)), max_size=25))
def test_text_written_straight_out_gives_the_bytes_reportlab_writes(steps):
    """_show writes text without reportlab's _formatText, and _origin moves without setTextOrigin: the
    document must be the same, byte for byte (the same operators, the same subsets and glyphs embedded),
    whatever the text and fonts."""
    pdf._fonts()

    def document(show, origin) -> bytes:
        out = io.BytesIO()
        c = canvas.Canvas(out, pagesize=A4, invariant=1)
        text = c.beginText(72, 700)
        for i, (font, s) in enumerate(steps):
            if font == "new":  # a new text object, as each block draws its own
                c.drawText(text)
                text = c.beginText(72, 600)
            elif font != "same":  # (else more text in the font and subset of the last)
                text.setFont(font, 9.5)
            origin(text, 72 + i / 3, 700 - 10.25 * i)
            show(text, s)
        c.drawText(text)
        c.showPage()
        c.save()
        return out.getvalue()

    assert document(pdf._show, pdf._origin) == document(lambda text, s: text._textOut(s),
                                                        lambda text, x, y: text.setTextOrigin(x, y))
