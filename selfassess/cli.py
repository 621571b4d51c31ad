"""The command line: `selfassess` opens the app; the verbs script everything the app can do.

Thin by design: each verb parses its arguments, calls the core through a Workspace,
and prints. Errors meant for users are printed as one clear message, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import paths
from .core.errors import FrameworkError, SelfAssessError


class Context:
    """What every verb needs: where the data lives and which frameworks are in play."""

    def __init__(self, home: Path | None, framework_dirs: tuple[Path, ...], actor: str | None, wait: float):
        self.home = home or paths.home()
        self.framework_dirs = list(framework_dirs)
        self.actor = actor or os.environ.get("SELFASSESS_ACTOR") or _login_name()
        self.wait = wait
        self._catalogue = None

    def catalogue(self):
        if self._catalogue is None:
            from .core.catalogue import load_catalogue

            self._catalogue = load_catalogue(
                paths.bundled_frameworks_dir(), [paths.user_frameworks_dir(self.home), *self.framework_dirs]
            )
        return self._catalogue


def _login_name() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no user database in some containers
        return "unknown"


pass_ctx = click.make_pass_decorator(Context)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(path_type=Path, file_okay=False), envvar=paths.HOME_ENV,
              help="Data folder (default: the platform's user data folder; env SELFASSESS_HOME).")
@click.option("--frameworks", "framework_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Another folder of framework YAML files (may be repeated).")
@click.option("--actor", help="Your name on the audit trail (default: your login name; env SELFASSESS_ACTOR).")
@click.option("--wait", type=float, default=0.0, show_default=True,
              help="Seconds to wait for another copy of selfassess to finish writing.")
@click.version_option(package_name="selfassess")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, framework_dirs: tuple[Path, ...], actor: str | None, wait: float) -> None:
    """selfassess: health inequalities self-assessment for NHS trust boards.

    Run with no command to open the app.
    """
    ctx.obj = Context(home, framework_dirs, actor, wait)
    if ctx.invoked_subcommand is None:
        from .ui.app import run_app

        run_app(ctx.obj)


# --- frameworks ------------------------------------------------------------------------------


@cli.command()
@click.argument("paths_", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths_: tuple[Path, ...]) -> None:
    """Check framework YAML files (or folders of them). Exit 0 when all are valid."""
    from .core import framework as fw
    from .core.catalogue import framework_files

    files: list[Path] = []
    for p in paths_:
        files.extend(framework_files(p) if p.is_dir() else [p])
    if not files:
        raise SelfAssessError(f"no framework files (.yaml, .yml) found in: {', '.join(map(str, paths_))}")
    bad = 0
    for f in files:
        try:
            framework = fw.load_file(f)
        except FrameworkError as exc:
            bad += 1
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            continue
        click.echo(f"{f}: valid: {framework.title} ({framework.key}, {framework.question_count} questions, "
                   f"hash {framework.short_hash})")
    if bad:
        click.echo(f"{bad} of {len(files)} file(s) invalid", err=True)
        sys.exit(1)


@cli.command("frameworks")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def list_frameworks(c: Context, as_json: bool) -> None:
    """List the bundled and user frameworks."""
    cat = c.catalogue()
    items = sorted(cat.frameworks.values(), key=lambda f: (f.title, f.version))
    if as_json:
        _echo_json({
            "frameworks": [dict(f.summary(), kind=cat.kinds[f.key]) for f in items],
            "invalid": {path: [str(p) for p in problems] for path, problems in cat.failures.items()},
        })
    else:
        for f in items:
            click.echo(f"{f.key:<40} {cat.kinds[f.key]:<8} {f.question_count:>4} questions  {f.title}")
        if not items:
            click.echo("no frameworks found")
    for path, problems in cat.failures.items():
        click.echo(f"warning: {path} was skipped:", err=True)
        for p in problems:
            click.echo(f"  {p}", err=True)


# --- entry point -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors become one message and an exit code, never a traceback."""
    try:
        cli.main(args=argv, prog_name="selfassess", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except SelfAssessError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # the last line of defence: a message and a log, never a traceback
        log = _write_crash_log(exc)
        click.echo(f"error: selfassess hit an unexpected problem ({type(exc).__name__}: {exc}). "
                   f"Nothing further was changed. Details: {log}", err=True)
        sys.exit(70)


def _write_crash_log(exc: BaseException) -> str:
    import time
    import traceback

    try:
        folder = paths.home() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return str(path)
    except OSError:
        return "(could not write a crash log)"
