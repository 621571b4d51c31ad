"""This installation's signing key (Ed25519), created on first use and kept protected.

The private key lives in <home>/keys/signing-key.pem, readable only by its owner, and encrypted
with $SELFASSESS_KEY_PASSPHRASE when that is set. Others learn its fingerprint by another
channel (a letter, a phone call) and register it; a bundle or feedback file signed by a key they
have not registered is never trusted.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .. import paths
from ..core.audit import Change
from ..core.errors import Hint, NotFound, Refused, SelfAssessError
from ..core.model import check_ods, check_text

if TYPE_CHECKING:
    from ..core.workspace import Workspace

KEY_FILE = "signing-key.pem"
RATER_KEY_FILE = "rater-key.pem"  # a board member's own key, for their rating responses: never the trust's
MAX_KEY_FILE = 64 * 1024  # a PEM key is well under 1 KB
PASSPHRASE_ENV = "SELFASSESS_KEY_PASSPHRASE"


class KeyError_(SelfAssessError):
    pass


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: bytes) -> str:
    """How people compare keys: 'SHA256:' and the hash of the public key in groups of four."""
    digest = hashlib.sha256(public).hexdigest().upper()
    return "SHA256:" + " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def key_fingerprint(private_key: Ed25519PrivateKey) -> str:
    return fingerprint(raw_public(private_key.public_key()))


def normalise_fingerprint(text: str) -> str:
    """Accept a fingerprint as people type it (spaces, case, with or without 'SHA256:')."""
    body = "".join(ch for ch in text.upper().removeprefix("SHA256:") if ch.isalnum())
    if len(body) != 32 or any(ch not in "0123456789ABCDEF" for ch in body):
        raise SelfAssessError(f"'{text}' is not a key fingerprint, expected SHA256: followed by 32 hex digits",
                              hint=Hint("see what one looks like", command="selfassess keys show"))
    return "SHA256:" + " ".join(body[i:i + 4] for i in range(0, 32, 4))


def public_from_b64(text: str) -> bytes:
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32 or base64.b64encode(raw).decode() != text:
        raise ValueError("not a canonical Ed25519 public key")
    return raw


def verify(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


def key_path(home: Path, name: str = KEY_FILE) -> Path:
    return paths.keys_dir(home) / name


def load_or_create(home: Path, name: str = KEY_FILE) -> Ed25519PrivateKey:
    """The signing key, made the first time it is needed (the folder 0700, the file 0600)."""
    from ..files import NotReadable, WriteFailed, atomic_write, read_limited, why
    from ..paths import make_private_dir

    path = key_path(home, name)
    if path.exists():
        try:
            key = serialization.load_pem_private_key(read_limited(path, MAX_KEY_FILE, "signing key file"),
                                                     password=_passphrase())
        except TypeError:
            raise KeyError_(f"the signing key {path} is protected by a passphrase: set {PASSPHRASE_ENV}") from None
        except NotReadable as exc:
            raise KeyError_(f"the signing key cannot be used: {exc}") from None
        except (ValueError, OSError) as exc:
            raise KeyError_(f"the signing key {path} cannot be read ({exc}); if the passphrase is wrong, "
                            f"set {PASSPHRASE_ENV} correctly") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyError_(f"{path} is not an Ed25519 signing key")
        return key
    key = Ed25519PrivateKey.generate()
    passphrase = _passphrase()
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    try:
        make_private_dir(path.parent)  # the data folder too, owner-only whatever the umask
        os.chmod(path.parent, 0o700)
        atomic_write(path, pem, mode=0o600)
    except OSError as exc:
        raise WriteFailed(f"cannot save a new signing key at {path}: {why(exc)}. Nothing was signed.") from None
    return key


def own_fingerprint(home: Path) -> str | None:
    """The fingerprint of this installation's key, if it has one (never creates it)."""
    path = key_path(home)
    if not path.exists():
        return None
    try:
        return key_fingerprint(load_or_create(home))
    except SelfAssessError:
        return None


# --- the keys of others, registered here -----------------------------------------------------

TRUSTED_KEYS = "trusted_keys"


