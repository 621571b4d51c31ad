"""The signed container for submissions and feedback: tamper-evident to the last byte.

Layout of a file:
    line 1   b"SELFASSESS-SUBMISSION 1\\n" (or FEEDBACK, RATING-PACK, RATING-RESPONSE: see KINDS)
    line 2   the header: canonical JSON, one line: payload size and SHA-256, the signer's public
             key and fingerprint, and an Ed25519 signature over line 1 and the header without it
    rest     the payload: a zip of named files with a SHA-256 manifest

Every byte is covered: the magic and header are signed, the header must be byte-for-byte the
canonical form of itself, and the payload's hash is in the signed header. Opening never trusts
the content: size, structure, signature and hashes are checked before any file inside is parsed,
and the zip is read only through an allow-list of names with size and ratio limits.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.errors import SelfAssessError
from . import keys, schema

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

M = TypeVar("M", bound=schema.Strict)

SUBMISSION, FEEDBACK = b"SELFASSESS-SUBMISSION 1\n", b"SELFASSESS-FEEDBACK 1\n"
# A board member's rating pack (signed by the trust) and their response to it (signed by their own key).
RATING_PACK, RATING_RESPONSE = b"SELFASSESS-RATING-PACK 1\n", b"SELFASSESS-RATING-RESPONSE 1\n"
KINDS = {SUBMISSION: "submission", FEEDBACK: "feedback file", RATING_PACK: "rating pack", RATING_RESPONSE: "rating response"}
MAX_FILE = 64 * 1024 * 1024
MAX_HEADER = 4096
MAX_ENTRY = 64 * 1024 * 1024
MAX_TOTAL = 128 * 1024 * 1024
MAX_RATIO = 200  # an honest PDF or JSON compresses far less; more is an archive bomb
ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # fixed, so the same content always makes the same bytes

GENUINE, ALTERED, UNKNOWN_KEY, BROKEN_CHAIN, REPLAYED, MALFORMED, DUPLICATE = (
    "genuine", "altered", "unknown key", "broken chain", "replayed", "malformed", "already imported")
# Registered here once, then revoked: not "unknown" (the regulator knows exactly whose it was), and never accepted.
REVOKED_KEY = "revoked key"


class BundleError(SelfAssessError):
    """A bundle that cannot be trusted; verdict says which way."""

    def __init__(self, verdict: str, message: str):
        self.verdict = verdict
        super().__init__(message)


@dataclass(frozen=True)
class Opened:
    kind: bytes
    header: dict[str, Any]
    payload_sha256: str
    public_key: bytes
    fingerprint: str
    files: dict[str, bytes]

    def json(self, name: str) -> dict[str, Any]:
        """One file inside, parsed as strictly as everything from outside (no duplicate keys,
        bounded depth); its schema is checked by the caller, which knows what it should hold."""
        if name not in self.files:
            raise BundleError(MALFORMED, f"{name} is missing")
        try:
            data = schema.load_json(self.files[name], name)
        except schema.Malformed as exc:
            raise BundleError(MALFORMED, str(exc)) from None
        if not isinstance(data, dict):
            raise BundleError(MALFORMED, f"{name} is not a JSON object")
        return data

    def read(self, model: type[M], name: str) -> M:
        """One file inside, checked against its schema."""
        if name not in self.files:
            raise BundleError(MALFORMED, f"{name} is missing")
        try:
            return schema.parse(model, self.files[name], name)
        except schema.Malformed as exc:
            raise BundleError(MALFORMED, str(exc)) from None


def _canonical(data: dict[str, Any]) -> bytes:
    # Not the audit chain's canonical JSON: a sealed header is ASCII-escaped, so its bytes (which are
    # signed) never depend on how a reader decodes non-ASCII text. Part of the bundle format.
    return json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _zip(files: dict[str, bytes]) -> bytes:
    manifest = {"files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in [("manifest.json", _canonical(manifest)), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, content)
    return out.getvalue()


def seal(kind: bytes, files: dict[str, bytes], private_key: Ed25519PrivateKey) -> bytes:
    """Pack files, with a manifest, into a signed container."""
    payload = _zip(files)
    public = keys.raw_public(private_key.public_key())
    header = {
        "format": 1,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "payload_size": len(payload),
        "public_key": base64.b64encode(public).decode(),
        "key_fingerprint": keys.fingerprint(public),
    }
    signature = private_key.sign(kind + _canonical(header))
    header["signature"] = base64.b64encode(signature).decode()
    return kind + _canonical(header) + b"\n" + payload


def open_sealed(data: bytes, kind: bytes, allowed: dict[str, int],
                optional: Mapping[re.Pattern[str], int] | None = None) -> Opened:
    """Check a container completely, then unpack the allowed files. Raises BundleError.

    optional: names a bundle may hold or not (evidence files), by a pattern the whole name must
    match, each with its size limit; every other limit (entry, total, ratio) applies to them alike."""
    what = KINDS[kind]
    if len(data) > MAX_FILE:
        raise BundleError(MALFORMED, f"the file is {len(data):,} bytes, more than a {what} can be ({MAX_FILE:,})")
    if not data.startswith(kind):
        other = next((k for k in KINDS if k != kind and data.startswith(k)), None)
        if other is not None:
            raise BundleError(MALFORMED, f"this is a {KINDS[other]}, not a {what}")
        if data[: len(kind) - 3] == kind[: len(kind) - 3]:
            raise BundleError(ALTERED, f"the first line of the {what} has been changed")
        raise BundleError(MALFORMED, f"not a selfassess {what} (it does not start with {kind.strip().decode()})")
    end = data.find(b"\n", len(kind), len(kind) + MAX_HEADER + 1)
    if end < 0:
        raise BundleError(ALTERED, "the header line is missing or damaged")
    line = data[len(kind):end]
    try:
        header = schema.load_json(line, "the header")
        checked = schema.read(schema.Header, header, "the header")
        signature = base64.b64decode(checked.signature, validate=True)
        public = keys.public_from_b64(checked.public_key)
        if len(signature) != 64 or base64.b64encode(signature).decode() != checked.signature:
            raise ValueError("not a canonical Ed25519 signature")
    except ValueError:  # schema.Malformed, and base64's binascii.Error, are ValueErrors
        raise BundleError(ALTERED, "the header has been changed (it is not what selfassess writes)") from None
    size, digest = checked.payload_size, checked.payload_sha256
    if _canonical(header) != line:
        raise BundleError(ALTERED, "the header has been changed (it is not in the exact form it was signed in)")
    unsigned = {k: v for k, v in header.items() if k != "signature"}
    if checked.key_fingerprint != keys.fingerprint(public):
        raise BundleError(ALTERED, "the key fingerprint in the header does not match its key")
    if not keys.verify(public, signature, kind + _canonical(unsigned)):
        raise BundleError(ALTERED, "the signature does not match: the header was changed after signing")
    payload = data[end + 1:]
    if len(payload) != size or hashlib.sha256(payload).hexdigest() != digest:
        raise BundleError(ALTERED, "the content has been changed after signing (its SHA-256 no longer matches)")
    files = _unzip(payload, {"manifest.json": 1024 * 1024, **allowed}, optional or {})
    try:
        manifest = schema.parse(schema.Manifest, files.pop("manifest.json"), "manifest.json").files
    except (KeyError, schema.Malformed):
        raise BundleError(MALFORMED, "the manifest is missing or unreadable") from None
    if set(manifest) != set(files):
        raise BundleError(MALFORMED, "the manifest does not list exactly the files inside")
    for name, content in files.items():
        if hashlib.sha256(content).hexdigest() != manifest[name]:
            raise BundleError(ALTERED, f"{name} does not match the manifest")
    return Opened(kind, header, digest, public, checked.key_fingerprint, files)


def _limit(name: str, allowed: dict[str, int], optional: Mapping[re.Pattern[str], int]) -> int | None:
    if name in allowed:
        return allowed[name]
    return next((limit for pattern, limit in optional.items() if pattern.fullmatch(name)), None)


def _unzip(payload: bytes, allowed: dict[str, int], optional: Mapping[re.Pattern[str], int]) -> dict[str, bytes]:
    """Read only allowed (or optional) names, each within its size, rejecting traversal, links and bombs."""
    try:
        z = zipfile.ZipFile(io.BytesIO(payload))
        infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BundleError(MALFORMED, "the content is not a readable archive") from None
    names = [i.filename for i in infos]
    if len(names) != len(set(names)):
        raise BundleError(MALFORMED, "the archive holds the same name twice")
    total = 0
    files: dict[str, bytes] = {}
    for info in infos:
        name = info.filename
        allowance = _limit(name, allowed, optional)
        if allowance is None:
            shown = name if len(name) < 80 else name[:77] + "..."
            reason = "a path outside the bundle" if (".." in name or name.startswith(("/", "\\")) or ":" in name) else "an unexpected file"
            raise BundleError(MALFORMED, f"the archive holds {reason} ({shown!r}); nothing was unpacked")
        if info.flag_bits & 0x1:
            raise BundleError(MALFORMED, f"{name} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BundleError(MALFORMED, f"{name} uses an unsupported compression")
        limit = min(allowance, MAX_ENTRY)
        if info.file_size > limit or (info.compress_size and info.file_size / info.compress_size > MAX_RATIO):
            raise BundleError(MALFORMED, f"{name} would unpack to {info.file_size:,} bytes: too large (an archive bomb?)")
        try:
            with z.open(info) as f:
                content = f.read(limit + 1)  # never trust the declared size
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise BundleError(MALFORMED, f"{name} cannot be unpacked ({type(exc).__name__})") from None
        if len(content) > limit:
            raise BundleError(MALFORMED, f"{name} unpacks to more than {limit:,} bytes")
        total += len(content)
        if total > MAX_TOTAL:
            raise BundleError(MALFORMED, "the archive unpacks to more than a submission can hold")
        files[name] = content
    missing = [n for n in allowed if n not in files and n != "manifest.json"]
    if missing:
        raise BundleError(MALFORMED, f"the archive is missing {', '.join(missing)}")
    return files
