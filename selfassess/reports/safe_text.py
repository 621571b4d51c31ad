"""Making user text safe for a document without changing what it says.

Every writer passes each user string through `Cleaner.clean(text, field)`: control characters
that no document format can hold are removed, and each removal is recorded with the field it
came from, so the export can say exactly what it could not keep and why. Nothing is dropped
silently; nothing else is changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# C0 controls other than tab, newline and carriage return, plus DEL and C1 controls: XML 1.0
# (xlsx, docx) cannot hold most of them and none of them print.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidi overrides (LEFT-TO-RIGHT and RIGHT-TO-LEFT OVERRIDE) force the letters after them into one
# direction: "\u202eevil" is drawn "live", so a reader sees other words than were typed. Embeddings,
# isolates and marks, which only place runs of text, are kept.
_OVERRIDE = re.compile("[\u202d\u202e]")
# Excel reads a cell that starts with one of these as a formula when it is typed or re-entered.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Cleaner:
    """Collects, per export, what could not be kept (field, what, why)."""

    format_name: str
    warnings: list[str] = field(default_factory=list)

    def clean(self, text: str | None, where: str) -> str:
        if not text:
            return ""
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        found = _CONTROL.findall(text)
        if found:
            codes = ", ".join(sorted({f"U+{ord(c):04X}" for c in found}))
            self.warnings.append(f"{where}: {len(found)} control character(s) ({codes}) left out: "
                                 f"{self.format_name} cannot hold them and they do not print")
            text = _CONTROL.sub("", text)
        overrides = _OVERRIDE.findall(text)
        if overrides:
            codes = ", ".join(sorted({f"U+{ord(c):04X}" for c in overrides}))
            self.warnings.append(f"{where}: {len(overrides)} bidi override(s) ({codes}) left out: they would show "
                                 "the letters after them in another order than they were typed")
            text = _OVERRIDE.sub("", text)
        return text

    def note(self, message: str) -> None:
        self.warnings.append(message)


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


# Markdown (CommonMark, and GitHub's extensions: tables, strikethrough, bare links) reads these
# anywhere in a line; a backslash before any ASCII punctuation makes it a plain character.
_MD_ANYWHERE = re.compile(r"([\\`*_\[\]<>&|~!])")
# Bare links: "http://", "mailto:", "www." and e-mail addresses become links on GitHub.
_MD_AUTOLINK = re.compile(r"(?<=[A-Za-z]):(?=//)|(?<=www)\.|@", re.IGNORECASE)
# What a line may start with to become a heading, list, quote, rule, setext underline or table.
_MD_LINE_START = re.compile(r"^([#+\-=>]|\d+(?=[.)]))")
_LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")


def markdown_escape(text: str) -> str:
    """Text that renders exactly as written, whatever it holds: no heading, list, code block, link,
    table, HTML or rule can come from it. Each line is escaped and its leading whitespace dropped
    (four spaces would start a code block; Markdown collapses it anyway); blank lines are dropped,
    since one would end the paragraph or list item; the writer's line breaks become hard breaks.
    'well-led' keeps its hyphen: only a line start or a bare link needs more."""
    out = []
    for line in _LINE_BREAKS.split(text):
        line = line.strip()
        if not line:
            continue
        line = _MD_ANYWHERE.sub(r"\\\1", line)
        line = _MD_AUTOLINK.sub(lambda m: "\\" + m.group(0), line)
        m = _MD_LINE_START.match(line)
        if m:
            mark = m.group(1)  # "1." or "1)" starts an ordered list: escape the dot, else the mark
            line = f"{mark}\\{line[m.end():]}" if mark[0].isdigit() else f"\\{line}"
        out.append(line)
    return "\\\n".join(out)  # a backslash hard break keeps the writer's line breaks


def markdown_cell(text: str) -> str:
    """Escaped for a table cell, on one line."""
    return markdown_escape(text).replace("\\\n", " ")


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")  # Hebrew, Arabic and their presentation forms


def has_rtl(text: str) -> bool:
    return _RTL.search(text) is not None