@dataclass(frozen=True)
class TrustedKey:
    """Another party's key, registered after its fingerprint was checked by another channel.

    A revoked key stays listed (with when, by whom and why) so the record shows it was once trusted;
    it no longer verifies anything new."""

    fingerprint: str
    name: str
    ods_code: str = ""
    registered_at: str = ""
    registered_by: str = ""
    revoked_at: str = ""
    revoked_by: str = ""
    revoked_reason: str = ""

    @property
    def revoked(self) -> bool:
        return bool(self.revoked_at)

    def to_record(self) -> dict[str, Any]:
        rec = {"id": self.fingerprint, "name": self.name, "ods_code": self.ods_code,
               "registered_at": self.registered_at, "registered_by": self.registered_by}
        if self.revoked:  # only then: a registration's record stays as it always was
            rec.update(revoked_at=self.revoked_at, revoked_by=self.revoked_by, revoked_reason=self.revoked_reason)
        return rec

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> TrustedKey:
        return cls(rec["id"], rec["name"], rec.get("ods_code", ""), rec.get("registered_at", ""), rec.get("registered_by", ""),
                   rec.get("revoked_at", ""), rec.get("revoked_by", ""), rec.get("revoked_reason", ""))


def trusted_keys(ws: Workspace) -> list[TrustedKey]:
    """Every key registered here, revoked ones included (they say so), by name."""
    return sorted((TrustedKey.from_record(r) for r in ws.repo.all(TRUSTED_KEYS)), key=lambda k: k.name.lower())


def keys_for_ods(ws: Workspace, ods_code: str) -> list[TrustedKey]:
    """The keys registered here with this ODS code, revoked ones included (through the store's index)."""
    return [TrustedKey.from_record(r) for r in ws.repo.find(TRUSTED_KEYS, ods_code=ods_code)]


def registered_key(ws: Workspace, fingerprint: str) -> TrustedKey | None:
    """The entry for a key, revoked or not: to say why a key is not trusted."""
    rec = ws.repo.get(TRUSTED_KEYS, fingerprint)
    return TrustedKey.from_record(rec) if rec else None


def trusted_key(ws: Workspace, fingerprint: str) -> TrustedKey | None:
    """A key that verifies bundles and feedback here: registered and not revoked."""
    key = registered_key(ws, fingerprint)
    return key if key is not None and not key.revoked else None


def register_key(ws: Workspace, fingerprint: str, name: str, ods_code: str = "", *,
                 reinstate: str | None = None) -> TrustedKey:
    """Register another party's key (a trust's, or the regulator's), replacing an earlier entry.

    A revoked key is trusted again only when asked to in so many words (reinstate: why), never by
    registering it as if new: a script re-run from onboarding must not quietly lift a revocation for
    a stolen key. The reinstatement, and the revocation it lifts, are on the audit trail."""
    fp = normalise_fingerprint(fingerprint)
    name = check_text(name, "whose key this is (--name)", required=True, max_length=500).strip()
    key = TrustedKey(fp, name, check_ods(ods_code), ws.clock.now(), ws.actor)
    before = ws.repo.get(TRUSTED_KEYS, fp)
    revoked = revoked_entry(ws, fp) if before is not None else None
    summary = f"registered key {fp} for {name}"
    if revoked is not None:
        if reinstate is None:
            raise Refused(f"the key {fp} is revoked here: {revoked_because(revoked)}. Nothing was changed. A revoked "
                          "key is not trusted again by registering it: if the revocation was a mistake, say why",
                          hint=Hint("trust it again, saying why", command=f'selfassess keys trust "{fp}" --name "{name}" '
                                    '--reinstate "REASON"'))
        why = check_text(reinstate, "why the revoked key is trusted again (--reinstate)", required=True,
                         max_length=2000).strip()
        summary += f", reinstating it (revoked on {revoked.revoked_at[:10]}: {revoked.revoked_reason}): {why}"
    ws.commit("keys.trust", summary, [Change(TRUSTED_KEYS, fp, before, key.to_record())])
    return key


def revoke_key(ws: Workspace, fingerprint: str, reason: str) -> TrustedKey:
    """Stop trusting a registered key (lost, replaced, or no longer that party's): recorded with the
    reason; submissions and feedback signed by it are refused from now on, those imported before stay."""
    fp = normalise_fingerprint(fingerprint)
    reason = check_text(reason, "why the key is revoked (--reason)", required=True, max_length=2000).strip()
    before = ws.repo.get(TRUSTED_KEYS, fp)
    if before is None:
        raise NotFound(f"no key {fp} is registered here",
                       hint=Hint("see the keys registered here", command="selfassess keys list"))
    key = TrustedKey.from_record(before)
    if key.revoked:
        raise Refused(f"the key {fp} of {key.name} was already revoked on {key.revoked_at[:10]} by {key.revoked_by}")
    key = replace(key, revoked_at=ws.clock.now(), revoked_by=ws.actor, revoked_reason=reason)
    ws.commit("keys.revoke", f"revoked key {fp} of {key.name}: {reason}", [Change(TRUSTED_KEYS, fp, before, key.to_record())])
    return key


