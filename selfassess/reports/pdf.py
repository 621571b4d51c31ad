"""The board report as a PDF: cover with sign-off block, executive summary, domain chart against
last year, findings by domain, the action plan, and an appendix of every answer.

reportlab reads Paragraph text as markup, so every user string is escaped; fonts ship with the
package (DejaVu Sans, and Symbola for emoji and symbols), each character is checked against them,
and anything no font can draw is shown as its code point and reported. Identical input gives
byte-identical output (reportlab's invariant mode, and no clock or randomness in the content).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, TypeAlias
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..core.model import ANSWER_STATES, DRAFT
from .data import (
    ActionRow,
    AnswerRow,
    BoardRatings,
    ReportData,
    SpreadRow,
    StakeholderRatings,
    change_words,
    long_date,
    pct,
    score_and_level,
    score_words,
)
from .safe_text import Cleaner, has_rtl

FONTS = Path(__file__).parent / "fonts"
BODY, BOLD, SYMBOLS = "DejaVuSans", "DejaVuSans-Bold", "Symbola"
TEXT_WIDTH = A4[0] - 4 * cm - 14  # the text column, less the bullet indent
NAVY = colors.HexColor("#1F4E79")
GREY = colors.HexColor("#595959")
LIGHT = colors.HexColor("#EEF3F8")
PROVISIONAL = colors.HexColor("#C9D3DD")  # a score still counting answers carried forward, not yet reviewed
PREVIOUS = colors.HexColor("#A6A6A6")
# The answer states, in STATES order: dark, mid, light and hatched, white; told apart in grey print too.
STATE_FILLS = (colors.HexColor("#1F6F43"), colors.HexColor("#F2B134"), colors.HexColor("#C9D3DD"), colors.white)
RAG = {"Red": colors.HexColor("#F4B6B6"), "Amber": colors.HexColor("#FFE08A"), "Green": colors.HexColor("#B7E1A1"),
       "Complete": colors.HexColor("#BDD7EE"), "Dropped": colors.HexColor("#D9D9D9")}

# Defence in depth: report text never carries images or links, and reportlab may fetch nothing.
rl_config.trustedHosts = []
rl_config.trustedSchemes = []


def _utf16_hex(code_point: int) -> str:
    return chr(code_point).encode("utf-16-be").hex().upper()


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode map writes characters beyond U+FFFF (emoji) as five hex digits, which
    PDF readers reject, so copying or searching them fails. The map must hold UTF-16 (surrogate
    pairs); this is reportlab's function with that one line corrected."""
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange", f"{len(subset)} beginbfchar",
        *[f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)],
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ])


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


@cache
def _fonts() -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """Register the shipped fonts once; return the code points each can draw."""
    faces = {}
    for name, file in ((BODY, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf"), (SYMBOLS, "Symbola.ttf")):
        font = TTFont(name, str(FONTS / file))
        pdfmetrics.registerFont(font)
        faces[name] = frozenset(font.face.charToGlyph)
    pdfmetrics.registerFontFamily(BODY, normal=BODY, bold=BOLD, italic=BODY, boldItalic=BOLD)
    return faces[BODY], faces[BOLD], faces[SYMBOLS]


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=BODY, fontSize=9.5, leading=13, spaceAfter=4, alignment=TA_LEFT)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=GREY),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10, spaceAfter=0),
        "cellb": ParagraphStyle("cellb", parent=base, fontName=BOLD, fontSize=8, leading=10, spaceAfter=0,
                                textColor=colors.white),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=24, leading=30, textColor=NAVY, spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=14, leading=19, textColor=GREY, spaceAfter=6),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=16, leading=21, textColor=NAVY,
                             spaceBefore=6, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=12, leading=16, textColor=NAVY,
                             spaceBefore=10, spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base, fontName=BOLD, fontSize=10, leading=13, spaceBefore=6, spaceAfter=2),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=12, bulletIndent=2),
        "h4": ParagraphStyle("h4", parent=base, fontName=BOLD, fontSize=9, leading=12, spaceBefore=5, spaceAfter=1,
                             textColor=NAVY),
        "finding": ParagraphStyle("finding", parent=base, spaceAfter=2),
    }


class _Text:
    """User text to reportlab markup: cleaned, shaped if right-to-left, escaped, fonts checked."""

    def __init__(self, cleaner: Cleaner):
        self.cleaner = cleaner
        self.body, self.bold, self.symbols = _fonts()

    def __call__(self, text: str | None, where: str, bold: bool = False, width: float = TEXT_WIDTH,
                 size: float = 9.5) -> str:
        """Markup for a Paragraph about width points wide (the width matters only for right-to-left text)."""
        return self._markup(self.cleaner.clean(text, where), where, bold, width, size)

    def _markup(self, text: str, where: str, bold: bool = False, width: float = TEXT_WIDTH, size: float = 9.5) -> str:
        """Markup for text already cleaned."""
        if not text:
            return ""
        font = BOLD if bold else BODY
        lines = [v for line in text.split("\n") for v in self._visual_lines(line, font, size, width)]
        return "<br/>".join(self._fonts(line, where, bold) for line in lines)

    def block(self, runs: Sequence[tuple[str, str | None, bool]], style: ParagraphStyle,
              bullet: str | None = None) -> Flowable:
        """A paragraph from runs of (text, where it came from, bold): user text (where is named) is cleaned;
        report wording (where is None) is only escaped, as before. Drawn as a _Block when every character
        is in the main fonts and nothing needs shaping, else as the Paragraph it always was."""
        runs = [(text if where is None else self.cleaner.clean(text, where), where, bold) for text, where, bold in runs]
        if style.fontName in (BODY, BOLD) and not style.firstLineIndent and style.alignment == TA_LEFT \
                and style.bulletAnchor == "start":
            pieces: list[tuple[str, str]] = []
            for text, where, bold in runs:
                if where is None:  # report wording goes in as it was escaped: a line break is a space there
                    text = text.replace("\n", " ")
                font = BOLD if bold or style.fontName == BOLD else BODY
                drawn = text.replace("\n", "")  # a line break is no glyph
                if not (self.bold if font == BOLD else self.body).issuperset(map(ord, drawn)) or _ODD_SPACE.search(text):
                    break
                pieces.append((text, font))
            else:
                block = _Block.of(pieces, style, bullet, lambda: self._paragraph(runs, style, bullet))
                if block is not None:
                    return block
        return self._paragraph(runs, style, bullet)

    def _paragraph(self, runs: Sequence[tuple[str, str | None, bool]], style: ParagraphStyle,
                   bullet: str | None) -> Paragraph:
        markup = "".join((f"<b>{escape(text)}</b>" if bold else escape(text)) if where is None
                         else (f"<b>{self._markup(text, where, True)}</b>" if bold else self._markup(text, where))
                         for text, where, bold in runs)
        return _Para(markup, style, bulletText=bullet)

    def lines(self, parts: Sequence[_Part], width: float) -> list[_Line] | None:
        """Text pre-wrapped into drawable lines, when every character is in the main font and no
        right-to-left text needs shaping; None when the cell needs a Paragraph's font fallback."""
        out: list[_Line] = []
        for text, where, font, size, colour in parts:
            text = self.cleaner.clean(text, where)
            for para in text.split("\n"):
                rtl = has_rtl(para)
                lines = self._visual_lines(para, font, size, width) if rtl else _wrap(para, font, size, width)
                if (rtl or not self.body.issuperset(map(ord, para))) \
                        and not all(self.body.issuperset(map(ord, line)) for line in lines):
                    return None
                out += [_Line(line, font, size, colour) for line in lines]
        return out

    def plain(self, text: str, where: str) -> str:
        """For places that take no markup (chart labels, the running header): body font only."""
        text = self._visual(self.cleaner.clean(text, where).replace("\n", " "))
        missing = sorted({f"U+{ord(ch):04X}" for ch in text if ord(ch) not in self.body and ch != " "})
        if missing:
            self.cleaner.note(f"{where}: {len(missing)} character(s) ({', '.join(missing)}) cannot be drawn there "
                              "and are shown as their code points")
        return "".join(ch if ord(ch) in self.body or ch == " " else f"[U+{ord(ch):04X}]" for ch in text)

    @staticmethod
    def _visual(line: str) -> str:
        """PDF text is drawn left to right: shape and reorder right-to-left runs (Arabic, Hebrew)."""
        return line if not has_rtl(line) else _reorder(_shape(line))

    @staticmethod
    def _visual_lines(line: str, font: str, size: float, width: float) -> list[str]:
        """Right-to-left text is wrapped in reading order first, then each line is reordered for
        drawing: reordering a whole paragraph and then wrapping it would put its lines in reverse."""
        if not has_rtl(line):
            return [line]
        return [_reorder(piece) for piece in _wrap(_shape(line), font, size, width * 0.97)]

    def _fonts(self, line: str, where: str, bold: bool) -> str:
        own = self.bold if bold else self.body
        if own.issuperset(map(ord, line)):  # the common case: every character in the main font
            return escape(line)
        out: list[str] = []
        in_symbols = False
        # A joined sequence (a family emoji, a conjunct) needs shaping the report cannot do: its
        # parts are drawn side by side, and the notes say so.
        joined = "\u200d" in line
        missing: list[str] = []
        for ch in line:
            cp = ord(ch)
            if cp in own or ch in " \t":
                piece, symbols = escape(ch), False
            elif cp in self.symbols:
                piece, symbols = escape(ch), True
            elif unicodedata.category(ch) in ("Mn", "Cf") and cp in (0x200D, 0xFE0E, 0xFE0F):
                continue  # joiners and emoji presentation selectors: nothing to draw
            else:
                missing.append(f"U+{cp:04X}")
                piece, symbols = f"[U+{cp:04X}]", False
            if symbols != in_symbols:
                out.append(f'<font name="{SYMBOLS}">' if symbols else "</font>")
                in_symbols = symbols
            out.append(piece)
        if in_symbols:
            out.append("</font>")
        if joined:
            self.cleaner.note(f"{where}: a zero width joiner (U+200D) is not drawn; the characters it joins are "
                              "shown side by side")
        if missing:
            self.cleaner.note(f"{where}: {len(missing)} character(s) ({', '.join(sorted(set(missing)))}) have no glyph "
                              "in the report's fonts and are shown as their code points")
        return "".join(out)


