"""The `selfassess` command. With no arguments it opens the app straight away, without loading
the command-line machinery (it costs start-up time a user waits through); otherwise the CLI."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if len(sys.argv) == 1:
        from . import paths
        from .ui.app import run_app

        actor = os.environ.get("SELFASSESS_ACTOR") or paths.login_name()
        run_app(paths.home(), [], actor)
        return
    from .cli import main as cli_main

    cli_main()


