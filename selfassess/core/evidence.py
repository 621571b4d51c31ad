"""Evidence files: what a board may attach to a question, and how each file is checked before it is kept.

A file is kept exactly as it was given, named by its SHA-256, so the record can prove later that
the file the board saw is the file a regulator receives. Only documents, spreadsheets, images and
plain text are kept: anything that can run when opened (programs, scripts, macro-enabled office
files, web pages) and archives (which hide what they hold) are refused, by what the content is as
well as by its name, so renaming setup.exe to setup.pdf does not get it in.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path

from ..files import NotReadable, read_limited
from .errors import InvalidInput, Refused
from .model import EvidenceFile

MAX_EVIDENCE = 20 * 1024 * 1024  # one file: a board paper or an audit report, not a video
TITLE_LENGTH = 300
MAX_FILES = 500  # evidence files one assessment holds (and one submission lists)

# Kinds kept, by extension: what the file must also look like inside.
_PDF, _OOXML, _ODF, _OLE, _TEXT, _RTF = "pdf", "ooxml", "odf", "ole", "text", "rtf"
KEPT: dict[str, tuple[str, str]] = {
    ".pdf": (_PDF, "PDF document"),
    ".docx": (_OOXML, "Word document"), ".xlsx": (_OOXML, "Excel workbook"), ".pptx": (_OOXML, "PowerPoint presentation"),
    ".odt": (_ODF, "OpenDocument text"), ".ods": (_ODF, "OpenDocument spreadsheet"), ".odp": (_ODF, "OpenDocument presentation"),
    ".doc": (_OLE, "Word 97-2003 document"), ".xls": (_OLE, "Excel 97-2003 workbook"), ".ppt": (_OLE, "PowerPoint 97-2003 presentation"),
    ".rtf": (_RTF, "Rich Text document"),
    ".txt": (_TEXT, "text file"), ".csv": (_TEXT, "CSV file"), ".md": (_TEXT, "Markdown text"),
    ".png": ("png", "PNG image"), ".jpg": ("jpeg", "JPEG image"), ".jpeg": ("jpeg", "JPEG image"),
    ".gif": ("gif", "GIF image"), ".tif": ("tiff", "TIFF image"), ".tiff": ("tiff", "TIFF image"), ".webp": ("webp", "WebP image"),
}
ALLOWED_TEXT = "PDF, Word, Excel, PowerPoint, OpenDocument, RTF, text, CSV, Markdown, PNG, JPEG, GIF, TIFF or WebP"

_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",), "jpeg": (b"\xff\xd8\xff",), "gif": (b"GIF87a", b"GIF89a"),
    "tiff": (b"II*\x00", b"MM\x00*"), _OLE: (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",), _RTF: (b"{\\rtf",),
}

# What the content is, whatever the name says: refused, and named in the message.
_REFUSED_CONTENT: tuple[tuple[bytes, int, str], ...] = (
    (b"\x7fELF", 0, "a program (an ELF executable)"),
    (b"MZ", 0, "a Windows program or library (an EXE or DLL)"),
    (b"\xfe\xed\xfa\xce", 0, "a macOS program (Mach-O)"), (b"\xfe\xed\xfa\xcf", 0, "a macOS program (Mach-O)"),
    (b"\xce\xfa\xed\xfe", 0, "a macOS program (Mach-O)"), (b"\xcf\xfa\xed\xfe", 0, "a macOS program (Mach-O)"),
    (b"\xca\xfe\xba\xbe", 0, "a program (a Mach-O universal binary or Java class)"),
    (b"#!", 0, "a script (it starts with #!)"),
    (b"\x1f\x8b", 0, "an archive (gzip)"), (b"BZh", 0, "an archive (bzip2)"), (b"\xfd7zXZ\x00", 0, "an archive (xz)"),
    (b"7z\xbc\xaf\x27\x1c", 0, "an archive (7-Zip)"), (b"Rar!\x1a\x07", 0, "an archive (RAR)"),
    (b"\x28\xb5\x2f\xfd", 0, "an archive (Zstandard)"), (b"MSCF", 0, "an archive (a Windows cabinet)"),
    (b"ustar", 257, "an archive (tar)"), (b"xar!", 0, "an archive (xar)"), (b"dex\n", 0, "an Android program"),
)

# Names that say what the file is: refused even before looking inside, and named.
_REFUSED_NAMES: dict[str, str] = {
    **dict.fromkeys((".exe", ".dll", ".com", ".scr", ".pif", ".cpl", ".msi", ".msp", ".sys", ".drv", ".ocx",
                     ".app", ".apk", ".bin", ".elf", ".so", ".dylib", ".jar", ".class", ".deb", ".rpm"), "a program"),
    **dict.fromkeys((".sh", ".bash", ".zsh", ".csh", ".ksh", ".bat", ".cmd", ".ps1", ".psm1", ".vbs", ".vbe", ".js",
                     ".jse", ".mjs", ".wsf", ".wsh", ".hta", ".py", ".pyw", ".pl", ".rb", ".php", ".lua", ".tcl",
                     ".applescript", ".scpt", ".command", ".reg", ".lnk", ".url", ".desktop"), "a script or shortcut"),
    **dict.fromkeys((".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".cab", ".iso", ".dmg",
                     ".img", ".vhd", ".xar", ".arj", ".lz", ".lzma"), "an archive or disk image"),
    **dict.fromkeys((".docm", ".dotm", ".xlsm", ".xltm", ".xlsb", ".xlam", ".pptm", ".potm", ".ppam", ".ppsm",
                     ".sldm"), "a macro-enabled office file"),
    **dict.fromkeys((".html", ".htm", ".xhtml", ".svg", ".svgz", ".mht", ".mhtml", ".xml", ".xsl"),
                    "a web page or SVG image (these can run scripts when opened)"),
}


@dataclass(frozen=True)
class Candidate:
    """A file checked and read, ready to be kept."""

    data: bytes
    sha256: str
    file_name: str
    kind: str  # in words: "PDF document"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _refuse(name: str, why: str) -> Refused:
    return Refused(f"{name} was not added: {why}. Evidence files may be {ALLOWED_TEXT} files. Nothing was recorded.")


def read_candidate(path: Path) -> Candidate:
    """Read one file a user names as evidence: a regular file (not a link, folder or device), at most
    MAX_EVIDENCE bytes, of a kind selfassess keeps. Raises a SelfAssessError naming what is wrong."""
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix in _REFUSED_NAMES:  # said before reading: the name alone settles it
        raise _refuse(name, f"its name says it is {_REFUSED_NAMES[suffix]} ({suffix}), which selfassess does not keep")
    try:
        data = read_limited(path, MAX_EVIDENCE, "file to keep as evidence", follow_links=False)
    except NotReadable as exc:
        raise InvalidInput(f"{exc}. Nothing was recorded.") from None
    kind = check_content(name, data)
    return Candidate(data, sha256_of(data), name, kind)


def check_content(name: str, data: bytes) -> str:
    """The kind of a file, in words, if selfassess keeps it; else Refused naming what it is."""
    suffix = Path(name).suffix.lower()
    if suffix in _REFUSED_NAMES:
        raise _refuse(name, f"its name says it is {_REFUSED_NAMES[suffix]} ({suffix}), which selfassess does not keep")
    if not data:
        raise _refuse(name, "it is empty")
    for magic, offset, what in _REFUSED_CONTENT:
        if data[offset:offset + len(magic)] == magic:
            raise _refuse(name, f"its content is {what}, whatever its name says")
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix not in KEPT:
        if is_zip:
            raise _refuse(name, "its content is an archive (zip)")
        raise _refuse(name, f"'{suffix or 'no extension'}' is not a kind of file selfassess keeps")
    family, words = KEPT[suffix]
    if is_zip and family not in (_OOXML, _ODF):
        raise _refuse(name, f"its content is an archive (zip), not a {words}")
    if family in (_OOXML, _ODF):
        _check_office(name, data, family, words)
    elif family == _PDF:
        if not data[:1024].lstrip(b"\x00\t\n\r ").startswith(b"%PDF-"):
            raise _refuse(name, f"its content is not a {words} (it does not start with %PDF-)")
    elif family == _TEXT:
        if b"\x00" in data:
            raise _refuse(name, f"its content is not a {words} (it holds binary data)")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise _refuse(name, f"its content is not a {words} (it is not readable text)") from None
        head = text[:512].lstrip().lower()
        if head.startswith(("<!doctype html", "<html", "<script", "<svg", "<?xml")):
            raise _refuse(name, "its content is a web page or XML, which can run scripts when opened")
    elif family == "webp":
        if not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
            raise _refuse(name, f"its content is not a {words}")
    elif not data.startswith(_MAGIC[family]):
        raise _refuse(name, f"its content is not a {words}")
    return words


def _check_office(name: str, data: bytes, family: str, words: str) -> None:
    """A Word/Excel/PowerPoint or OpenDocument file is a zip: it must be one, and hold no macros or programs."""
    if data[:4] != b"PK\x03\x04":
        raise _refuse(name, f"its content is not a {words}")
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            names = [n.lower() for n in z.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(name, f"its content is not a readable {words}") from None
    if family == _OOXML and "[content_types].xml" not in names:
        raise _refuse(name, f"its content is an archive (zip), not a {words}")
    if family == _ODF and "mimetype" not in names:
        raise _refuse(name, f"its content is an archive (zip), not a {words}")
    if any(n.endswith("vbaproject.bin") or n.startswith("basic/") or n.endswith((".exe", ".dll", ".js", ".vbs"))
           for n in names):
        raise _refuse(name, "it holds macros or programs (save it without macros, as .docx/.xlsx/.pptx, and add that)")


def is_expired(ev: EvidenceFile, today: date) -> bool:
    """Expired: its expiry date is before today (a file expiring today is still current today)."""
    return ev.expires is not None and date.fromisoformat(ev.expires) < today


def short_hash(sha256: str) -> str:
    return sha256[:12]