class _Para(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A Paragraph that remembers its last line breaking: tables wrap each cell several times
    (to measure, to split across pages, to draw) at the same width, and breaking lines is the
    slowest part of a long report. The result depends only on the width."""

    _wrapped: tuple[float, tuple[Any, ...]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        if self._wrapped is not None and self._wrapped[0] == availWidth:
            self.width, self.height, self.blPara, self._wrapWidths = self._wrapped[1]
            return self.width, self.height
        result: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, (self.width, self.height, self.blPara, self._wrapWidths))
        return result


# Whitespace a Paragraph treats otherwise than a plain space (no-break, zero-width, tabs and the
# like), soft hyphens, and right-to-left letters (shaped and reordered): such text stays a Paragraph.
_ODD_SPACE = re.compile("[^\\S \n]|[\u200b\u00ad\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_SHRINK = 0.05  # reportlab's spaceShrinkage: a line may run over by 5% of its spaces, which are then narrowed
# A word: its (text, font) pieces, its width, and the font and width of the space after it (a space is
# as wide as its own font makes it: "<b>Evidence:</b> x" has a regular space after a bold word).
_Word: TypeAlias = tuple[tuple[tuple[str, str], ...], float, str, float]


class _Block(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """A paragraph of plain text in the report's own fonts, broken into lines and drawn exactly as
    reportlab's Paragraph does it (greedy at spaces, lines that run over by at most 5% of their spaces
    drawn with narrower spaces, the first baseline a font size below the top, then one leading a
    line; bullet drawn by reportlab), without parsing markup: the findings and the appendix are two
    thousand short paragraphs, and parsing and breaking them was most of the time a report took.
    Made by _Text.block only, which keeps a Paragraph for anything else (font fallback,
    right-to-left text, unusual spaces); a word wider than the line hands the whole paragraph to
    the Paragraph it would have been, which splits the word."""

    def __init__(self, segments: list[list[_Word]], style: ParagraphStyle, bullet: str | None,
                 paragraph: Callable[[], Paragraph], one_font: str | None = None):
        super().__init__()
        self.segments, self.style, self.bullet, self.paragraph = segments, style, bullet, paragraph
        self.one_font = one_font  # when every word and space is in this one font (a word is then one piece)
        self._at: float | None = None
        self._instead: Paragraph | None = None
        self.lines: list[tuple[list[_Word], float, int, int]] = []  # words, room left, segment, first word

    @classmethod
    def of(cls, pieces: list[tuple[str, str]], style: ParagraphStyle, bullet: str | None,
           paragraph: Callable[[], Paragraph]) -> Flowable | None:
        size = style.fontSize
        seg: list[_Word] = []
        segments = [seg]
        pending: list[tuple[str, str]] = []  # a word that may go on in the next piece ("<b>E1</b>.2")

        def joined(space: str, space_width: float) -> _Word:
            word = tuple(pending)
            pending.clear()
            if len(word) == 1:
                return word, _widths(word[0][1], size)[word[0][0]], space, space_width
            width = sum(_widths(f, size)[t] for t, f in word)
            if all(f == word[0][1] for _, f in word):  # one font: one piece
                word = (("".join(t for t, _ in word), word[0][1]),)
            return word, width, space, space_width

        for text, font in pieces:
            widths = _widths(font, size)
            space = widths[" "]
            for n, line in enumerate(text.split("\n")):
                if n:
                    if pending:
                        seg.append(joined(font, space))
                    seg = []
                    segments.append(seg)
                parts = line.split(" ")
                if parts[0]:
                    pending.append((parts[0], font))
                if len(parts) == 1:
                    continue
                if pending:
                    seg.append(joined(font, space))
                seg += [(((part, font),), widths[part], font, space) for part in parts[1:-1] if part]
                if parts[-1]:
                    pending.append((parts[-1], font))
        if pending:
            seg.append(joined(BODY, 0.0))
        if len(segments) > 1 and not segments[-1]:
            segments.pop()  # a break at the very end adds no line
        if segments == [[]]:
            return None  # nothing to draw: the Paragraph it was
        fonts = {font for text, font in pieces if text}  # spaces included: each is drawn in its own font
        return cls(segments, style, bullet, paragraph, fonts.pop() if len(fonts) == 1 else None)

    def _break(self, width: float) -> list[tuple[list[_Word], float, int, int]] | None:
        """reportlab's greedy line breaking (Paragraph.breakLines, left aligned, no hyphenation)."""
        lines: list[tuple[list[_Word], float, int, int]] = []
        for s, segment in enumerate(self.segments):
            if not segment:
                lines.append(([], width, s, 0))
                continue
            line: list[_Word] = []
            used = gaps = 0.0
            start = 0
            for i, w in enumerate(segment):
                if w[1] > width:
                    return None  # a word wider than the line: the Paragraph splits it
                if line:
                    gap = line[-1][3]
                    if used + gap + w[1] <= width + _SHRINK * (gaps + gap):
                        line.append(w)
                        used += gap + w[1]
                        gaps += gap
                        continue
                    lines.append((line, width - used, s, start))
                line, used, gaps, start = [w], w[1], 0.0, i
            lines.append((line, width - used, s, start))
        return lines

    def _width_for(self, avail: float) -> float:
        st = self.style
        width = avail - st.leftIndent - st.rightIndent
        if self.bullet:  # a bullet wider than the indent shortens the first line (no style here has one)
            over = st.bulletIndent + pdfmetrics.stringWidth(self.bullet, st.bulletFontName, st.bulletFontSize) \
                + 0.6 * st.bulletFontSize - st.leftIndent
            if over > 0:
                return -1.0  # no line fits: the Paragraph lays it out
        return float(width)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        if self._at != availWidth and self._instead is None:
            lines = self._break(self._width_for(availWidth))
            if lines is None:
                self._instead = self.paragraph()
            else:
                self.lines, self._at = lines, availWidth
        if self._instead is not None:
            self.width, self.height = self._instead.wrap(availWidth, availHeight)
        else:
            self.width, self.height = availWidth, len(self.lines) * self.style.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self.wrap(availWidth, availHeight)
        if self._instead is not None:
            return list(self._instead.split(availWidth, availHeight))
        fit = int(availHeight / self.style.leading)
        if fit <= 1:  # never a single line left behind at the foot of a page (reportlab's allowOrphans=0)
            return []
        if len(self.lines) <= fit:
            return [self]
        _, _, s, start = self.lines[fit]
        head = [*self.segments[:s], *([self.segments[s][:start]] if start else [])]
        tail = [self.segments[s][start:], *self.segments[s + 1:]]
        return [_Block(head, self.style, self.bullet, lambda: self._part(head, self.bullet), self.one_font),
                _Block(tail, self.style, None, lambda: self._part(tail, None), self.one_font)]

    def _part(self, segments: list[list[_Word]], bullet: str | None) -> Paragraph:
        """A part of this paragraph as a Paragraph, should it be laid out at another width."""
        bold = self.style.fontName != BOLD
        return _Para("<br/>".join(" ".join("".join(f"<b>{escape(t)}</b>" if bold and f == BOLD else escape(t)
                                                   for t, f in w[0]) for w in seg) for seg in segments),
                     self.style, bulletText=bullet)

    def draw(self) -> None:
        c, st = self.canv, self.style
        if self._instead is not None:
            self._instead.drawOn(c, 0, 0)
            return
        y = self.height - st.fontSize  # (drawOn saves and restores the canvas state around this)
        if self.bullet:  # as reportlab's Paragraph draws it (anchored at its start, in its own font)
            mark = c.beginText(st.bulletIndent, y + getattr(st, "bulletOffsetY", 0))
            mark.setFont(st.bulletFontName, st.bulletFontSize)
            mark.setFillColor(getattr(st, "bulletColor", st.textColor))
            _show(mark, self.bullet)  # (textOut but for moving a cursor no one reads)
            c.drawText(mark)
        text = c.beginText()
        text.setFillColor(st.textColor)
        font = None
        size = st.fontSize
        one = self.one_font
        for words, room, _, _ in self.lines:
            _origin(text, st.leftIndent, y)
            squeeze = room < -1e-8 and len(words) > 1
            if squeeze:
                text.setWordSpace(room / (len(words) - 1))
            if one is not None:  # the common case: one font, a word a piece
                if words:
                    if font != one:
                        font = one
                        text.setFont(one, size)
                    _show(text, " ".join([w[0][0][0] for w in words]))
                if squeeze:
                    text.setWordSpace(0)
                y -= st.leading
                continue
            runs: list[tuple[str, list[str]]] = []  # (font, its text's parts), a space in its own font
            run_font: str | None = None
            for n, (pieces, _, _, _) in enumerate(words):
                if n:
                    space_font = words[n - 1][2]
                    if space_font != run_font:
                        run_font = space_font
                        runs.append((space_font, []))
                    runs[-1][1].append(" ")
                for piece, f in pieces:
                    if f != run_font:
                        run_font = f
                        runs.append((f, []))
                    runs[-1][1].append(piece)
            for f, parts in runs:
                if f != font:
                    font = f
                    text.setFont(f, size)
                _show(text, "".join(parts))
            if squeeze:
                text.setWordSpace(0)
            y -= st.leading
        c.drawText(text)


