"""Snapshots of the keys screen and its confirmation at 60x20, 80x24 and 120x36: a fixed key, so the
large fingerprint is the same every run. Update deliberately, after looking: --snapshot-update."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.submission import keys
from tests.helpers import TODAY
from tests.ui.conftest import make_demo

SIZES = [pytest.param((60, 20), id="60x20"), pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


def fixed_key(home, seed: int) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    path = keys.key_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key


@pytest.fixture
def keys_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SELFASSESS_HOME", str(home))
    make_demo(home)
    fixed_key(home, 1)
    s = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY, "2026-11-23T09:30:00Z"))
    try:
        regulator = keys.fingerprint(keys.raw_public(Ed25519PrivateKey.from_private_bytes(b"\x02" * 32).public_key()))
        old = keys.fingerprint(keys.raw_public(Ed25519PrivateKey.from_private_bytes(b"\x03" * 32).public_key()))
        keys.register_key(s.workspace, regulator, "Regional regulator")
        keys.register_key(s.workspace, old, "Regional regulator (old laptop)")
        keys.revoke_key(s.workspace, old, "Laptop replaced")
    finally:
        s.close()
    return home


@pytest.mark.parametrize("size", SIZES)
def test_keys_screen(snap_compare, keys_home, new_app, size):
    assert snap_compare(new_app(keys_home), press=["K"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_register_key_confirmation(snap_compare, keys_home, new_app, size, tmp_path):
    other = tmp_path / "northgate"
    fixed_key(other, 4)
    key_file = keys.export_public_key(other, tmp_path)

    async def choose_file(pilot):
        await pilot.press("K", "r")
        await pilot.pause()
        await pilot.press(*str(key_file), "enter")
        await pilot.pause()

    assert snap_compare(new_app(keys_home), run_before=choose_file, terminal_size=size)
