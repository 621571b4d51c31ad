"""Showing text that came from a person or a file on a terminal: the one sanitiser.

What is stored is exactly what was typed; only what is shown is neutralised, by `shown`.
Its rule: every character a terminal would act on, or that would reorder the text around it,
is replaced by ONE visible character, so columns, cursor positions and text lengths stay
exactly as they were:

- C0 controls (U+0000-U+001F) and DEL become their Unicode control pictures, so ESC shows
  as '␛', BEL as '␇', CR as '␍', DEL as '␡'. Newline and tab are kept in multi-line text
  (multiline=True, the default) and shown as '␊' and '␉' in single-line text.
- C1 controls (U+0080-U+009F, such as U+009B, a one-byte ESC [) and the bidi embedding,
  override and isolate controls (U+202A-U+202E, U+2066-U+2069), which have no picture,
  become '�' (U+FFFD), as do lone surrogates (bytes that were not UTF-8, from a file name or
  an argument), which cannot be written to a UTF-8 terminal at all.

`json_text` is the same idea for --json output: every such character is written as a JSON
escape (\\u001b, \\u009b, \\u202e), so the data stays exact and nothing reaches a terminal raw.
"""

from __future__ import annotations

import json
import re
from typing import Any

_C0 = "\x00-\x08\x0b-\x1f"  # without tab and newline
_C1_DEL = "\x7f-\x9f"
_BIDI = "\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"  # undecodable bytes from argv or a file name: unprintable as UTF-8
_UNSAFE_MULTI = re.compile(f"[{_C0}{_C1_DEL}{_BIDI}{_SURROGATES}]")
_UNSAFE_SINGLE = re.compile(f"[\t\n{_C0}{_C1_DEL}{_BIDI}{_SURROGATES}]")
_JSON_RAW = re.compile(f"[{_C1_DEL}{_BIDI}{_SURROGATES}]")  # json.dumps already escapes C0
REPLACEMENT = "\ufffd"


def _picture(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return REPLACEMENT


def shown(text: Any, *, multiline: bool = True) -> str:
    """text as it may be shown on a terminal: same length, nothing a terminal would act on."""
    s = text if isinstance(text, str) else str(text)
    pattern = _UNSAFE_MULTI if multiline else _UNSAFE_SINGLE
    return pattern.sub(_picture, s) if pattern.search(s) else s


def unsafe(text: str, *, multiline: bool = True) -> bool:
    """Whether text holds anything `shown` would replace."""
    return (_UNSAFE_MULTI if multiline else _UNSAFE_SINGLE).search(text) is not None


def strip_unsafe(text: str) -> str:
    """text with every such character removed, tab and newline too: the app's last line of defence,
    for text whose layout was already measured (these characters take no cells, so removing them
    moves nothing on the screen)."""
    return _UNSAFE_SINGLE.sub("", text)


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """JSON for a terminal or a script: readable Unicode, every control character escaped."""
    out = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", out)


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None], low: float = 0.0, high: float = 100.0) -> str:
    """A trend in one line of block characters (a score from low to high), '·' where there is none."""
    out = []
    for v in values:
        if v is None:
            out.append("·")
            continue
        share = (min(max(v, low), high) - low) / (high - low) if high > low else 0.0
        out.append(_BARS[min(len(_BARS) - 1, int(share * len(_BARS)))])
    return "".join(out)