def _show(text: Any, s: str) -> None:
    """text._textOut(s), the same operators written straight out when they can be: reportlab's _formatText
    splits a string by font subset and encodes it a character at a time. When every character already has
    its code in subset 0 (printable ASCII always has its own, ttfAsciiReadable; others once drawn),
    "(codes) Tj", after the subset's Tf if it is not the current one, is what it would write. Anything
    else (a character not drawn before, one in another subset) goes through it."""
    font = _dynamic_font(text._fontname) if s else None
    ascii_ = font in _ASCII_READABLE and s.isascii() and s.isprintable()
    if ascii_ and text._curSubset == 0:  # the common case, and the document's subsets surely made
        text._code.append(f"({escapePDF(s)}) Tj")
        return
    doc = text._canvas._doc
    state = font.state.get(doc) if font is not None else None
    if font is None or state is None:  # (a document's subsets are made first by _formatText, as they would be)
        text._textOut(s)
        return
    if ascii_:
        codes: str | bytes = s
    else:
        try:
            codes = bytes([state.assignments[c] for c in map(ord, s)])  # ValueError: a code in another subset
        except (KeyError, ValueError):
            text._textOut(s)
            return
    if text._curSubset == 0:
        text._code.append(f"({escapePDF(codes)}) Tj")
    else:
        text._code.append(f"{_tf(font.getSubsetInternalName(0, doc), text._fontsize, text._leading)} "
                          f"({escapePDF(codes)}) Tj")
        text._curSubset = 0


@cache
def _tf(name: str, size: float, leading: float) -> str:
    """The font operators _formatText writes for a subset: the same few, thousands of times."""
    return f"{name} {fp_str(size)} Tf {fp_str(leading)} TL"


def _origin(text: Any, x: float, y: float) -> None:
    """text.setTextOrigin(x, y): the same operator, and the same cursor, without its lookups."""
    if not text._canvas.bottomup:
        text.setTextOrigin(x, y)
        return
    text._code.append(f"1 0 0 1 {fp_str(x, y)} Tm")
    text._x0 = text._x = x
    text._y0 = text._y = y


_ASCII_READABLE: set[Any] = set()  # the fonts whose subset 0 holds printable ASCII at its own codes


@cache
def _dynamic_font(name: str) -> Any:
    """The font if it is a subsetting TrueType font (reportlab's _dynamicFont), else None."""
    font = pdfmetrics.getFont(name)
    if not getattr(font, "_dynamicFont", False):
        return None
    if getattr(font, "_asciiReadable", False) and all(c in font.face.charToGlyph for c in range(32, 127)):
        _ASCII_READABLE.add(font)
    return font


class _Widths(dict[str, float]):
    """stringWidth in one font and size, remembered: the same words come back thousands of times."""

    def __init__(self, font: str, size: float):
        super().__init__()
        self.font, self.size = font, size

    def __missing__(self, text: str) -> float:
        if len(self) > 100_000:  # bounded, whatever the text
            self.clear()
        width: float = pdfmetrics.stringWidth(text, self.font, self.size)
        self[text] = width
        return width


@cache
def _widths(font: str, size: float) -> _Widths:
    return _Widths(font, size)


class _Line(NamedTuple):  # a tuple: a plan has ten thousand lines, and a frozen dataclass is slow to make
    text: str
    font: str
    size: float
    colour: object


_Cell: TypeAlias = list[_Line] | Paragraph
_Part: TypeAlias = tuple[str, str, str, float, object]  # text, where it came from, font, size, colour
_PAD = 3
OWNERS_SHOWN = 6  # owners of overdue actions named in the executive summary
CHALLENGES_SHOWN = 15  # points for challenge listed in the board report; `selfassess checks` has them all
UPDATE_IN_TABLE = 600  # characters of the last update shown in the action table (the workbook has it all)


def _shape(text: str) -> str:
    """Arabic letters in their joined forms, still in reading order."""
    import arabic_reshaper

    try:
        return str(arabic_reshaper.reshape(text))
    except Exception:  # text the shaper cannot handle is kept as written
        return text


