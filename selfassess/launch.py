"""The `selfassess` command. With no arguments it opens the app straight away, without loading
the command-line machinery (it costs start-up time a user waits through); otherwise the CLI."""

from __future__ import annotations

import gc
import os
import sys


def main() -> None:
    if len(sys.argv) == 1:
        # Start-up makes a great many objects that live as long as the app (modules, the store's
        # records, 20 years of them in a large store): the cycle collector would walk them over and
        # over before anything is painted. It stays off until the first paint, when what was made
        # is frozen out of its walks and it is turned back on (SelfAssessApp.after_first_paint).
        gc.disable()
        from . import paths
        from .ui.app import run_app

        actor = os.environ.get("SELFASSESS_ACTOR") or paths.login_name()
        code = run_app(paths.home(), [], actor)
        if code:  # 1 after an unexpected problem, for a script that started the app
            sys.exit(code)
        return
    from .cli import main as cli_main

    cli_main()


