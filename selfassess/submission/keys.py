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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .. import paths
from ..core.audit import Change
from ..core.errors import Hint, SelfAssessError
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
    """Another party's key, registered after its fingerprint was checked by another channel."""

    fingerprint: str
    name: str
    ods_code: str = ""
    registered_at: str = ""
    registered_by: str = ""

    def to_record(self) -> dict[str, Any]:
        return {"id": self.fingerprint, "name": self.name, "ods_code": self.ods_code,
                "registered_at": self.registered_at, "registered_by": self.registered_by}

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> TrustedKey:
        return cls(rec["id"], rec["name"], rec.get("ods_code", ""), rec.get("registered_at", ""), rec.get("registered_by", ""))


def trusted_keys(ws: Workspace) -> list[TrustedKey]:
    return sorted((TrustedKey.from_record(r) for r in ws.repo.all(TRUSTED_KEYS)), key=lambda k: k.name.lower())


def trusted_key(ws: Workspace, fingerprint: str) -> TrustedKey | None:
    rec = ws.repo.get(TRUSTED_KEYS, fingerprint)
    return TrustedKey.from_record(rec) if rec else None


def register_key(ws: Workspace, fingerprint: str, name: str, ods_code: str = "") -> TrustedKey:
    """Register another party's key (a trust's, or the regulator's), replacing an earlier entry."""
    fp = normalise_fingerprint(fingerprint)
    name = check_text(name, "whose key this is (--name)", required=True, max_length=500).strip()
    key = TrustedKey(fp, name, check_ods(ods_code), ws.clock.now(), ws.actor)
    before = ws.repo.get(TRUSTED_KEYS, fp)
    ws.commit("keys.trust", f"registered key {fp} for {name}", [Change(TRUSTED_KEYS, fp, before, key.to_record())])
    return key