def _reorder(text: str) -> str:
    """One line from reading order to drawing order (the Unicode bidi algorithm, python-bidi)."""
    from bidi import get_display

    try:
        return str(get_display(text))
    except Exception:  # drawn in the order it was written rather than not at all
        return text


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines that fit the width: at spaces where possible, else within a word too long for it
    (a URL, a formula), so nothing runs into the next column."""
    lines: list[str] = []
    for line, sure in _simple_split(text, font, size, width) or [("", True)]:
        # reportlab's simpleSplit keeps a word wider than the line whole: cut it (only a line of one
        # word, or one at the very edge, can be wider than the sum of its words says)
        while not sure and pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return lines


def _simple_split(text: str, font: str, size: float, width: float) -> list[tuple[str, bool]]:
    """reportlab.lib.utils.simpleSplit for one line of text, with remembered word widths, the same
    arithmetic, and for each line whether it surely fits."""
    widths = _widths(font, size)
    space = widths[" "]
    lines: list[tuple[str, bool]] = []
    words: list[str] = []
    used = -space
    for word in text.split():
        w = widths[word]
        if used + space + w <= width or not words:
            words.append(word)
            used = used + space + w
        else:
            lines.append((" ".join(words), len(words) > 1 and used <= width - 1e-6))
            words = [word]
            used = w
    if words:
        lines.append((" ".join(words), len(words) > 1 and used <= width - 1e-6))
    return lines


def _plain_lines(texts: list[str]) -> list[_Line]:
    return [_Line(x, BODY, 8, colors.black) for x in texts]


class _FastTable(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """A long table drawn row by row: text pre-wrapped into lines, split between rows, the header
    repeated on every page. reportlab's Table re-measures every cell of a 1,000-row plan several
    times; this measures each once. Cells that need font fallback or shaping are Paragraphs."""

    def __init__(self, header: list[str], widths: list[float], rows: list[list[_Cell]], fills: list[Any],
                 heights: list[float] | None = None):
        super().__init__()
        self.header, self.widths, self.rows, self.fills = header, widths, rows, fills
        self.heights = heights if heights is not None else [self._row_height(r) for r in rows]
        self.header_height = 8 * 1.25 + 2 * _PAD

    def _cell_height(self, cell: _Cell, width: float) -> float:
        if isinstance(cell, Paragraph):
            return float(cell.wrap(width - 2 * _PAD, 10_000)[1]) + 2 * _PAD
        return sum(line.size * 1.25 for line in cell) + 2 * _PAD

    def _row_height(self, row: list[_Cell]) -> float:
        return max(self._cell_height(c, w) for c, w in zip(row, self.widths, strict=True))

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        self.width = sum(self.widths)
        self.height = self.header_height + sum(self.heights)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[_FastTable]:  # noqa: N803
        room, k = availHeight - self.header_height, 0
        while k < len(self.rows) and self.heights[k] <= room:
            room -= self.heights[k]
            k += 1
        if k == 0 or k == len(self.rows):
            return []
        return [_FastTable(self.header, self.widths, self.rows[:k], self.fills[:k], self.heights[:k]),
                _FastTable(self.header, self.widths, self.rows[k:], self.fills[k:], self.heights[k:])]

    def draw(self) -> None:
        c = self.canv
        x0, top = 0.0, self.height
        c.setFillColor(NAVY)
        c.rect(x0, top - self.header_height, self.width, self.header_height, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont(BOLD, 8)
        x = x0
        for title, w in zip(self.header, self.widths, strict=True):
            c.drawString(x + _PAD, top - _PAD - 8, title)
            x += w
        y = top - self.header_height
        c.setStrokeColor(colors.HexColor("#BFBFBF"))
        c.setLineWidth(0.4)
        for h, fill in zip(self.heights, self.fills, strict=True):
            if fill is not None:
                c.setFillColor(fill)
                c.rect(x0 + sum(self.widths[:-1]), y - h, self.widths[-1], h, stroke=0, fill=1)
            c.rect(x0, y - h, self.width, h, stroke=1, fill=0)
            x = x0
            for w in self.widths[:-1]:
                x += w
                c.line(x, y, x, y - h)
            y -= h
        # The text of every plain cell in one text object: one font or colour change at a time.
        text = c.beginText()
        font: tuple[str, float] | None = None
        colour = None
        y = top - self.header_height
        for row, h in zip(self.rows, self.heights, strict=True):
            x = x0
            for cell, w in zip(row, self.widths, strict=True):
                if isinstance(cell, Paragraph):
                    _, ph = cell.wrap(w - 2 * _PAD, 10_000)
                    cell.drawOn(c, x + _PAD, y - _PAD - ph)
                else:
                    ly = y - _PAD
                    for line in cell:
                        ly -= line.size * 1.25
                        if font != (line.font, line.size):
                            font = (line.font, line.size)
                            text.setFont(line.font, line.size)
                        if colour is not line.colour:
                            colour = line.colour
                            text.setFillColor(line.colour)
                        _origin(text, x + _PAD, ly + line.size * 0.25)
                        _show(text, line.text)
                x += w
            y -= h
        c.drawText(text)


class _Keep(KeepTogether):  # type: ignore[misc]  # reportlab has no type hints
    """KeepTogether without a deep copy of the page frame each time it is measured: reportlab
    copies it for flowables that add content as they are laid out, and no finding or answer has one."""

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        doc: Any = getattr(self.canv, "_doctemplate", None)
        frame = getattr(doc, "frame", None)
        size: tuple[float, float]
        if frame is None:
            size = super().wrap(aW, aH)
            return size
        doc.frame = None
        try:
            size = super().wrap(aW, aH)
        finally:
            doc.frame = frame
        return size


class _NumberedCanvas(rl_canvas.Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """Draws 'Page X of Y' and the running header once the page count is known."""

    def __init__(self, *args: Any, header: str = "", draft: bool = False, stamp: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if stamp:
            self.setDateFormatter(lambda *_: stamp)
        self._saved: list[dict[str, Any]] = []
        self._header = header
        self._draft = draft

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            if self._pageNumber > 1:
                self.setFont(BODY, 7.5)
                self.setFillColor(GREY)
                self.drawString(2 * cm, A4[1] - 1.2 * cm, self._header)
                self.setStrokeColor(colors.HexColor("#BFBFBF"))
                self.line(2 * cm, A4[1] - 1.35 * cm, A4[0] - 2 * cm, A4[1] - 1.35 * cm)
            self.setFont(BODY, 7.5)
            self.setFillColor(GREY)
            self.drawRightString(A4[0] - 2 * cm, 1.1 * cm, f"Page {self._pageNumber} of {total}")
            if self._draft:  # an assessment not signed off: every page says so
                self.setFont(BOLD, 8)
                self.setFillColor(colors.HexColor("#C00000"))
                self.drawString(2 * cm, 1.1 * cm, "DRAFT for the board: not yet signed off")
                self.saveState()
                self.setFillColor(colors.Color(0.75, 0.0, 0.0, alpha=0.08))
                self.setFont(BOLD, 110)
                self.translate(A4[0] / 2, A4[1] / 2)
                self.rotate(50)
                self.drawCentredString(0, -40, "DRAFT")
                self.restoreState()
            super().showPage()
        super().save()


CHART_LABEL = 150  # points for a domain's name beside its bars: it wraps there, never cut


def _chart(data: ReportData, t: _Text, width: float) -> Drawing:
    """Score by domain beside last year's, each bar in the colour of the state its score rests on,
    as the state chart draws the answers: agreed (every answer agreed), draft (some answers still
    draft) or provisional (it still counts answers carried forward, light and hatched). The key
    names each colour drawn."""
    domains = list(data.domains)
    labels = [simpleSplit(t.plain(f"{d.ref} {d.title}", f"domain {d.ref} title (chart)"), BODY, 7, CHART_LABEL)
              for d in domains]
    previous = bool(data.previous_period)

    def rests_on(d: Any) -> str:
        return data.figures.domain(d.id).score_rests_on

    fills = {"agreed": STATE_FILLS[0], "draft": STATE_FILLS[1], "provisional": PROVISIONAL}
    words = {"agreed": "every answer agreed", "draft": "includes draft answers, not yet agreed",
             "provisional": "provisional (counts answers carried forward, needs review)"}
    drawn = {rests_on(d) for d in domains if d.percent is not None}
    pairs: list[tuple[Any, str]] = [(fills[k], f"{data.period}: {words[k]}") for k in fills if k in drawn]
    if previous:
        pairs.append((PREVIOUS, data.previous_period or ""))
    columns = 1 if len(pairs) > 2 else 2
    legend_rows = -(-len(pairs) // columns)
    bar = 9.0
    per = max(2 * bar + 10, 9.0 * max((len(x) for x in labels), default=1) + 8)
    base = 14 + 9 * legend_rows + 12  # the key, then the axis labels, under the bars
    height = base + per * len(domains) + 18
    x0, span = CHART_LABEL + 10, width - CHART_LABEL - 24
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 10, "Score by domain (% of the highest level)", fontName=BOLD, fontSize=8.5))
    top = height - 18
    for v in range(0, 101, 20):
        x = x0 + span * v / 100
        drawing.add(Line(x, base, x, top, strokeColor=colors.HexColor("#D9D9D9"), strokeWidth=0.4))
        drawing.add(String(x, base - 9, f"{v}%", fontName=BODY, fontSize=7, textAnchor="middle"))
    drawing.add(Line(x0, base, x0, top, strokeColor=colors.black, strokeWidth=0.6))
    for i, (d, lines) in enumerate(zip(domains, labels, strict=True)):
        y_top = top - per * i
        middle = y_top - per / 2
        for k, line in enumerate(lines):
            drawing.add(String(CHART_LABEL, middle + 4.25 * (len(lines) - 1) - 8.5 * k - 2.5, line, fontName=BODY,
                               fontSize=7, textAnchor="end"))
        bars = [(d.percent, fills[rests_on(d)], d.provisional)]
        if previous:
            bars.append((d.previous_percent, PREVIOUS, False))
        y = middle + (bar * len(bars) + 1 * (len(bars) - 1)) / 2
        for value, fill, hatched in bars:
            y -= bar
            w = span * (value or 0) / 100
            if w > 0:
                drawing.add(Rect(x0, y, w, bar, fillColor=fill, strokeColor=colors.HexColor("#7F7F7F"), strokeWidth=0.4))
                if hatched:
                    _hatch(drawing, x0, y, w, bar)
            y -= 1
    _legend(drawing, pairs, x0, 4, columns=columns)
    return drawing


def _legend(drawing: Drawing, pairs: list[tuple[Any, str]], x: float, y: float, columns: int = 1,
            column_width: float = 110) -> None:
    """A chart's key: a swatch and its words each, laid out in rows from the top down to y."""
    rows = -(-len(pairs) // columns)
    for i, (fill, words) in enumerate(pairs):
        row, col = divmod(i, columns)
        left, base = x + col * column_width, y + 9 * (rows - 1 - row)
        drawing.add(Rect(left, base - 1, 7, 7, fillColor=fill, strokeColor=colors.HexColor("#7F7F7F"), strokeWidth=0.4))
        if fill in (STATE_FILLS[2], PROVISIONAL):
            _hatch(drawing, left, base - 1, 7, 7)
        drawing.add(String(left + 10, base, words, fontName=BODY, fontSize=7))


def _hatch(drawing: Drawing, x: float, y: float, w: float, h: float) -> None:
    """Diagonal lines across a box: carried forward, not yet reviewed, told apart in grey print."""
    step = 3.0
    k = -h
    while k < w:
        x0, y0 = (x + k, y) if k >= 0 else (x, y - k)
        x1, y1 = (x + min(w, k + h), y + min(h, w - k))
        drawing.add(Line(x0, y0, x1, y1, strokeColor=colors.HexColor("#6B7F93"), strokeWidth=0.4))
        k += step


def _state_chart(data: ReportData, t: _Text, width: float) -> Drawing:
    """Each domain's answers by state (agreed, draft, carried forward and not yet reviewed, not
    started), a bar each with its counts, and a key with the totals `selfassess show` gives."""
    from ..core.figures import STATES

    f = data.figures
    label_w = CHART_LABEL
    bar_h, gap = 11.0, 5.0
    rows = list(f.domains)
    legend_h = 2 * 9 + 4
    top = 16.0
    height = top + (bar_h + gap) * len(rows) + 14 + legend_h
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 10, "Answers by state", fontName=BOLD, fontSize=8.5))
    span = width - label_w - 20
    for i, d in enumerate(rows):
        y = height - top - (bar_h + gap) * (i + 1) + gap
        name = _fit_line(t.plain(f"{d.ref} {d.title}", f"domain {d.ref} title (chart)"), BODY, 7, label_w)
        drawing.add(String(label_w, y + 3, name, fontName=BODY, fontSize=7, textAnchor="end"))
        x: float = label_w + 10
        for (key, _), fill in zip(STATES, STATE_FILLS, strict=True):
            n = int(getattr(d, key))
            if not n:
                continue
            w = span * n / d.questions if d.questions else 0
            drawing.add(Rect(x, y, w, bar_h, fillColor=fill, strokeColor=colors.HexColor("#7F7F7F"), strokeWidth=0.4))
            if fill == STATE_FILLS[2]:
                _hatch(drawing, x, y, w, bar_h)
            if w >= 9:
                ink = colors.white if fill == STATE_FILLS[0] else colors.black
                drawing.add(String(x + w / 2, y + 3, str(n), fontName=BOLD, fontSize=7, textAnchor="middle", fillColor=ink))
            x += w
    pairs = [(fill, f"{label} ({n})") for (label, n), fill in zip(f.state_counts(), STATE_FILLS, strict=True)]
    _legend(drawing, pairs, label_w + 10, 4, columns=2, column_width=(span + 10) / 2)
    return drawing


