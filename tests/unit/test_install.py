"""A plain, non-editable install finds the bundled frameworks (they ship inside the wheel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from tests.conftest import REPO


def test_wheel_carries_the_frameworks_and_an_installed_copy_finds_them(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = dist.glob("selfassess-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "selfassess/_bundled/frameworks/board-health-inequalities.yaml" in names
    assert "selfassess/_bundled/frameworks/what-works-evidence.yaml" in names
    assert "selfassess/_bundled/frameworks/eds-2022.yaml" in names
    assert "selfassess/_bundled/frameworks/crosswalks/board-to-eds-2022.yaml" in names
    assert "selfassess/_bundled/frameworks/schema.json" in names

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    # Run from an empty folder with only the installed copy first on the path: no checkout to lean on.
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target), SELFASSESS_HOME=str(tmp_path / "home"))
    out = subprocess.run(
        [sys.executable, "-c", "import selfassess.cli as c, selfassess; print(selfassess.__file__); c.main(['frameworks', '--json'])"],
        cwd=workdir, env=env, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    first, rest = out.stdout.split("\n", 1)
    assert first.startswith(str(target))
    data = json.loads(rest)
    assert {f["id"] for f in data["frameworks"]} == {"board-health-inequalities", "eds-2022", "what-works-principles"}
    assert all(f["origin"].startswith(str(target)) for f in data["frameworks"])