def revoked_entry(ws: Workspace, fingerprint: str) -> TrustedKey | None:
    """The entry of a key registered here and since revoked; None for any other key."""
    key = registered_key(ws, fingerprint)
    return key if key is not None and key.revoked else None


def revoked_because(key: TrustedKey) -> str:
    """Whose key it was, its fingerprint, and when, by whom and why it was revoked, in a phrase."""
    when = key.revoked_at[:16].replace("T", " ") + (" UTC" if key.revoked_at.endswith("Z") else "")
    by = f" by {key.revoked_by}" if key.revoked_by else ""
    why = f" ({key.revoked_reason})" if key.revoked_reason else " (no reason was recorded)"
    return f"signed by the key of {key.name}, revoked here on {when}{by}{why}: {key.fingerprint}"


def not_trusted_because(ws: Workspace, fingerprint: str) -> str:
    """Why a signer's key does not verify here, in a phrase: never registered, or revoked."""
    key = revoked_entry(ws, fingerprint)
    if key is not None:
        return revoked_because(key)
    return f"signed by a key this installation has not registered ({fingerprint})"


# --- a key from a file: the other party's public key, or any file they signed ---------------

PUBLIC_KEY_SUFFIX = ".selfassess-key"


@dataclass(frozen=True)
class KeyOffer:
    """A key read from a file, to show (its fingerprint) before anyone registers it."""

    fingerprint: str
    source: str  # what the file was, in words
    name: str = ""  # whose it says it is, when the file says (a submission names its trust)
    ods_code: str = ""


def public_key_pem(home: Path) -> bytes:
    """This installation's public key, to send to the other party (they read its fingerprint from it)."""
    return load_or_create(home).public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo)


def export_public_key(home: Path, out: Path) -> Path:
    """Write this installation's public key to out (a folder: a file named for the key); no secret in it."""
    from ..files import WriteFailed, atomic_write, why

    if out.is_dir():
        out = out / f"selfassess-public-key{PUBLIC_KEY_SUFFIX}"
    data = public_key_pem(home)
    try:
        atomic_write(out, data, mode=0o644)
    except OSError as exc:
        raise WriteFailed(f"cannot write the public key to {out}: {why(exc)}") from None
    return out


def read_key_file(path: Path) -> KeyOffer:
    """The key in a file: a public key written by `selfassess keys export`, or a submission or
    feedback file (the key that signed it, checked against its signature). Never registers it."""
    from ..files import read_limited
    from . import bundle

    data = read_limited(path, bundle.MAX_FILE, "key file")  # NotReadable says what and where
    if data.lstrip().startswith(b"-----BEGIN PUBLIC KEY-----"):
        if len(data) > MAX_KEY_FILE:
            raise KeyError_(f"{path.name} is {len(data):,} bytes, far more than a public key file")
        try:
            public = serialization.load_pem_public_key(data)
        except ValueError:
            raise KeyError_(f"{path.name} is not a readable public key file") from None
        if not isinstance(public, Ed25519PublicKey):
            raise KeyError_(f"{path.name} holds a public key, but not an Ed25519 key as selfassess makes")
        return KeyOffer(fingerprint(raw_public(public)), "a public key file")
    if data.startswith(bundle.SUBMISSION):
        from .schema import SubmissionDoc
        from .submit import ALLOWED

        opened = bundle.open_sealed(data, bundle.SUBMISSION, ALLOWED)
        org = opened.read(SubmissionDoc, "submission.json").organisation
        return KeyOffer(opened.fingerprint, "a submission", org.name, org.ods_code)
    if data.startswith(bundle.FEEDBACK):
        from .submit import MAX_FEEDBACK

        opened = bundle.open_sealed(data, bundle.FEEDBACK, {"feedback.json": MAX_FEEDBACK})
        return KeyOffer(opened.fingerprint, "a feedback file")
    raise KeyError_(f"{path.name} holds no key: expected a public key file (selfassess keys export), "
                    "a submission or a feedback file")