def _state_key(data: ReportData, p: Callable[..., Paragraph]) -> Paragraph:
    """What each answer state means, under a chart or table that shows them."""
    from ..core.figures import state_meanings

    return p("; ".join(f"<b>{escape(label)}</b>: {escape(words)}" for label, words in state_meanings(not data.is_draft))
             + ".", "small")


DIVERGENT_SHOWN = 10


def _disagreement(ratings: BoardRatings, t: _Text, p: Callable[..., Paragraph], signed: bool = True) -> list[Any]:
    """Where the board's members disagreed: the most divided questions, the agreed rating and why.
    Counts per level only; a document never names a rater. Before sign-off the rating beside each
    is the one recorded for the board to agree, and it is never said the board agreed it."""
    out: list[Any] = [CondPageBreak(7 * cm), p("Where the board disagreed", "h2")]
    divided = ratings.divergent()
    found = (f"{len(divided)} question(s) divided them: ratings two levels apart or more, or no level held by half "
             "of them." if divided else "No question divided them.")
    out.append(p(f"{ratings.returned} of {ratings.raters} board members rated the questions on their own"
                 + (" (anonymously)" if ratings.anonymous else "")
                 + (" before the board agreed one rating each. " if signed else
                    "; beside each is the rating recorded for the board to agree, with its state. ")
                 + found, "small"))
    if not divided:
        return out
    chosen = "Agreed" if signed else "Recorded"
    heads = ["Ref", "Question", "Ratings by level", "Median", chosen, "Rationale"]
    rows = [[p(f"<b>{h}</b>", "cell") for h in heads]]
    for r in divided[:DIVERGENT_SHOWN]:
        counts = ", ".join(f"{n}: {c}" for n, c in r.counts)
        rows.append([p(escape(r.ref), "cell"), p(t(r.question, f"question {r.ref}", width=4.4 * cm, size=8), "cell"),
                     p(escape(counts), "cell"), p(escape(f"{r.median_number} {r.median_label}"), "cell"),
                     p(escape(r.agreed), "cell"),
                     p(t(r.rationale, f"rationale {r.ref}", width=4 * cm, size=8) if r.rationale else "–", "cell")])
    out.append(Table(rows, colWidths=_fit_widths(heads,
                                                 [1.1 * cm, 4.6 * cm, 2.6 * cm, 2.4 * cm, 2.4 * cm, 4.2 * cm]),
                     repeatRows=1, style=_grid()))
    if len(divided) > DIVERGENT_SHOWN:
        out.append(p(f"And {len(divided) - DIVERGENT_SHOWN} more: selfassess round show lists them all.", "small"))
    return out


def _stakeholders(grades: StakeholderRatings, t: _Text, p: Callable[..., Paragraph]) -> list[Any]:
    """Stakeholders' grades beside the organisation's own rating, a line a question, as EDS 2022 asks.
    Counts per level only; a document never names a stakeholder."""
    out: list[Any] = [CondPageBreak(5 * cm), p("Stakeholders' grades", "h2"),
                      p(f"{grades.returned} of {grades.raters} stakeholders graded {len(grades.rows)} question(s) on their "
                        "own, beside the organisation's rating. Each grade shows the median, how many graded and how "
                        "many chose each level, lowest first.", "small")]
    if not grades.rows:
        return out
    heads = ["Ref", "Question", "Organisation's rating", "Stakeholders"]
    rows = [[p(f"<b>{h}</b>", "cell") for h in heads]]
    for r in grades.rows:
        rows.append([p(escape(r.ref), "cell"), p(t(r.question, f"question {r.ref}", width=7 * cm, size=8), "cell"),
                     p(escape(r.organisation), "cell"), p(escape(r.grades), "cell")])
    out.append(Table(rows, colWidths=_fit_widths(heads, [1.3 * cm, 7.2 * cm, 3.4 * cm, 5.4 * cm]), repeatRows=1,
                     style=_grid()))
    return out


def _spread_chart(rows: list[SpreadRow], width: float) -> Drawing:
    """The domain's spread: a row a question, a column a level, a dot sized by how many chose it;
    the median's dot dark, a divergent question's ref in red."""
    levels = max(r.levels for r in rows)
    label, row_h, top = 34.0, 12.0, 24.0  # the title on the first line, the level numbers on the second
    col = (width - label) / levels
    height = top + row_h * len(rows) + 4
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 8, "Board members' ratings by level (dot size: how many; dark: the median)",
                       fontName=BOLD, fontSize=7))
    for n in range(1, levels + 1):
        drawing.add(String(label + col * (n - 0.5), height - 19, str(n), fontName=BODY, fontSize=7, textAnchor="middle"))
    for i, r in enumerate(rows):
        y = height - top - row_h * (i + 0.5) - 2
        drawing.add(String(0, y - 2.5, r.ref, fontName=BOLD if r.divergent else BODY, fontSize=7,
                           fillColor=colors.HexColor("#C00000") if r.divergent else colors.black))
        drawing.add(Line(label, y, width - 2, y, strokeColor=colors.HexColor("#D9D9D9"), strokeWidth=0.5))
        for n, c in r.counts:
            x = label + col * (n - 0.5)
            radius = min(row_h / 2 - 0.5, 1.6 + 1.4 * c ** 0.5)
            drawing.add(Circle(x, y, radius, fillColor=NAVY if n == r.median_number else colors.HexColor("#A6BDD7"),
                               strokeColor=None))
            drawing.add(String(x + radius + 1.5, y - 2.5, str(c), fontName=BODY, fontSize=6.5, fillColor=GREY))
    return drawing


def _scoring_key(data: ReportData, p: Callable[..., Paragraph], width: float) -> Table:
    """How to read a score, beside the first chart."""
    rows = [[p("<b>Scoring key</b>", "cell")]]
    rows += [[p(f"{escape(label)}: {n}%", "cell")] for label, n in data.scale_key]
    rows.append([p("Each answer scores its level as a percentage of the highest; a domain's score is the average "
                   "of its answers, and its level the one nearest that average. Not applicable answers are not "
                   "counted. Provisional: still counts answers carried forward and not yet reviewed.", "cell")])
    return Table(rows, colWidths=[width], style=TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.4, colors.HexColor("#BFBFBF")), ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4)]))


