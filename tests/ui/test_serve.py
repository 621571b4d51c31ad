"""`textual serve "selfassess"`: the app runs in a browser through textual-serve's websocket."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.ui.conftest import make_demo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_textual_serve_paints_the_home_screen_over_a_websocket(tmp_path):
    home = tmp_path / "home"
    make_demo(home)
    port = free_port()
    textual = shutil.which("textual") or str(Path(sys.executable).with_name("textual"))
    # As a user types it: the command name, found on PATH (a path would be run as a Python file).
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, SELFASSESS_HOME=str(home), SELFASSESS_TODAY="2026-11-23",
               PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    server = subprocess.Popen([textual, "serve", "selfassess", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        received = b""
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # wait for the server to listen
                try:
                    async with http.get(f"http://127.0.0.1:{port}/") as page:
                        assert page.status == 200
                        break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.1)
            async with http.ws_connect(f"http://127.0.0.1:{port}/ws?width=100&height=30") as ws:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 30
                while b"Acute trust" not in received and loop.time() < deadline:
                    try:
                        msg = await asyncio.wait_for(ws.receive(), timeout=deadline - loop.time())
                    except TimeoutError:
                        break
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        received += msg.data
                    elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        break
        assert b"Acute trust" in received, received[-500:]
        assert b"Traceback" not in received
    finally:
        server.terminate()
        server.wait(timeout=10)
