"""Outside input (issue 10, finding 3): only regular files are read, and never more than the limit.

/dev/zero has a stat size of 0 and never ends; opening a FIFO waits for a writer. Each of these
used to eat memory until the process was killed, or hang. The CLI runs in a child process with a
memory cap and a timeout, so the old behaviour fails the test instead of taking the machine down.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from selfassess.files import NotReadable, read_limited
from tests.conftest import REPO

CAP = 1024 * 1024 * 1024  # 1 GB of address space: far more than selfassess needs, far less than /dev/zero eats


def selfassess(home: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    env = dict(os.environ, SELFASSESS_HOME=str(home), SELFASSESS_ACTOR="Tester")
    try:
        return subprocess.run([sys.executable, "-c", "from selfassess.cli import main; main()", *args],
                              capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        pytest.fail(f"selfassess {' '.join(args)} hung for {timeout} s")


@pytest.mark.parametrize("verb", [("verify",), ("validate",), ("feedback", "import")])
def test_a_device_is_refused_not_read_forever(tmp_path, verb):
    res = selfassess(tmp_path / "home", *verb, "/dev/zero")
    assert res.returncode == 1, res
    out = res.stdout + res.stderr
    assert "/dev/zero" in out and "is not a regular file (a device)" in out


@pytest.mark.parametrize("verb", [("verify",), ("validate",), ("feedback", "import"), ("review", "import")])
def test_a_fifo_named_like_a_bundle_is_refused_without_waiting(tmp_path, verb):
    fifo = tmp_path / "x.selfassess"
    os.mkfifo(fifo)
    res = selfassess(tmp_path / "home", *verb, str(fifo), timeout=20)
    assert res.returncode == 1, res
    out = res.stdout + res.stderr
    assert "x.selfassess" in out and "is not a regular file (a FIFO)" in out


def test_a_fifo_in_a_folder_of_bundles_is_reported_not_waited_on(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.mkfifo(inbox / "x.selfassess")
    res = selfassess(tmp_path / "home", "verify", str(inbox), timeout=20)
    assert res.returncode == 1 and "MALFORMED" in res.stdout and "not a regular file (a FIFO)" in res.stdout, res


def test_read_limited_refuses_what_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    with pytest.raises(NotReadable, match=r"pipe is not a regular file \(a FIFO\)"):
        read_limited(tmp_path / "pipe", 100, "bundle")
    with pytest.raises(NotReadable, match=r"folder is not a regular file \(a folder\)"):
        read_limited(tmp_path / "folder", 100, "bundle")
    with pytest.raises(NotReadable, match=r"/dev/null is not a regular file \(a device\)"):
        read_limited(Path("/dev/null"), 100, "bundle")
    with pytest.raises(NotReadable, match=r"no such file"):
        read_limited(tmp_path / "missing", 100, "bundle")


def test_read_limited_follows_a_symlink_to_a_regular_file_and_stops_at_the_limit(tmp_path):
    real = tmp_path / "real"
    real.write_bytes(b"x" * 100)
    (tmp_path / "link").symlink_to(real)
    assert read_limited(tmp_path / "link", 100) == b"x" * 100
    with pytest.raises(NotReadable, match=r"is more than 99 bytes"):
        read_limited(tmp_path / "link", 99)
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "to-pipe").symlink_to(tmp_path / "pipe")
    with pytest.raises(NotReadable, match=r"not a regular file \(a FIFO\)"):
        read_limited(tmp_path / "to-pipe", 100)


def test_read_limited_reads_at_most_the_limit_plus_one_byte_even_if_stat_says_less(tmp_path, monkeypatch):
    path = tmp_path / "growing"
    path.write_bytes(b"x" * 10_000)
    real_fstat = os.fstat

    class Small:
        def __init__(self, st):
            self.st_mode, self.st_size = st.st_mode, 10  # the file 'grew' after fstat

    monkeypatch.setattr(os, "fstat", lambda fd: Small(real_fstat(fd)))
    asked: list[int] = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: asked.append(n) or real_read(fd, n))
    with pytest.raises(NotReadable, match="more than 100 bytes"):
        read_limited(path, 100)
    assert sum(asked) == 101