def write_board_report(data: ReportData) -> tuple[bytes, list[str]]:
    cleaner = Cleaner("PDF")
    t = _Text(cleaner)
    st = _styles()
    story: list[Any] = []

    def p(markup: str, style: str = "body") -> Paragraph:
        return _Para(markup, st[style])

    f = data.figures
    if data.coversheet is not None:
        story += _cover_sheet(data, t, p)
    # Cover
    story += [Spacer(1, 3 * cm), p(t(data.wording.report_title, "report title", bold=True), "title")]
    if data.is_draft:
        story.append(p("<font color='#C00000'><b>DRAFT for the board</b></font>", "subtitle"))
    story += [
              p(t(data.organisation, "organisation", bold=False), "subtitle"),
              p(f"{escape(data.period)} · {t(data.framework_title, 'framework title')} (version {escape(data.framework_version)})", "subtitle"),
              Spacer(1, 0.6 * cm)]
    facts = [
        ["Status", escape(data.status) + (f" (version {data.version})" if data.version > 1 else "")],
        ["Framework", f"{t(data.framework_title, 'framework title')}, version {escape(data.framework_version)}"],
        ["Overall score", escape(score_and_level(f.percent, f.level, f.provisional))],
        *([[escape(f.total.label), t(f.total.text().split(": ", 1)[1], "framework total")]] if f.total else []),
        ["Completeness", f"{f.answered} of {f.questions} questions answered this year"
                         + (f"; {f.awaiting_review} carried forward, awaiting review" if f.awaiting_review else "")
                         + f"; {f.agreed} agreed, {f.drafts} draft"],
        ["Prepared", long_date(data.generated_on)],
    ]
    story.append(Table([[p(f"<b>{k}</b>", "cell"), p(v, "cell")] for k, v in facts], colWidths=[4 * cm, 12 * cm],
                       style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)])))
    story += [Spacer(1, 1 * cm), p("Sign-off", "h2")]
    if data.signatories:
        when = long_date(data.signoff_date)
        meeting = data.signoff_meeting
        # The meeting reference usually names its date already: say the date once.
        dated = bool(meeting) and (when in meeting or data.signoff_date in meeting)
        story.append(p("Signed off by the board"
                       + ("" if dated else f" on {escape(when)}")
                       + (f" at {t(meeting, 'sign-off meeting')}" if meeting else "") + "."))
        rows = [[p("<b>Name</b>", "cell"), p("<b>Role</b>", "cell"), p("<b>Date</b>", "cell")]]
        rows += [[p(t(s.name, "signatory name"), "cell"), p(t(s.role, "signatory role"), "cell"),
                  p(escape(long_date(data.signoff_date)), "cell")] for s in data.signatories]
    else:
        story.append(p("Not yet signed off: for approval by the board."))
        rows = [[p("<b>Name</b>", "cell"), p("<b>Role</b>", "cell"), p("<b>Signature</b>", "cell"), p("<b>Date</b>", "cell")]]
        rows += [[p("", "cell"), p(role, "cell"), p("", "cell"), p("", "cell")] for role in ("Chair", "Chief Executive")]
    story.append(Table(rows, colWidths=[5 * cm, 5 * cm, 3.5 * cm, 2.5 * cm][: len(rows[0])] if len(rows[0]) == 4 else [6 * cm, 6.5 * cm, 3.5 * cm],
                       style=TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#BFBFBF")),
                                         ("BACKGROUND", (0, 0), (-1, 0), LIGHT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                         ("TOPPADDING", (0, 1), (-1, -1), 10), ("BOTTOMPADDING", (0, 1), (-1, -1), 10)])))
    story.append(PageBreak())

    # Executive summary
    story.append(p("Executive summary", "h1"))
    if data.is_draft:
        story.append(p("<b>DRAFT for the board.</b> The board has not signed this assessment off; what follows is "
                       "put to the board to agree, and may change."))
    if data.wording.opening:  # the framework's own opening: why the board assesses itself against it
        story.append(p(t(data.wording.opening, "framework opening")))
    who = "The board assessed the trust" if not data.is_draft else "This draft assesses the trust"
    story.append(p(f"{who} against {t(data.framework_title, 'framework title')} for {escape(data.period)}. "
                   f"The overall score is <b>{escape(score_words(f.percent, f.provisional))}</b>"
                   + (f" ({escape(change_words(f.change, data.previous_period))})" if data.previous_period else "")
                   + f"; {f.answered} of {f.questions} questions are answered this year"
                   + (f" and {f.awaiting_review} answers carried forward from last year await review"
                      if f.awaiting_review else "")
                   + (f"; {f.drafts} answers are still draft" if f.drafts else "")
                   + "."))
    if f.total:  # the framework's own total and band, and what it means in the framework's words
        story.append(p(f"<b>{t(f.total.text(), 'framework total', bold=True)}</b>"
                       + (f" {t(f.total.meaning, 'what the total means')}" if f.total.meaning else "")))
    if f.rated:
        story.append(p(f"Of the {f.rated} rated answers, "
                       + escape(", ".join(f"{n} {label.lower()}" for label, n in f.assurance)) + "."))
    if f.provisional:
        story.append(p("Scores marked provisional still count answers carried forward from last year and not yet "
                       "reviewed; those answers are not counted as strengths or gaps.", "small"))
    ranking = f.strongest_weakest_text()
    if ranking:
        story.append(p(t(ranking, "strongest and weakest")))
    moved = [d for d in f.domains if d.change]
    if moved:
        story.append(p("Since last year: " + "; ".join(
            f"{t(d.title, 'domain title')} {escape(change_words(d.change, data.previous_period))}" for d in moved) + "."))
    owners = ", ".join(f"{t(o, 'owner')} ({n})" for o, n in f.overdue_by_owner[:OWNERS_SHOWN])
    if len(f.overdue_by_owner) > OWNERS_SHOWN:  # the action plan below lists them all
        owners += f" and {len(f.overdue_by_owner) - OWNERS_SHOWN} more owners"
    story.append(p(f"The action plan has <b>{f.actions_total}</b> action{'s' if f.actions_total != 1 else ''}: {f.actions_open} open, "
                   f"<b>{f.actions_overdue} overdue</b>" + (f" ({owners})" if owners else "")
                   + f", {f.actions_slipped} slipped from their original date, {f.actions_done} done."
                   + (f" {escape(data.carried_on_text)}" if data.carried_on else "")))
    key_width = 4.2 * cm
    chart = _chart(data, t, TEXT_WIDTH - key_width - 0.3 * cm)
    story += [Spacer(1, 0.3 * cm),
              Table([[chart, _scoring_key(data, p, key_width)]], colWidths=[TEXT_WIDTH - key_width, key_width],
                    style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                      ("RIGHTPADDING", (0, 0), (-1, -1), 0)])),
              Spacer(1, 0.3 * cm)]
    story += [_state_chart(data, t, TEXT_WIDTH), _state_key(data, p), Spacer(1, 0.2 * cm)]
    # A column for each answer state, as `selfassess show` counts them: never one "answered" figure.
    heads = ["Domain", *(label for label, _ in f.state_counts()), "Score and level",
             data.previous_period or "Previous", "Change"]
    table = [[p(f"<b>{escape(h)}</b>", "cell") for h in heads]]
    ratings = data.ratings
    if ratings is not None:  # the board round's spread beside each domain's score
        table[0].append(p("<b>Divided</b>", "cell"))
    for fd in f.domains:
        change = "–" if fd.change is None else f"{fd.change:+d}"
        table.append([p(f"{escape(fd.ref)} {t(fd.title, 'domain title')}", "cell"),
                      *(p(str(n), "cell") for _, n in fd.state_counts()),
                      p(escape(score_words(fd.percent, fd.provisional)) + f"<br/>{escape(fd.level or '–')}", "cell"),
                      p(pct(fd.previous_percent), "cell"), p(change, "cell")])
        if ratings is not None:
            rated = ratings.of_domain(fd.id)
            table[-1].append(p(f"{sum(r.divergent for r in rated)} of {len(rated)}" if rated else "–", "cell"))
    table.append([p("<b>All domains</b>", "cell"), *(p(f"<b>{n}</b>", "cell") for _, n in f.state_counts()),
                  p(escape(score_words(f.percent, f.provisional)) + f"<br/>{escape(f.level or '–')}", "cell"),
                  p(pct(f.previous_percent), "cell"), p("–" if f.change is None else f"{f.change:+d}", "cell")]
                 + ([p("", "cell")] if ratings is not None else []))
    wanted = [4.6 * cm, 1.5 * cm, 1.3 * cm, 1.8 * cm, 1.5 * cm, 2.6 * cm, 1.5 * cm, 1.5 * cm]
    if ratings is not None:
        heads.append("Divided")
        wanted = [3.4 * cm, 1.5 * cm, 1.3 * cm, 1.8 * cm, 1.5 * cm, 2.6 * cm, 1.5 * cm, 1.4 * cm, 1.6 * cm]
    story.append(Table(table, colWidths=_fit_widths(heads, wanted), repeatRows=1, style=_grid()))
    if f.targets_set:  # the board's targets, and the gap to each
        story.append(p(escape(f.targets_text()) + ".", "h2"))
        rows = [[p("<b>Domain</b>", "cell"), p("<b>Target</b>", "cell"), p("<b>Now</b>", "cell")]]
        rows += [[p(f"{escape(d.ref)} {t(d.title, 'domain title')}", "cell"),
                  p(escape(d.target.text().removeprefix("target ")), "cell"),
                  p(escape(d.level or "Not scored"), "cell")] for d in f.domains if d.target]
        story.append(Table(rows, colWidths=_fit_widths(["Domain", "Target", "Now"], [7 * cm, 7 * cm, 2.6 * cm]),
                           repeatRows=1, style=_grid()))

    # Points for challenge: what a non-executive would ask about before signing
    story.append(p("Points for challenge", "h2"))
    if not data.challenges:
        story.append(p("None found by the consistency check.", "small"))
    else:
        story.append(p(f"The consistency check found {len(data.challenges)} point(s) the board signed off with, "
                       "and recorded at sign-off." if not data.is_draft else
                       f"The consistency check found {len(data.challenges)} point(s) the board may wish to "
                       "challenge before it signs off.", "small"))
        for c in data.challenges[:CHALLENGES_SHOWN]:
            story.append(_Para(t(c.message, f"point for challenge {c.ref}"), st["bullet"], bulletText="•"))
        if len(data.challenges) > CHALLENGES_SHOWN:
            story.append(p(f"And {len(data.challenges) - CHALLENGES_SHOWN} more: selfassess checks lists them all.", "small"))

    if data.ratings is not None:
        story += _disagreement(data.ratings, t, p, signed=not data.is_draft)
    if data.stakeholders is not None:
        story += _stakeholders(data.stakeholders, t, p)

    # Findings by domain
    # A new page for the findings, unless a spill from the summary left most of one free (never a near-empty page)
    story += [CondPageBreak(A4[1] * 0.55), p("Findings by domain", "h1")]
    by_question: dict[str, list[ActionRow]] = {}
    for a in data.actions:
        for ref in a.question_refs.split(", "):
            by_question.setdefault(ref, []).append(a)
    for d in data.domains:
        story.append(CondPageBreak(4 * cm))
        story.append(p(f"{escape(d.ref)} {t(d.title, 'domain title', bold=True)}", "h2"))
        story.append(p(f"Score {escape(score_and_level(d.percent, d.level, d.provisional))}"
                       + f"; {escape(change_words(d.change, data.previous_period))}; {d.answered} of {d.questions} answered "
                       "this year"
                       + (f", {d.not_applicable} not applicable" if d.not_applicable else "")
                       + (f", {d.awaiting_review} carried forward and not yet reviewed (not counted as strengths or gaps)"
                          if d.awaiting_review else "") + f". Answers: {escape(f.domain(d.id).states_text())}.", "small"))
        rated = data.ratings.of_domain(d.id) if data.ratings is not None else []
        if rated:
            divided = sum(r.divergent for r in rated)
            story.append(p(f"Board members rated {len(rated)} of its questions on their own; "
                           + (f"{divided} divided them." if divided else "none divided them."), "small"))
            story.append(_spread_chart(rated, TEXT_WIDTH * 0.7))
        for label, rows_ in (("Strengths", d.strengths), ("Gaps", d.gaps)):
            story.append(p(label, "h3"))
            if not rows_:
                story.append(p("None among this year's answers.", "small"))
            for ans in rows_:
                # A short headed block: the question and rating, the evidence, then its actions as a list.
                # A draft answer says so beside its rating: a finding is never read as agreed when it is not.
                draft_mark = " (draft, not yet agreed)" if ans.state == ANSWER_STATES[DRAFT] else ""
                block = [t.block([(f"{ans.ref} · {ans.rating}{draft_mark}", None, True)], st["h4"]),
                         t.block([(ans.question, f"question {ans.ref}", False)], st["finding"]),
                         t.block([("Evidence:", None, True), (" ", None, False),
                                  (ans.evidence, f"answer {ans.ref} evidence", False)] if ans.evidence
                                 else [("No evidence recorded.", None, False)], st["finding"])]
                linked = by_question.get(ans.ref, []) if label == "Gaps" else []
                if linked:
                    block.append(t.block([("Actions", None, True)], st["finding"]))
                    block += [t.block([(f"{x.ref} ", None, False), (x.title, f"action {x.ref} title", False),
                                       (" – ", None, False), (x.owner, f"action {x.ref} owner", False),
                                       (f", due {long_date(x.current_due)}", None, False)], st["bullet"], "•")
                              for x in linked]
                story.append(_Keep(block) if len(linked) < 12 else block[0])
                if len(linked) >= 12:
                    story += block[1:]

    if data.indicators:
        story += _indicators_section(data, t, p)

    # Action plan
    story += [PageBreak(), p("Action plan", "h1"),
              p(f"Every action has a named owner and a due date. Red: overdue or off track; amber: at risk or due within "
                f"30 days and not started. {data.overdue_actions} overdue, {data.slipped_actions} slipped.", "small")]
    plan_heads = ["Ref", "Action", "Owner", "Due", "Status", "RAG"]
    widths = _fit_widths(plan_heads, [1.1 * cm, 6.8 * cm, 3.2 * cm, 2.1 * cm, 1.9 * cm, 1.6 * cm], padding=2 * _PAD)
    table_rows: list[list[_Cell]] = []
    fills = []
    for a in data.actions:
        due_parts: list[_Part] = [(f"{a.current_due:%d %b %Y}", "due date", BODY, 8, colors.black)]
        if a.current_due != a.original_due:
            due_parts.append((f"was {a.original_due:%d %b %Y}", "due date", BODY, 6.5, GREY))
        due = t.lines(due_parts, widths[3] - 2 * _PAD) or _plain_lines([f"{a.current_due:%d %b %Y}"])
        update = a.last_update
        if len(update) > UPDATE_IN_TABLE:
            cleaner.note(f"action {a.ref} last update: {len(update):,} characters, shortened in the board report's action "
                         "table; the Excel action plan holds it in full")
            update = update[:UPDATE_IN_TABLE] + "…"
        title_parts: list[_Part] = [(a.title, f"action {a.ref} title", BODY, 8, colors.black)]
        if update:
            title_parts.append((f"{a.last_update_date}: {update}", f"action {a.ref} last update", BODY, 6.5, GREY))
        title = t.lines(title_parts, widths[1] - 2 * _PAD)
        if title is None:
            cw = widths[1] - 2 * _PAD
            markup = t(a.title, f"action {a.ref} title", width=cw, size=8) + (
                f"<br/><font size=6.5 color='#595959'>{escape(a.last_update_date)}: "
                f"{t(update, f'action {a.ref} last update', width=cw, size=6.5)}</font>" if update else "")
            title = p(markup, "cell")
        owner_parts: list[_Part] = [(a.owner, f"action {a.ref} owner", BODY, 8, colors.black)]
        if a.owner_role:
            owner_parts.append((a.owner_role, f"action {a.ref} role", BODY, 6.5, colors.black))
        owner = t.lines(owner_parts, widths[2] - 2 * _PAD)
        if owner is None:
            cw = widths[2] - 2 * _PAD
            owner = p(t(a.owner, f"action {a.ref} owner", width=cw, size=8) + (
                f"<br/><font size=6.5>{t(a.owner_role, f'action {a.ref} role', width=cw, size=6.5)}</font>"
                if a.owner_role else ""), "cell")
        status = a.status_label.split(" ", 1) if len(a.status_label) > 9 else [a.status_label]
        table_rows.append([_plain_lines([a.ref]), title, owner, due, _plain_lines(status),
                           _plain_lines([a.rag] + (["overdue"] if a.overdue else []))])
        fills.append(RAG.get(a.rag))
    story.append(_FastTable(plan_heads, widths, table_rows, fills))

    # Appendix: every answer
    story += [PageBreak(), p("Appendix: every answer", "h1")]
    domain = None
    for ans in data.answers:
        if ans.domain_title != domain:
            domain = ans.domain_title
            story.append(p(t(domain, "domain title", bold=True), "h2"))
        story += _answer(ans, t, st)
    if data.evidence:
        story += _evidence_appendix(data, t, p)
    story += [CondPageBreak(6 * cm), p("About this report", "h1")]
    story.append(p(f"Drawn up from the {escape(data.period)} assessment against {t(data.framework_title, 'framework title')} "
                   f"({escape(data.framework_id)}, version {escape(data.framework_version)}), as it stood on "
                   f"{escape(long_date(data.last_changed.date()))}; prepared on {escape(long_date(data.generated_on))}."))
    story.append(p(f"The framework's content hash (SHA-256), which the signed submission carries: "
                   f"<font size=7>{escape(data.framework_hash)}</font>", "small"))
    if data.is_draft:
        story.append(p("Once the board has signed the assessment off, record it with <i>selfassess signoff</i> (or "
                       "<i>s</i> in the app): the answers are then frozen and the documents no longer say draft.",
                       "small"))
    if data.sources:
        story.append(p("Sources: " + "; ".join(t(s, "source") for s in data.sources), "small"))

    out = io.BytesIO()
    header = (("DRAFT · " if data.is_draft else "")
              + f"{data.organisation} · {data.period} · Board report: {data.wording.subject} self-assessment")
    org = cleaner.clean(data.organisation, "organisation").replace("\n", " ")
    subject = cleaner.clean(data.wording.subject, "framework subject").replace("\n", " ")
    subject_title = cleaner.clean(data.subject_title, "framework subject").replace("\n", " ")
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
                            bottomMargin=2 * cm, lang="en-GB",
                            title=("DRAFT for the board: " if data.is_draft else "")
                            + f"Board report: {subject} self-assessment {data.period}, {org}",
                            author=org, subject=f"{subject_title} board self-assessment against "
                            f"{cleaner.clean(data.framework_title, 'framework title')}",
                            creator="selfassess", invariant=1)
    header_text = _fit_line(t.plain(header, "running header"), BODY, 7.5, A4[0] - 4 * cm)
    # Dates from the last change, not the clock: identical input still gives identical bytes.
    stamp = data.last_changed.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
    doc.build(story, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, header=header_text, draft=data.is_draft,
                                                                  stamp=stamp, **k))
    return out.getvalue(), cleaner.warnings


