"""Fixtures the workspace tests share: a fresh store and the workspace over it."""

from __future__ import annotations

import pytest

from tests.helpers import open_workspace


@pytest.fixture
def env(tmp_path):
    store, ws = open_workspace(tmp_path / "store")
    yield store, ws
    store.close()


@pytest.fixture
def ws(env):
    return env[1]