def _evidence_appendix(data: ReportData, t: _Text, p: Callable[..., Paragraph]) -> list[Any]:
    """Every evidence file by question: what it is, and the short SHA-256 that ties it to the file kept
    (and to the one in the signed submission)."""
    heads = ["Question", "Evidence file", "SHA-256", "Effective", "Expires"]
    widths = _fit_widths(heads, [1.7 * cm, 8.5 * cm, 2.6 * cm, 2.1 * cm, 2.1 * cm])
    rows: list[list[Any]] = [[p(f"<b>{h}</b>", "cell") for h in heads]]
    expired = 0
    for e in data.evidence:
        expires = escape(e.expires) + (" <b>(expired)</b>" if e.expired else "")
        expired += e.expired
        rows.append([p(escape(e.ref), "cell"),
                     p(t(e.title, f"evidence {e.ref} title", width=widths[1] - 12, size=8)
                       + f"<br/><font size=6.5 color='#595959'>{t(e.file_name, f'evidence {e.ref} file name', width=widths[1] - 12, size=6.5)}"
                       f" · {escape(e.kind)} · {e.size:,} bytes</font>", "cell"),
                     p(escape(e.sha256_short), "cell"),
                     p(escape(e.effective) or "–", "cell"), p(expires or "–", "cell")])
    note = (f"{len(data.evidence)} evidence file(s) kept in the store, each named by its SHA-256 (the first 12 "
            "characters are shown); the signed submission lists every one by its full hash.")
    if expired:
        note += f" {expired} had expired by {escape(long_date(data.generated_on))}."
    return [CondPageBreak(5 * cm), p("Appendix: evidence files", "h1"), p(note, "small"),
            Table(rows, colWidths=widths, repeatRows=1, style=_grid())]


def _cover_sheet(data: ReportData, t: _Text, p: Callable[..., Paragraph]) -> list[Any]:
    """The NHS board cover sheet: what the paper is, who brings it, what the board is asked to do."""
    from ..core.model import COVER_FIELDS, COVER_PURPOSES

    sheet = data.coversheet
    if sheet is None:  # none entered: the report opens with its own title page
        return []
    title = data.wording.report_title + " " + data.period
    rows = [[p("<b>Report title</b>", "cell"), p(t(title, "report title", bold=False) + (" (DRAFT for the board)" if data.is_draft else ""), "cell")]]
    for key, label in COVER_FIELDS.items():
        if key == "purpose":
            boxes = "&nbsp;&nbsp;&nbsp; ".join(("☒ <b>" + escape(v) + "</b>") if sheet.purpose == k else ("☐ " + escape(v))
                                               for k, v in COVER_PURPOSES.items())
            rows.append([p(f"<b>{escape(label)}</b>", "cell"), p(boxes, "cell")])
            continue
        value = getattr(sheet, key)
        rows.append([p(f"<b>{escape(label)}</b>", "cell"),
                     p(t(value, f"cover sheet {label.lower()}") if value else "<i>Not entered</i>", "cell")])
    widths = [4.6 * cm, TEXT_WIDTH - 4.6 * cm]
    return [p(t(data.organisation, "organisation", bold=True), "h2"), p("Board of directors: cover sheet", "h1"),
            Table(rows, colWidths=widths, style=TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#BFBFBF")),
                ("BACKGROUND", (0, 0), (0, -1), LIGHT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)])),
            PageBreak()]


def _fit_widths(headers: Sequence[str], wanted: Sequence[float], total: float = TEXT_WIDTH,
                padding: float = 12) -> list[float]:
    """Column widths that hold each header's longest word on a line (a header never breaks inside
    a word) and add up to no more than the text column: the first, widest column gives way."""
    least = [max(pdfmetrics.stringWidth(w, BOLD, 8) for w in h.split()) + padding + 1 for h in headers]
    widths = [max(w, m) for w, m in zip(wanted, least, strict=True)]
    over = sum(widths) - total
    for i in sorted(range(len(widths)), key=lambda k: -(widths[k] - least[k])):
        if over <= 0:
            break
        give = min(over, widths[i] - least[i])
        widths[i] -= give
        over -= give
    return widths


def _fit_line(text: str, font: str, size: float, width: float) -> str:
    """One line that fits the width, shortened at a word boundary with an ellipsis if need be."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    words = text.split(" ")
    while len(words) > 1 and pdfmetrics.stringWidth(" ".join(words) + " …", font, size) > width:
        words.pop()
    line = " ".join(words)
    while len(line) > 1 and pdfmetrics.stringWidth(line + " …", font, size) > width:
        line = line[:-1]
    return line + " …"


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _indicators_section(data: ReportData, t: _Text, p: Callable[..., Paragraph]) -> list[Any]:
    """Information on health inequalities: for each indicator, bars by IMD quintile with 95% interval
    whiskers, the figures by every breakdown, the gap and the data-quality notes; then those not reported."""
    from ..core.indicators import interval_text, value_text
    from .annual import DIMENSION_TITLES

    out: list[Any] = [PageBreak(), p("Information on health inequalities", "h1"),
                      p(f"Indicators of {t(data.indicator_set_title, 'indicator set title')}, by deprivation, ethnicity, "
                        "age and sex. Bars show each IMD quintile with its 95% confidence interval (Wilson score for "
                        "proportions; Dobson for age-standardised rates). Small numbers are suppressed.", "small")]
    for f in data.indicators:
        if not f.reported:
            continue
        ind = f.indicator
        block: list[Any] = [p(f"{t(ind.title, f'indicator {ind.id} title', bold=True)} ({escape(f.period or '')})", "h2"),
                            p(f"{escape(ind.measure_label)}. All: {escape(value_text(ind, f.total))}"
                              + (f" ({escape(interval_text(ind, f.total))})" if interval_text(ind, f.total) else ""), "small")]
        dep = f.breakdown("deprivation")
        if dep is not None:
            block.append(_quintile_chart(f, dep, TEXT_WIDTH))
        rows = [[p("<b>Breakdown</b>", "cell"), p("<b>Group</b>", "cell"), p("<b>Value</b>", "cell"),
                 p("<b>95% interval</b>", "cell"), p("<b>Numerator</b>", "cell"), p("<b>Denominator</b>", "cell")]]
        for b in f.breakdowns:
            for g in b.groups:
                rows.append([p(escape(DIMENSION_TITLES.get(b.dimension, b.dimension)), "cell"),
                             p(t(g.group, f"indicator {ind.id} group"), "cell"), p(escape(value_text(ind, g)), "cell"),
                             p(escape(interval_text(ind, g)), "cell"),
                             p("" if g.numerator is None else f"{g.numerator:,}", "cell"),
                             p("" if g.denominator is None else f"{g.denominator:,}", "cell")])
        table = Table(rows, colWidths=_fit_widths(["Breakdown", "Group", "Value", "95% interval", "Numerator", "Denominator"], [3.6 * cm, 4.2 * cm, 2.2 * cm, 2.8 * cm, 1.9 * cm, 2.2 * cm]),
                      repeatRows=1)
        table.setStyle(_grid())
        notes = []
        if f.gap_absolute is not None:
            rel = f" ({f.gap_relative:.2f} times)" if f.gap_relative is not None else ""
            notes.append(f"Gap Q1 minus Q5: {f.gap_absolute:+.1f}{rel}" + (", wide" if f.gap_wide else ""))
        notes += f.quality_notes(data.not_stated_threshold)
        out.append(KeepTogether(block))
        out.append(table)
        if notes:
            out.append(p(t("; ".join(notes) + ".", f"indicator {ind.id} notes"), "small"))
    missing = [f for f in data.indicators if not f.reported]
    if missing:
        out.append(p("Not reported", "h2"))
        out += [p(f"{t(f.indicator.title, f'indicator {f.indicator.id} title')}: {escape(f.reason)}", "small") for f in missing]
    return out


def _quintile_chart(f: Any, dep: Any, width: float) -> Drawing:
    """Vertical bars for Q1 to Q5 with 95% interval whiskers; a suppressed quintile is labelled, not drawn."""
    groups = [g for g in dep.groups if g.group.startswith("Q")]
    height, base, top_pad = 120.0, 28.0, 14.0
    plot_h = height - base - top_pad
    highest = max([g.ci_high or g.value or 0 for g in groups] + [1e-9])
    scale = plot_h / (highest * 1.1)
    drawing = Drawing(width, height)
    slot = (width - 40) / max(len(groups), 1)
    drawing.add(Line(36, base, width - 4, base, strokeColor=GREY, strokeWidth=0.5))
    drawing.add(String(0, base + plot_h, f"{highest * 1.1:.0f}", fontName=BODY, fontSize=6, fillColor=GREY))
    drawing.add(String(0, base - 2, "0", fontName=BODY, fontSize=6, fillColor=GREY))
    for i, g in enumerate(groups):
        x = 40 + i * slot
        bar_w = slot * 0.55
        cx = x + bar_w / 2
        drawing.add(String(cx, 14, g.group, fontName=BODY, fontSize=6.5, textAnchor="middle"))
        if g.suppressed or g.value is None:
            drawing.add(String(cx, base + 4, "suppressed" if g.suppressed else (g.note or "no value"), fontName=BODY,
                               fontSize=6.5, textAnchor="middle", fillColor=GREY))
            continue
        drawing.add(Rect(x, base, bar_w, g.value * scale, fillColor=NAVY, strokeColor=None))
        if g.ci_low is not None and g.ci_high is not None:
            lo, hi = base + g.ci_low * scale, base + g.ci_high * scale
            drawing.add(Line(cx, lo, cx, hi, strokeColor=colors.black, strokeWidth=0.8))
            drawing.add(Line(cx - 4, lo, cx + 4, lo, strokeColor=colors.black, strokeWidth=0.8))
            drawing.add(Line(cx - 4, hi, cx + 4, hi, strokeColor=colors.black, strokeWidth=0.8))
        drawing.add(String(cx, 4, f"{g.value:.1f}", fontName=BODY, fontSize=6.5, textAnchor="middle", fillColor=GREY))
    return drawing


def _grid(header: Any = LIGHT) -> TableStyle:
    return TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BFBFBF")),
        ("BACKGROUND", (0, 0), (-1, 0), header),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ])


def _answer(a: AnswerRow, t: _Text, st: dict[str, ParagraphStyle]) -> list[Any]:
    head = t.block([(a.ref, None, True), (" ", None, False), (a.question, f"question {a.ref}", False)], st["body"])
    meta = t.block([(a.rating, None, True), ((f" · Assurance: {a.assurance}" if a.assurance else "")
                                             + (f" · {a.state}" if a.state else ""), None, False)], st["small"])
    parts = [head, meta]
    for label, value, field in (("Not applicable because", a.na_reason, "N/A reason"), ("Evidence", a.evidence, "evidence"),
                                ("Notes", a.notes, "notes"),
                                ("Why the board's rating differs from its members' median", a.rationale, "rationale")):
        if value:
            parts.append(t.block([(f"{label}:", None, True), (" ", None, False),
                                  (value, f"answer {a.ref} {field}", False)], st["body"]))
    parts.append(Spacer(1, 0.15 * cm))
    # Keep short answers on one page; a very long note flows across pages instead.
    return [_Keep(parts)] if sum(len(v) for v in (a.evidence, a.notes, a.na_reason, a.rationale)) < 1500 else parts


# The other PDF writers in reports (the regulator's review report) draw with the same fonts,
# styles and user-text handling: these are their public names.
styles = _styles
PdfText = _Text
