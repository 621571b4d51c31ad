"""The command line: `selfassess` opens the app; the verbs script everything the app can do.

Thin by design: each verb parses its arguments, calls the core through a Workspace,
and prints. Errors meant for users are printed as one clear message, never a traceback.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import paths
from .core.errors import FrameworkError, Hint, SelfAssessError
from .core.figures import percent_text
from .core.framework import number_text
from .core.text import json_text, shown
from .paths import make_private_dir

if TYPE_CHECKING:
    from .core.catalogue import Catalogue
    from .core.model import Action, Assessment, EvidenceFile
    from .core.rounds import Spread
    from .core.workspace import AssessmentSummary, Workspace


class Context:
    """What every verb needs: where the data lives and which frameworks are in play."""

    def __init__(self, home: Path | None, framework_dirs: tuple[Path, ...], actor: str | None, wait: float):
        self.home = home or paths.home()
        self.framework_dirs = list(framework_dirs)
        self.actor = actor or os.environ.get("SELFASSESS_ACTOR") or paths.login_name()
        self.wait = wait
        self._catalogue: Catalogue | None = None

    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            from .session import load_frameworks

            self._catalogue = load_frameworks(self.home, self.framework_dirs)
        return self._catalogue

    @contextlib.contextmanager
    def workspace(self, write: bool) -> Iterator[Workspace]:
        """Open the store for the length of one verb (to change it, each save takes the lock for a moment)."""
        from .session import open_session

        session = open_session(self.home, self.catalogue(), self.actor, writer=write, wait=self.wait,
                               command=" ".join(["selfassess", *sys.argv[1:3]]))
        for notice in session.notices:
            echo(f"note: {notice}", err=True)
        try:
            yield session.workspace
        finally:
            warning = session.close()
            if warning:
                echo(f"warning: {warning}", err=True)


pass_ctx = click.make_pass_decorator(Context)


def _seconds(value: float) -> float:
    if not 0 <= value <= 86400:  # also refuses nan
        raise click.BadParameter(f"{value} is not a number of seconds from 0 to 86400")
    return value


class UserErrors(click.Group):
    """Turns every error into one message and an exit code: no traceback reaches a user."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as exc:  # click's own messages quote what was typed
            exc.message = shown(exc.message)  # type: ignore[misc]  # Final in the stubs; the message is ours to show
            if isinstance(exc, click.UsageError):
                exc.exit_code = 1  # type: ignore[misc]  # a command typed wrong is bad input: 1, as the README promises
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            exc.message = shown(exc.message)  # type: ignore[misc]  # Final in the stubs; the message is ours to show
            if isinstance(exc, click.UsageError):
                exc.exit_code = 1  # type: ignore[misc]
            raise
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except SelfAssessError as exc:
            echo(f"error: {exc.for_cli()}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo("Interrupted.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)
        except Exception as exc:  # the last line of defence: a message and a log
            from .crashlog import write_crash_log

            home = ctx.obj.home if isinstance(ctx.obj, Context) else paths.home()  # the data folder in use
            log = write_crash_log(home, exc)
            echo(f"error: selfassess hit an unexpected problem ({type(exc).__name__}: {exc}). "
                       f"Details were written to {log}", err=True)
            ctx.exit(70)


def echo(message: Any = "", err: bool = False) -> None:
    """Every line the CLI prints goes through here: user text (a trust name from a bundle, an
    action title) never reaches the terminal with a control or escape character in it."""
    click.echo(shown(message), err=err)


def _echo_json(data: Any) -> None:
    click.echo(json_text(data))


@click.group(cls=UserErrors, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(path_type=Path, file_okay=False), envvar=paths.HOME_ENV,
              help="Data folder (default: the platform's user data folder; env SELFASSESS_HOME).")
@click.option("--frameworks", "framework_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Another folder of framework YAML files (may be repeated).")
@click.option("--actor", help="Your name on the audit trail (default: your login name; env SELFASSESS_ACTOR).")
@click.option("--wait", type=float, default=0.0, show_default=True, callback=lambda ctx, param, value: _seconds(value),
              help="Seconds to wait for another copy of selfassess to finish its save (0: a few seconds).")
@click.option("--demo", is_flag=True, help="Open the app on the demo trust, in a throwaway store of its own "
              "(a temporary folder, removed when you quit); your data is not touched.")
@click.version_option(package_name="selfassess")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, framework_dirs: tuple[Path, ...], actor: str | None, wait: float,
        demo: bool) -> None:
    """selfassess: health inequalities self-assessment for NHS trust boards.

    Run with no command to open the app (with --demo: on the demo trust, in a throwaway store).
    """
    ctx.obj = Context(home, framework_dirs, actor, wait)
    if demo and ctx.invoked_subcommand is not None:
        raise click.UsageError("--demo opens the app; give it without a command (selfassess --demo)")
    if ctx.invoked_subcommand is None:
        from .ui.app import run_app

        code = run_app(ctx.obj.home, ctx.obj.framework_dirs, ctx.obj.actor, ctx.obj.wait, demo=demo)
        if code:
            ctx.exit(code)


def app_command(c: Context, demo: bool) -> str:
    """The shell command textual-serve runs for each browser: this Python, so it works without the
    virtual environment on PATH, and this data folder, frameworks and name."""
    import shlex

    args = [sys.executable, "-m", "selfassess", "--home", str(c.home), "--actor", c.actor, "--wait", str(c.wait)]
    for folder in c.framework_dirs:
        args += ["--frameworks", str(folder)]
    return shlex.join([*args, *(["--demo"] if demo else [])])


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anyone who can reach it uses the app as you, with no password: "
                   "keep 127.0.0.1 unless the network is yours.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--public-url", help="The address browsers use, when it is not http://HOST:PORT (behind a proxy).")
@click.option("--demo", is_flag=True, help="Each browser gets the demo trust in a throwaway store of its own.")
@pass_ctx
def serve(c: Context, host: str, port: int, public_url: str | None, demo: bool) -> None:
    """Serve the app to a web browser (with textual-serve): open http://HOST:PORT. Each browser tab
    runs its own copy of the app on this data folder, saving as the app in a terminal does."""
    from textual_serve.server import Server

    command = app_command(c, demo)
    try:
        Server(command, host=host, port=port, title="selfassess", public_url=public_url).serve()
    except OSError as exc:  # the port taken, an address not on this machine
        raise SelfAssessError(f"cannot serve on {host}:{port}: {exc.strerror or exc}",
                              hint=Hint("try another port", command=f"selfassess serve --port {port + 1 if port < 65535 else 8000}")) from None


# --- frameworks ------------------------------------------------------------------------------


@cli.command()
@click.argument("paths_", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_ctx
def validate(c: Context, paths_: tuple[Path, ...]) -> None:
    """Check framework, crosswalk or indicator set YAML files (or folders of them, with their crosswalks/
    and indicators/ folders). Each file is checked against its own kind's schema. Exit 0 when all are valid."""
    from .core import crosswalk as cw
    from .core import framework as fw
    from .core import strict_yaml
    from .core.catalogue import framework_files

    files: list[Path] = []
    for p in paths_:
        if p.is_dir():  # a folder as the catalogue reads it: frameworks, and its crosswalks and indicator sets
            files += framework_files(p) + framework_files(p / "crosswalks") + framework_files(p / "indicators")
        else:
            files.append(p)
    if not files:
        raise SelfAssessError(f"no framework files (.yaml, .yml) found in: {', '.join(map(str, paths_))}")
    kinds = {f: _yaml_kind(f) for f in files}
    bad = 0
    checked: dict[str, fw.Framework] = {}  # the frameworks named here, for the crosswalks that join them
    crosswalks = [f for f in files if kinds[f] == "crosswalk"]
    for f in [f for f in files if kinds[f] != "crosswalk"] + crosswalks:  # a crosswalk after the frameworks it joins
        try:
            if kinds[f] == "indicator set":
                from .core import indicator_set

                found = indicator_set.load_file(f)
                echo(f"{f}: valid: {found.title} ({found.key}, {len(found.indicators)} indicators, "
                     f"{sum(i.unsure for i in found.indicators)} marked unsure)")
            elif kinds[f] == "crosswalk":
                known = {**c.catalogue().frameworks, **checked}
                walk = cw.parse(strict_yaml.read_source(f, "crosswalk YAML file"), str(f), known)
                echo(f"{f}: valid: crosswalk {walk.title} ({walk.id}: {walk.from_framework}@{walk.from_version} "
                     f"to {walk.to_framework}@{walk.to_version}, {len(walk.links)} links)")
            elif kinds[f] == "other":
                bad += 1
                echo(f"{f}:1:1: not a framework, a crosswalk or an indicator set: it has none of their keys "
                     "('domains', 'links' or 'indicators' at the top), expected one of them", err=True)
            else:
                framework = fw.load_file(f)
                checked[framework.key] = framework
                echo(f"{f}: valid: {framework.title} ({framework.key}, {framework.question_count} questions, "
                     f"hash {framework.short_hash})")
        except FrameworkError as exc:
            bad += 1
            for problem in exc.problems:
                echo(str(problem), err=True)
    if bad:
        echo(f"{bad} of {len(files)} file(s) invalid", err=True)
        sys.exit(1)


def _yaml_kind(path: Path) -> str:
    """What a YAML file is, by its top-level keys: an indicator set has 'indicators' and a crosswalk
    'links' where a framework has 'domains'. A file that is none of them is "other"; one that cannot be
    read, or is not a mapping, is left to the framework loader, which says why in its own words."""
    from .core import strict_yaml
    from .files import NotReadable, read_limited

    if not path.is_file():  # a FIFO or device is never opened here: the framework loader refuses it, at once
        return "framework"
    try:
        raw, _ = strict_yaml.read_document(read_limited(path, strict_yaml.MAX_BYTES, "YAML file"), str(path))
    except (NotReadable, OSError):
        return "framework"
    if not isinstance(raw, dict):
        return "framework"
    if "domains" in raw:
        return "framework"
    if "indicators" in raw:
        return "indicator set"
    if "links" in raw:
        return "crosswalk"
    return "framework" if {"scales", "sources", "version", "questions"} & set(raw) else "other"


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
            echo(f"{f.key:<40} {cat.kinds[f.key]:<8} {f.question_count:>4} questions  {f.title}")
        if not items:
            echo("no frameworks found")
    for path, problems in cat.failures.items():
        echo(f"warning: {path} was skipped:", err=True)
        for p in problems:
            echo(f"  {p}", err=True)


@cli.command("framework-diff")
@click.argument("old")
@click.argument("new")
@pass_ctx
def framework_diff(c: Context, old: str, new: str) -> None:
    """Dry run for authors: what moving answers from framework OLD to NEW would carry, renumber or
    leave behind. OLD and NEW are files or id@version."""
    from .core import framework as fw
    from .core.compare import version_diff

    def load(name: str) -> fw.Framework:
        return fw.load_file(Path(name)) if Path(name).exists() else c.catalogue().get(name)

    before, after = load(old), load(new)
    if before.id != after.id:
        raise SelfAssessError(f"these are different frameworks ({before.id} and {after.id}); answers only carry "
                              "between versions of the same framework")
    d = version_diff(before, after)
    echo(f"{before.key} -> {after.key}")
    echo(f"  carried forward to a successor: {', '.join(f'{a} -> {b}' for a, b in d.carried) or 'none'}")
    echo(f"  left behind (no successor; answers stay in the earlier assessment): {', '.join(d.orphaned) or 'none'}")
    echo(f"  renumbered: {', '.join(f'{a} -> {b}' for a, b in d.renumbered) or 'none'}")
    echo(f"  new questions (nothing to carry): {', '.join(d.added) or 'none'}")
    echo(f"  scale changed (ratings not on the new scale are dropped, evidence kept): {', '.join(d.rescaled) or 'none'}")


# --- assessments -----------------------------------------------------------------------------


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def summary_json(s: AssessmentSummary) -> dict[str, Any]:
    a = s.assessment
    f = s.figures
    return {
        "id": a.id,
        "short_id": a.id[:8],
        "organisation": {"id": s.organisation.id, "name": s.organisation.name, "ods_code": s.organisation.ods_code},
        "period": a.period,
        "framework": {"id": a.framework_id, "version": a.framework_version, "hash": a.framework_hash, "title": s.framework.title},
        "status": a.status,
        "version": a.version,
        "superseded_by": a.superseded_by,
        "previous_id": s.previous.id if s.previous else None,
        "questions": f.questions,
        "answered": f.answered,  # this year's answers: carried-forward ones count once reviewed
        "needs_review": f.awaiting_review,
        "completeness": round(f.answered / f.questions, 4) if f.questions else 1.0,
        "score_percent": None if s.scores.percent is None else round(s.scores.percent, 1),
        "domains": [
            {"id": d.domain_id, "ref": d.ref, "title": d.title, "questions": d.questions,
             "answered": f.domain(d.domain_id).answered,
             "not_applicable": d.not_applicable, "score_percent": None if d.percent is None else round(d.percent, 1),
             "mean_score": None if d.mean_score is None else round(d.mean_score, 2), "level": d.level_label,
             "change_since_previous": _round(s.trend.get(d.domain_id), 1)}
            for d in s.scores.domains
        ],
        "actions": {"total": s.actions.total, "open": s.actions.open, "overdue": s.actions.overdue,
                    "slipped": s.actions.slipped, "done": s.actions.done},
        "signoff": a.signoff.to_record() if a.signoff else None,
        "figures": f.to_json(),  # the figures every document shows (whole percents, half up)
        # The framework's own total and its band (None where it declares none, or until all are answered).
        "total": f.total.to_json() if f.total else None,
        "band": f.total.band if f.total else None,
    }


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def assessments(c: Context, as_json: bool) -> None:
    """List every assessment in the store."""
    with c.workspace(write=False) as ws:
        summaries = [ws.summary(a) for a in ws.assessments()]
    if as_json:
        _echo_json({"assessments": [summary_json(s) for s in summaries]})
        return
    if not summaries:
        echo("No assessments yet. Start one with: selfassess new ORG --framework ID --period 2025/26 "
                   "(or try the demo trust: selfassess demo)")
        return
    echo(f"{'ID':<9}{'ORGANISATION':<34}{'PERIOD':<9}{'FRAMEWORK':<28}{'STATUS':<17}{'DONE':>5}{'SCORE':>7}{'OPEN':>6}{'LATE':>6}")
    for s in summaries:
        a = s.assessment
        status = a.status_label + (f" v{a.version}" if a.version > 1 else "") + (" (old)" if a.superseded_by else "")
        echo(f"{a.id[:8]:<9}{s.organisation.name[:32]:<34}{a.period:<9}{a.framework_id[:26]:<28}{status[:16]:<17}"
                   f"{percent_text(s.figures.completeness):>5}{_score(s.figures.percent, s.figures.provisional):>7}"
                   f"{s.figures.actions_open:>6}{s.figures.actions_overdue:>6}")
    if any(s.figures.provisional for s in summaries):
        echo("* provisional: the score still counts answers carried forward and not yet reviewed")


@cli.command()
@click.argument("assessment")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def show(c: Context, assessment: str, as_json: bool) -> None:
    """Where one assessment stands: scores by domain, completeness, change since last period."""
    from .core.rounds import stakeholder_grades

    with c.workspace(write=False) as ws:
        s = ws.summary(ws.assessment(assessment))
        title = ws.title_of(s.assessment)
        archived = [(r, ws.archived_question(s.assessment, r)) for r in ws.archived(s.assessment.id)]
        grades = stakeholder_grades(ws, s.assessment)
    if as_json:
        _echo_json({**summary_json(s), "archived": [archived_json(r, q) for r, q in archived],
                    # the latest stakeholder round's grades beside the organisation's rating (counts, never names)
                    "stakeholder_grades": grades.to_json() if grades else None})
        return
    f = s.figures
    echo(title)
    echo(f"status: {s.assessment.status_label}" + (" (draft for the board)" if f.is_draft else "")
               + f"; {f.answered} of {f.questions} answered this year ({percent_text(f.completeness)}): "
               f"{f.agreed} agreed, {f.drafts} draft; overall score {_score(f.percent, f.provisional)}")
    if f.awaiting_review or f.not_started:
        echo(f"{f.awaiting_review} carried forward and not yet reviewed, {f.not_started} not started")
    echo(f"answers by state: {f.states_text()}")
    if f.total:
        echo(f.total.text())
    prev = f" vs {f.previous_period}" if f.previous_period else ""
    for d in f.domains:
        arrow = "" if d.change is None else f"  {d.change:+d} pts{prev}"
        echo(f"  {d.ref:<4}{d.title[:44]:<46}{d.answered:>3}/{d.questions:<4}{_score(d.percent, d.provisional):>6}"
                   f"  {d.level or '':<12}{arrow}")
        if d.agreed != d.questions:  # each state apart, as the documents count them
            echo(f"      {d.states_text()}")
        if d.target:
            echo(f"      {d.target.text()}")
    if f.targets_set:
        echo(f.targets_text())
    if grades:
        echo(f"stakeholders' grades ({grades.returned} of {grades.raters} returned) beside the organisation's rating:")
        for g in grades.questions:
            echo(f"  {g.row.ref:<10} ours: {g.rating_words:<18} stakeholders: {g.text}")
    if archived:
        echo("archived by a migration (kept, pinned to the old version): " + archived_text(archived))
    echo(f"actions: {f.actions_open} open, {f.actions_overdue} overdue, {f.actions_slipped} slipped, "
               f"{f.actions_done} done")
    if f.provisional:
        echo("* provisional: the score still counts answers carried forward and not yet reviewed")


def _score(percent: int | None, provisional: bool) -> str:
    return percent_text(percent) + ("*" if provisional and percent is not None else "")


@cli.command()
@click.argument("assessment")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def checks(c: Context, assessment: str, as_json: bool) -> None:
    """Points for challenge in ASSESSMENT: what a non-executive would question before signing off."""
    with c.workspace(write=False) as ws:
        a = ws.assessment(assessment)
        found = ws.checks(a)
    if as_json:
        _echo_json({"assessment": a.id, "points_for_challenge": [x.to_json() for x in found]})
        return
    if not found:
        echo(f"{a.id[:8]} {a.period}: no points for challenge")
        return
    echo(f"{a.id[:8]} {a.period}: {len(found)} point(s) for challenge")
    for x in found:
        echo(f"  {x.message}")


@cli.command()
@pass_ctx
def demo(c: Context) -> None:
    """Create the demo trust in this store: two periods of the board framework, partly answered, with an
    action plan. To try it without touching this store: selfassess --demo (a throwaway store)."""
    from .core.demo import create_demo

    with c.workspace(write=True) as ws:
        last, current = create_demo(ws)
        n = len(ws.actions(current.id))
    echo(f"Created the demo trust: {last.period} ({last.id[:8]}, signed off) and {current.period} "
               f"({current.id[:8]}, in progress, {n} actions). Open it with: selfassess")


@cli.command("new")
@click.argument("organisation")
@click.option("--framework", "framework_name", help="Framework id (or id@version). Default with --from: the latest version of the same framework.")
@click.option("--period", required=True, help="Financial year, such as 2025/26.")
@click.option("--from", "from_handle", metavar="PREVIOUS", help="Carry answers (marked for review) and open actions forward from this assessment.")
@click.option("--ods", "ods_code", default="", help="ODS code of a new organisation: 3 to 5 letters or digits, such as RXX.")
@click.option("--type", "org_type", default="acute", show_default=True, help="Type of a new organisation.")
@click.option("--suggest-from", "suggest_from", metavar="ASSESSMENT",
              help="Take what this assessment of another framework suggests (through the crosswalks) as draft answers to review.")
@pass_ctx
def new_assessment(c: Context, organisation: str, framework_name: str | None, period: str, from_handle: str | None,
                   ods_code: str, org_type: str, suggest_from: str | None) -> None:
    """Start an assessment for ORGANISATION (a name or ODS code).

    A name that starts with '-' needs '--' before it, after the options:

    \b
    selfassess new --framework ID --period 2025/26 -- "-Northgate NHS Trust"
    """
    with c.workspace(write=True) as ws:
        result = ws.new_assessment(organisation, framework_name, period, from_handle=from_handle, ods_code=ods_code,
                                   org_type=org_type, suggest_from=suggest_from)
        title = ws.title_of(result.assessment)
    echo(f"{result.assessment.id}  {title}")
    if suggest_from:
        echo(f"took {result.answers} suggested answer(s) as drafts to review (see the notes of each); none is agreed")
    if from_handle:
        echo(f"carried forward {result.answers} answer(s), marked 'carried forward, needs review', "
                   f"and {result.actions} open action(s)")
        if result.orphaned:
            echo(f"not carried (no longer asked by this framework version): {', '.join(result.orphaned)}", err=True)


@cli.command()
@click.argument("assessment")
@click.argument("question")
@click.option("--rating", help="Level key or label on the question's scale (on a scale scoring 1, 2, 3... the number too).")
@click.option("--score", metavar="N", help="A score on the question's scale, such as 0 for Undeveloped on EDS 2022's 0 to 3.")
@click.option("--service", "--site", "part", metavar="NAME", help="The service (or site) of a question rated per service.")
@click.option("--na", "na_reason", metavar="REASON", help="Mark not applicable, with the reason.")
@click.option("--evidence", help="The evidence for the rating.")
@click.option("--notes", help="Notes.")
@click.option("--assurance", help="self_asserted, evidenced or independently_verified.")
@click.option("--state", help="draft or agreed (an edit of a carried-forward answer makes it draft).")
@click.option("--rationale", help="Why the board's rating differs from its raters' median (needed when it does).")
@pass_ctx
def answer(c: Context, assessment: str, question: str, rating: str | None, score: str | None, part: str | None,
           na_reason: str | None, evidence: str | None, notes: str | None, assurance: str | None,
           state: str | None, rationale: str | None) -> None:
    """Answer QUESTION (id or ref such as 1.3) of ASSESSMENT. Only the options given change."""
    if sum(x is not None for x in (rating, score, na_reason)) > 1:
        raise click.UsageError("give one of --rating, --score or --na")
    with c.workspace(write=True) as ws:
        a = ws.answer(assessment, question, rating=rating, score=score, part=part, na_reason=na_reason,
                      evidence=evidence, notes=notes, assurance=assurance, state=state, rationale=rationale)
        fw_ = ws.framework(ws.assessment(a.assessment_id))
        q = fw_.question(a.question_id)
        scale = fw_.scale_for(q)
        level = scale.level(a.rating) if a.rating else None
        # The score too wherever it differs from the level's place (0 to 3), so what was saved is plain.
        shown = "N/A" if a.is_na else "no rating" if level is None else (
            level.label if scale.positions_are_scores and not scale.show_scores
            else f"{level.label} (score {number_text(level.score)})")
    echo(f"saved {q.ref} {q.id}: {shown}")


@cli.command("migrate")
@click.argument("assessment")
@click.option("--to", "to", required=True, metavar="FRAMEWORK[@VERSION]", help="The version to move to (default: the latest).")
@click.option("--dry-run", is_flag=True, help="Say what would happen; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def migrate(c: Context, assessment: str, to: str, dry_run: bool, as_json: bool) -> None:
    """Move ASSESSMENT to another version of its framework without losing an answer: unchanged answers
    carry over, split or merged questions are flagged for re-rating, answers to questions no longer
    asked are archived, pinned to the old version. Running it again changes nothing."""
    with c.workspace(write=not dry_run) as ws:
        a = ws.assessment(assessment)
        found = ws.migrate(a.id, to, dry_run=dry_run)
        archived = [(r, ws.archived_question(a, r)) for r in ws.archived(a.id)]
    if as_json:
        _echo_json({"assessment": a.id, "from": found.from_key, "to": found.to_key, "dry_run": dry_run,
                    "changed": not found.changes_nothing and not dry_run,
                    "moves": [{"question": m.question_id, "ref": m.ref, "kind": m.kind, "to": list(m.targets),
                               "to_refs": list(m.target_refs), "rerate": m.rerate} for m in found.moves],
                    "archived": [archived_json(r, q) for r, q in archived]})
        return
    if found.changes_nothing:
        echo(f"{a.id[:8]} is already on {found.to_key}: nothing to change")
        return
    echo(("would move" if dry_run else "moved") + f" {a.id[:8]} {a.period} from {found.from_key} to {found.to_key}")
    for line in found.lines():
        echo(f"  {line}")
    if archived:
        echo("archived (kept, pinned to the version they were given under): " + archived_text(archived))


def archived_json(record: dict[str, Any], question: Any) -> dict[str, Any]:
    return {"question": record["question_id"], "ref": question.ref if question else None, "rating": record.get("rating"),
            "version": record["archived_from"]}


def archived_text(archived: list[tuple[dict[str, Any], Any]]) -> str:
    """'1.2 "Board papers show impact" (board@2024.1)': each archived answer's question by its ref in the version
    it is pinned to, its words where short (the id only where that version's copy is gone)."""
    from .core.migration import named

    return ", ".join(f"{named(q.ref, q.text) if q else r['question_id']} ({r['archived_from']})" for r, q in archived)


@cli.command("project")
@click.argument("assessment")
@click.option("--to", "to_framework", required=True, metavar="FRAMEWORK", help="The framework to project onto (id or id@version).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def project_cmd(c: Context, assessment: str, to_framework: str, as_json: bool) -> None:
    """What ASSESSMENT's answers suggest for each question of another framework, and from which answer and link."""
    with c.workspace(write=False) as ws:
        a = ws.assessment(assessment)
        target, suggestions = ws.project(a.id, to_framework)
    if as_json:
        _echo_json({"assessment": a.id, "framework": {"id": target.id, "version": target.version},
                    "suggestions": [x.to_json() for x in suggestions]})
        return
    echo(f"{target.title} ({target.key}), from the answers of {a.id[:8]} {a.period}:")
    for x in suggestions:
        if x.level is None:
            echo(f"  {x.ref:<6}no suggestion")
        else:
            echo(f"  {x.ref:<6}{x.label} ({'equal' if x.equal else 'partial'}) from {x.provenance()}")
    echo("suggestions only: start an assessment with --suggest-from to take them as drafts to review")


@cli.command("target")
@click.argument("assessment")
@click.argument("domain")
@click.argument("level")
@click.option("--by", "by", required=True, metavar="DATE", help="The date to reach it by, YYYY-MM-DD.")
@click.option("--past-date", "past_ok", is_flag=True,
              help="Keep a date already past (refused without it: the target then reads as missed unless met).")
@pass_ctx
def target(c: Context, assessment: str, domain: str, level: str, by: str, past_ok: bool) -> None:
    """Set the board's target LEVEL (key or label) for DOMAIN (id or ref) of ASSESSMENT, to reach by DATE."""
    with c.workspace(write=True) as ws:
        a = ws.set_target(assessment, domain, level, by, past_ok=past_ok)
        f = ws.figures(a)
        d = f.domain(ws.framework(a).domain(domain).id)
    echo(f"{d.ref} {d.title}: {d.target.text() if d.target else 'no target'}")


@cli.command("services")
@click.argument("assessment")
@click.option("--add", "names", multiple=True, metavar="NAME", help="Name a service to rate (repeat for more).")
@click.option("--kind", type=click.Choice(["service", "site"]), help="service or site, where the framework rates both.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def services(c: Context, assessment: str, names: tuple[str, ...], kind: str | None, as_json: bool) -> None:
    """The services (or sites) ASSESSMENT rates its per-service domains for, such as EDS 2022's Domain 1."""
    with c.workspace(write=bool(names)) as ws:
        a = ws.assessment(assessment)
        for name in names:
            a = ws.add_part(a.id, name, kind)
        framework = ws.framework(a)
        missing = ws.missing_parts(a)
    held: list[dict[str, Any]] = [{"domain": d.framework_id, "ref": d.ref, "title": d.title, "kind": d.rated_per, "name": d.part,
             "questions": [{"id": q.id, "ref": q.ref} for q in d.questions]}
            for d in framework.domains if d.rated_per and d.part]
    if as_json:
        _echo_json({"assessment": a.id, "parts": {k: list(v) for k, v in a.parts.items()}, "domains": held,
                    "missing": missing})
        return
    for h in held:
        refs = [q["ref"] for q in h["questions"]]
        echo(f"  {h['ref']:<6}{h['title']}  (questions {refs[0]} to {refs[-1]})" if refs else f"  {h['ref']:<6}{h['title']}")
    for m in missing:
        echo(f"needs more: {m}", err=True)
    if not held and not missing:
        echo("this assessment's framework rates no domain per service or site")


def action_json(ws: Workspace, a: Action, assessment: Assessment) -> dict[str, Any]:
    from .core import actions as rules

    framework = ws.framework(assessment)
    today = ws.today()
    questions = [framework.question(q) for q in a.question_ids if framework.has_question(q)]
    return {
        "id": a.id, "short_id": a.id[:8], "ref": a.ref, "assessment_id": a.assessment_id,
        "question_ids": list(a.question_ids), "question_refs": [q.ref for q in questions],
        "domain": framework.domain(questions[0].domain_id).title if questions else None,
        "title": a.title, "description": a.description, "owner": a.owner, "owner_role": a.owner_role,
        "original_due": a.original_due, "current_due": a.current_due, "status": a.status,
        "rag": rules.rag(a, today), "overdue": rules.is_overdue(a, today), "slippage_days": rules.slippage_days(a),
        "dropped_reason": a.dropped_reason, "carried_from": a.carried_from,
        "updates": [u.to_record() for u in a.updates],
    }


@cli.command("actions")
@click.argument("assessment")
@click.option("--overdue", is_flag=True, help="Only overdue actions.")
@click.option("--owner", help="Only actions of this owner (part of the name).")
@click.option("--status", help="Only actions with this status.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def list_actions(c: Context, assessment: str, overdue: bool, owner: str | None, status: str | None, as_json: bool) -> None:
    """The action plan of ASSESSMENT: who owes what by when, and what slipped."""
    from .core import actions as rules
    from .core.model import ACTION_STATUSES, check_choice

    with c.workspace(write=False) as ws:
        a = ws.assessment(assessment)
        # The live plan, as show, the app and the documents count it: an action carried into a
        # later assessment is tracked there, not here as still open (or overdue).
        items = ws.live_actions(a.id)
        carried_on = len(ws.actions(a.id, history=False)) - len(items)
        if overdue:
            items = ws.overdue(items)
        if owner:
            items = [x for x in items if owner.lower() in x.owner.lower()]
        if status:
            key = check_choice(status, ACTION_STATUSES, "action status")
            items = [x for x in items if x.status == key]
        rows = [action_json(ws, x, a) for x in items]
    if as_json:
        _echo_json({"assessment_id": a.id, "actions": rows})
        return
    carried_note = f"; {carried_on} more carried forward into a later assessment (tracked there)" if carried_on else ""
    if not rows:
        echo("No actions match." + (f" ({carried_note[2:]})" if carried_note else ""))
        return
    echo(f"{'REF':<5}{'ID':<9}{'STATUS':<12}{'RAG':<9}{'DUE':<11}{'SLIP':>5}  {'OWNER':<20}ACTION")
    for r in rows:
        slip = f"+{r['slippage_days']}d" if r["slippage_days"] else ""
        due = r["current_due"] + ("!" if r["overdue"] else "")
        echo(f"{r['ref']:<5}{r['short_id']:<9}{ACTION_STATUSES[r['status']][:11]:<12}{r['rag']:<9}{due:<11}{slip:>5}  "
                   f"{r['owner'][:19]:<20}{r['title'][:60]}")
    summary = rules.summarise(items, ws.today())
    echo(f"{summary.total} action(s): {summary.open} open, {summary.overdue} overdue, {summary.slipped} slipped"
         + carried_note)


def evidence_json(ws: Workspace, e: EvidenceFile, assessment: Assessment) -> dict[str, Any]:
    from .core.evidence import is_expired

    q = ws.framework(assessment).question(e.question_id)
    return {**e.to_record(), "short_id": e.id[:8], "question_ref": q.ref, "expired": is_expired(e, ws.today()),
            "removed": e.removed}


@cli.group("evidence", cls=click.Group)
def evidence_group() -> None:
    """Evidence files: kept in the store by their SHA-256, listed by question, sent with a submission."""


@evidence_group.command("add")
@click.argument("assessment")
@click.argument("question")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--title", help="What the file is, in words (default: its file name).")
@click.option("--effective", help="The date the evidence speaks from, YYYY-MM-DD.")
@click.option("--expires", help="The date after which it no longer stands, YYYY-MM-DD (checks flag it then).")
@pass_ctx
def evidence_add(c: Context, assessment: str, question: str, file: Path, title: str | None, effective: str | None,
                 expires: str | None) -> None:
    """Keep FILE as evidence for QUESTION (id or ref such as 1.3) of ASSESSMENT."""
    with c.workspace(write=True) as ws:
        e = ws.add_evidence(assessment, question, file, title=title, effective=effective, expires=expires)
        ref = ws.framework(ws.assessment(e.assessment_id)).question(e.question_id).ref
    echo(f"{e.id[:8]}  added '{e.title}' to {ref}: {e.kind}, {e.size:,} bytes, sha256 {e.sha256[:16]}")


@evidence_group.command("list")
@click.argument("assessment")
@click.argument("question", required=False)
@click.option("--removed", "with_removed", is_flag=True, help="Also the files removed (kept on record, with the reason).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def evidence_list(c: Context, assessment: str, question: str | None, with_removed: bool, as_json: bool) -> None:
    """The evidence files of ASSESSMENT (of one QUESTION)."""
    with c.workspace(write=False) as ws:
        a = ws.assessment(assessment)
        qid = ws.framework(a).question(question).id if question else None
        rows = [evidence_json(ws, e, a) for e in ws.evidence(a.id, qid, removed=with_removed)]
    if as_json:
        _echo_json({"assessment_id": a.id, "evidence": rows})
        return
    if not rows:
        echo("No evidence files.")
        return
    echo(f"{'ID':<9}{'REF':<6}{'SHA256':<14}{'EFFECTIVE':<11}{'EXPIRES':<12}TITLE (FILE)")
    for r in rows:
        expires = (r["expires"] or "") + ("!" if r["expired"] else "")
        note = f"  [removed {r['removed_at'][:10]}: {r['removed_reason']}]" if r["removed"] else ""
        echo(f"{r['short_id']:<9}{r['question_ref']:<6}{r['sha256'][:12]:<14}{r['effective'] or '':<11}{expires:<12}"
             f"{r['title']} ({r['file_name']}){note}")
    expired = sum(r["expired"] and not r["removed"] for r in rows)
    echo(f"{len(rows)} file(s)" + (f", {expired} expired (!)" if expired else ""))


@evidence_group.command("remove")
@click.argument("assessment")
@click.argument("evidence_id", metavar="ID")
@click.option("--reason", required=True, help="Why it no longer stands as evidence (kept on the audit trail).")
@pass_ctx
def evidence_remove(c: Context, assessment: str, evidence_id: str, reason: str) -> None:
    """Take evidence file ID out of ASSESSMENT. The file and its record are kept, with the reason."""
    with c.workspace(write=True) as ws:
        e = ws.remove_evidence(assessment, evidence_id, reason)
    echo(f"{e.id[:8]}  removed '{e.title}' from the evidence; the file (sha256 {e.sha256[:12]}) is kept in the store "
         "and the reason is on the audit trail")


@cli.group("action", cls=click.Group)
def action_group() -> None:
    """Add an action to the plan, or record progress on one."""


@action_group.command("add")
@click.argument("assessment")
@click.option("--question", "questions", multiple=True, required=True, help="Question id or ref the action addresses (may be repeated).")
@click.option("--title", required=True, help="What will be done.")
@click.option("--owner", required=True, help="Who is accountable (a named person).")
@click.option("--role", "owner_role", default="", help="The owner's role, such as Director of Strategy.")
@click.option("--due", required=True, help="Due date, YYYY-MM-DD.")
@click.option("--description", default="", help="More detail.")
@click.option("--past-date", "past_ok", is_flag=True, help="Keep a due date already past (refused without it).")
@pass_ctx
def action_add(c: Context, assessment: str, questions: tuple[str, ...], title: str, owner: str, owner_role: str,
               due: str, description: str, past_ok: bool) -> None:
    with c.workspace(write=True) as ws:
        a = ws.add_action(assessment, questions, title, owner, due, owner_role=owner_role, description=description,
                          past_ok=past_ok)
    echo(f"{a.id}  {a.ref} {a.title} (owner {a.owner}, due {a.current_due})")


@action_group.command("update")
@click.argument("action")
@click.option("--status", help="not_started, on_track, at_risk, off_track, done or dropped.")
@click.option("--due", help="New due date, YYYY-MM-DD (the original stays on record).")
@click.option("--owner", help="New owner.")
@click.option("--role", "owner_role", help="New owner's role.")
@click.option("--note", help="A dated progress note.")
@click.option("--reason", "dropped_reason", help="Why the action is dropped.")
@click.option("--past-date", "past_ok", is_flag=True, help="Keep a new due date already past (refused without it).")
@pass_ctx
def action_update(c: Context, action: str, status: str | None, due: str | None, owner: str | None, owner_role: str | None,
                  note: str | None, dropped_reason: str | None, past_ok: bool) -> None:
    with c.workspace(write=True) as ws:
        a = ws.update_action(action, status=status, due=due, owner=owner, owner_role=owner_role, note=note,
                             dropped_reason=dropped_reason, past_ok=past_ok)
    echo(f"{a.id}  {a.ref} {a.status_label}, due {a.current_due} (originally {a.original_due}), owner {a.owner}")


@cli.command()
@click.argument("before")
@click.argument("after")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def compare(c: Context, before: str, after: str, as_json: bool) -> None:
    """Compare two assessments of the same framework, domain by domain and question by question."""
    with c.workspace(write=False) as ws:
        a, b = ws.assessment(before), ws.assessment(after)
        result = ws.compare(a, b)
    if as_json:
        _echo_json({
            "before": a.id, "after": b.id,
            "domains": [{"id": d.domain_id, "title": d.title, "before": d.before, "after": d.after, "change": d.change}
                        for d in result.domains],
            "questions": [{"id": q.question_id, "ref": q.ref, "before": q.before, "after": q.after, "change": q.change,
                           "direction": q.direction} for q in result.questions],
            "only_before": list(result.only_before),
        })
        return
    echo(f"{a.period} -> {b.period}")
    for d in result.domains:
        change = "" if d.change is None else f"{'+' if d.change >= 0 else ''}{d.change:.0f} pts"
        echo(f"  {d.ref:<4}{d.title[:44]:<46}{percent_text(d.before):>6} -> {percent_text(d.after):<6}{change}")
    moved = [q for q in result.questions if q.direction in ("up", "down", "changed", "new")]
    for q in moved:
        echo(f"    {q.ref:<6}{q.before or '-':<14}-> {q.after or '-':<14}{q.text[:60]}")


@cli.command()
@click.argument("assessment")
@click.argument("new_status", required=False, type=click.Choice(["in-progress", "ready"]))
@click.option("--agree-drafts", is_flag=True, help="With 'ready': agree every remaining draft answer in the same step.")
@pass_ctx
def status(c: Context, assessment: str, new_status: str | None, agree_drafts: bool) -> None:
    """Show, or set, whether ASSESSMENT is in progress or ready for board."""
    from .core.model import IN_PROGRESS, READY_FOR_BOARD

    with c.workspace(write=new_status is not None) as ws:
        a = ws.assessment(assessment)
        drafts = list(ws.blockers(a).drafts)
        if new_status:
            a = ws.set_status(a.id, {"in-progress": IN_PROGRESS, "ready": READY_FOR_BOARD}[new_status],
                              agree_drafts=agree_drafts)
        found = ws.blockers(a)
    echo(f"{a.id[:8]} {a.period}: {a.status_label}")
    if new_status == "ready" and agree_drafts and drafts:
        echo(f"agreed all {len(drafts)} draft answer(s): {', '.join(drafts)}")
    if found.unanswered or found.needs_review or found.drafts:
        echo(f"{len(found.unanswered)} unanswered, {len(found.needs_review)} carried forward and not yet reviewed, "
                   f"{len(found.drafts)} draft")


# --- documents ---------------------------------------------------------------------------------


@cli.command("export")
@click.argument("assessment")
@click.option("--format", "formats", multiple=True, type=click.Choice(["xlsx", "pdf", "docx", "md", "ics", "all"]),
              help="xlsx (action plan), pdf (board report), docx or md (annual-report section), ics (action due "
                   "dates for calendars); may be repeated. Default (and 'all'): the four documents.")
@click.option("--owner", help="With --format ics: only this owner's actions.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the documents (default: exports/ in the current folder, or $SELFASSESS_EXPORTS).")
@pass_ctx
def export_cmd(c: Context, assessment: str, formats: tuple[str, ...], out_dir: Path | None, owner: str | None) -> None:
    """Export the action plan, the board report and the annual-report section of ASSESSMENT."""
    from .core.errors import InvalidInput
    from .reports.data import gather
    from .reports.export import FORMATS, export

    wanted = list(dict.fromkeys(formats))
    if not formats or "all" in formats:
        wanted = list(FORMATS) + (["ics"] if "ics" in formats else [])
    if owner is not None and "ics" not in wanted:
        raise InvalidInput("--owner chooses whose actions go into the calendar, expected it with --format ics")
    with c.workspace(write=False) as ws:
        data = gather(ws, ws.assessment(assessment))
    folder = out_dir or paths.exports_dir()
    for fmt in wanted:
        done = export(data, fmt, folder, owner=owner if fmt == "ics" else None)
        echo(f"wrote {done.path} ({done.what}, {done.size:,} bytes)")
        for warning in done.warnings:
            echo(f"note: {done.path.name}: {warning}", err=True)


# --- indicator data ----------------------------------------------------------------------------


@cli.group("indicators", cls=click.Group)
def indicators_group() -> None:
    """Indicator data by deprivation, ethnicity, age and sex: import an extract, show the figures."""


@indicators_group.command("import")
@click.argument("assessment")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--set", "set_name", help="Indicator set id (default: the set linked to the assessment's framework).")
@click.option("--period", help="The period the figures are for (default: the file's period column, else the assessment's).")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Read a column of the file as a field selfassess knows (imd_decile, imd_quintile, ethnic_category, "
                   "age, sex, period, an indicator id, ...); may be repeated.")
@pass_ctx
def indicators_import(c: Context, assessment: str, file: Path, set_name: str | None, period: str | None,
                      maps: tuple[str, ...]) -> None:
    """Import indicator figures for ASSESSMENT from FILE (CSV, XLSX or Parquet), aggregated or one row per pathway.

    Only the aggregates, the file's SHA-256 and its row count are stored; bad input is refused with the
    reason and nothing is stored."""
    from .core import indicator_data, indicator_set

    with c.workspace(write=True) as ws:
        a = ws.assessment(assessment)
        skipped: list[str] = []
        iset = indicator_set.find(set_name, c.home, a.framework_id, skipped=skipped)
        for why in skipped:
            echo(f"warning: indicator set {why}", err=True)
        extract = indicator_data.read_extract(file, iset, period=period, mapping=indicator_data.parse_map(maps),
                                              default_period=a.period)
        ids = ws.import_indicators(assessment, iset, extract)
    echo(f"imported {len(ids)} indicator(s) of {iset.key} for {extract.period} from {file.name} "
         f"({extract.rows:,} {extract.kind} rows, sha256 {extract.file_sha256[:12]})")
    for dim, codes in sorted(extract.unknown_codes.items()):
        listed = ", ".join(f"'{k}' ({n:,})" for k, n in sorted(codes.items()))
        echo(f"note: unknown {dim} codes counted as not known: {listed}", err=True)


@indicators_group.command("show")
@click.argument("assessment")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def indicators_show(c: Context, assessment: str, as_json: bool) -> None:
    """Show each indicator of ASSESSMENT by breakdown, with intervals, the Q1-Q5 gap and data quality."""
    from .core.indicators import interval_text, value_text

    with c.workspace(write=False) as ws:
        iset, figures = ws.indicator_figures(ws.assessment(assessment))
    if as_json:
        _echo_json({"set": iset.key if iset else None, "indicators": [f.as_json() for f in figures]})
        return
    if iset is None:
        echo("No indicator data imported yet: selfassess indicators import ASSESSMENT FILE")
        return
    echo(f"{iset.title} ({iset.key})")
    for f in figures:
        ind = f.indicator
        echo("")
        echo(f"{ind.title} [{ind.id}] - {ind.measure_label}" + (f", {f.period}" if f.period else ""))
        if not f.reported:
            echo(f"  not reported: {f.reason}")
            continue
        echo(f"  All: {value_text(ind, f.total)} ({interval_text(ind, f.total)})")
        for b in f.breakdowns:
            echo(f"  by {b.dimension}" + (f" ({b.not_stated:.1f}% not stated or not known{', FLAGGED' if b.flagged else ''})"
                                         if b.not_stated else ""))
            for g in b.groups:
                counts = f"{g.numerator:,}/{g.denominator:,}" if g.numerator is not None and g.denominator is not None else ""
                ci = interval_text(ind, g)
                echo(f"    {g.group:<24} {value_text(ind, g):>12}  {ci:<18} {counts}")
        if f.gap_absolute is not None:
            rel = f", {f.gap_relative:.2f} times" if f.gap_relative is not None else ""
            echo(f"  gap Q1 - Q5: {f.gap_absolute:+.1f}{rel}" + (" (wide: selfassess indicators action)" if f.gap_wide else ""))
        for note in f.quality_notes(iset.not_stated_flag_percent):
            echo(f"  note: {note}")


@indicators_group.command("action")
@click.argument("assessment")
@click.argument("indicator")
@click.option("--owner", required=True, help="Who is accountable (a named person).")
@click.option("--due", required=True, help="Due date, YYYY-MM-DD.")
@pass_ctx
def indicators_action(c: Context, assessment: str, indicator: str, owner: str, due: str) -> None:
    """Turn a wide deprivation gap in INDICATOR into an action on its linked question."""
    with c.workspace(write=True) as ws:
        a = ws.indicator_action(assessment, indicator, owner, due)
    echo(f"added {a.ref}: {a.title}")


@cli.command("coversheet")
@click.argument("assessment")
@click.option("--meeting", help="The meeting and its date, such as 'Public board, 22 May 2026'.")
@click.option("--item", help="The agenda item, such as '9'.")
@click.option("--purpose", type=click.Choice(["approval", "assurance", "discussion", "information"]),
              help="What the board is asked to do with the paper.")
@click.option("--author", help="The report's author (name and role).")
@click.option("--sponsor", help="The executive sponsor (name and role).")
@click.option("--committees", help="Committees that considered it before, with dates.")
@click.option("--recommendation", help="What the board is asked to resolve.")
@click.option("--risks", help="Its link to the board assurance framework and risk register.")
@click.option("--equality", help="The equality and health inequalities impact.")
@pass_ctx
def coversheet_cmd(c: Context, /, assessment: str, **fields: str | None) -> None:
    """Enter the board cover sheet of ASSESSMENT's board report (page 1); only the fields given change."""
    from .core.model import COVER_FIELDS

    with c.workspace(write=True) as ws:
        sheet = ws.set_coversheet(assessment, **fields)
    for key, label in COVER_FIELDS.items():
        echo(f"{label}: {shown(getattr(sheet, key)) or '(not entered)'}")


# --- sign-off and submission ----------------------------------------------------------------------


@cli.command()
@click.argument("assessment")
@click.option("--by", "names", multiple=True, required=True, help="A signatory's name (repeat with --role for each).")
@click.option("--role", "roles", multiple=True, required=True, help="That signatory's role, such as Chair.")
@click.option("--meeting", default="", help="The board meeting reference, such as 'Public board, 22 May 2026, item 9'.")
@click.option("--date", "on", help="Date of the sign-off, YYYY-MM-DD (default: today).")
@click.option("--agree-drafts", is_flag=True, help="The board agreed the remaining draft answers at this meeting: agree them all.")
@pass_ctx
def signoff(c: Context, assessment: str, names: tuple[str, ...], roles: tuple[str, ...], meeting: str, on: str | None,
            agree_drafts: bool) -> None:
    """Record the board's sign-off of ASSESSMENT. It is frozen from then on.

    Refused while any question is unanswered, carried forward and unreviewed, or draft
    (--agree-drafts agrees the drafts in the same step). Points for challenge are listed and
    recorded with the sign-off; they do not stop it."""
    if len(names) != len(roles):
        raise click.UsageError("give a --role for each --by, in the same order")
    with c.workspace(write=True) as ws:
        before = ws.assessment(assessment)
        drafts = list(ws.blockers(before).drafts) if agree_drafts else []
        points = ws.checks(before)
        a = ws.sign_off(assessment, list(zip(names, roles, strict=True)), meeting=meeting, on=on, agree_drafts=agree_drafts)
    if drafts:
        echo(f"agreed all {len(drafts)} draft answer(s) at the meeting: {', '.join(drafts)}")
    for x in points:
        echo(f"warning: point for challenge, signed past and recorded: {x.message}", err=True)
    people = ", ".join(f"{n} ({r})" for n, r in zip(names, roles, strict=True))
    echo(f"{a.id[:8]} {a.period} signed off on {a.signoff.date if a.signoff else ''} by {people}; "
               "answers are now frozen (action progress can still be recorded)")


@cli.command()
@click.argument("assessment")
@click.option("--reason", required=True, help="Why it is being reopened (kept on the audit trail).")
@pass_ctx
def reopen(c: Context, assessment: str, reason: str) -> None:
    """Reopen a signed-off ASSESSMENT as a new version; the signed-off version is kept as it was."""
    with c.workspace(write=True) as ws:
        new = ws.reopen(assessment, reason)
    echo(f"{new.id}  version {new.version} of {new.period}, in progress (the signed-off version is kept)")


@cli.command()
@click.argument("assessment")
@click.option("--out", required=True, help="The bundle file to write, or a folder (ending in /).")
@click.option("--with-evidence", is_flag=True,
              help="Put the evidence files in the submission (32 MiB in all at most); without it each is listed by its SHA-256.")
@pass_ctx
def submit(c: Context, assessment: str, out: str, with_evidence: bool) -> None:
    """Write a signed, tamper-evident submission of a signed-off ASSESSMENT."""
    from .submission.submit import submit as do_submit

    with c.workspace(write=True) as ws:
        done = do_submit(ws, c.home, assessment, _out_path(out), with_evidence=with_evidence)
    # The sequence counts every submission this installation has sent (each links to the one
    # before), not those of this period: "submission 2 of 2026/27" sent regulators looking for a 1.
    echo(f"wrote {done.path} ({done.size:,} bytes): {done.assessment.period}, this installation's submission "
         f"number {done.sequence}, sha256 {done.payload_sha256[:16]}")
    echo(f"signed with this installation's key {done.fingerprint}; give the regulator this fingerprint "
               "by another channel (phone, letter) so they can register it")


def _out_path(text: str) -> Path:
    """A path as typed: a trailing slash means 'into this folder', made if it is not there yet."""
    path = Path(text).expanduser()
    if text.endswith(("/", os.sep)):
        try:
            make_private_dir(path)  # owner-only, whatever the umask
        except OSError as exc:
            from .files import WriteFailed, why

            raise WriteFailed(f"cannot create the folder {path}: {why(exc)}. Nothing was written.") from None
    return path


# --- rating rounds: each board member rates on their own -------------------------------------


@cli.group("round")
def round_group() -> None:
    """Rating rounds: board members rate on their own; the spread shows where they disagree."""


@round_group.command("open")
@click.argument("assessment")
@click.option("--rater", "raters", multiple=True, required=True, metavar="\"NAME|ROLE\"",
              help="A rater and their role, such as \"Margaret Ellison|Chair\" (repeat for each).")
@click.option("--domain", "domains", multiple=True, metavar="REF", help="A domain to ask (default: all; may be repeated).")
@click.option("--anonymous/--named", default=None,
              help="Show the spread without names, or with them (default: named for a board round, anonymous for stakeholders).")
@click.option("--closes", metavar="DATE", help="The last day ratings are taken, YYYY-MM-DD.")
@click.option("--kind", type=click.Choice(["board", "stakeholder"]), default="board", show_default=True)
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The folder to write one rating pack per rater into.")
@pass_ctx
def round_open(c: Context, assessment: str, raters: tuple[str, ...], domains: tuple[str, ...], anonymous: bool | None,
               closes: str | None, kind: str, out_dir: Path) -> None:
    """Open a rating round on ASSESSMENT and write a signed pack for each rater."""
    from .core.rounds import parse_rater
    from .submission.rating_packs import open_round

    people = [parse_rater(r) for r in raters]
    with c.workspace(write=True) as ws:
        done = open_round(ws, c.home, assessment, people, out_dir, domains=domains, anonymous=anonymous,
                          closes=closes, kind=kind)
    r = done.round
    echo(f"{r.id}  {kind} rating round of {len(r.raters)} rater(s)" + (", anonymous" if r.anonymous else "")
         + (f", closes {r.closes}" if r.closes else ""))
    for rater, path in zip(r.raters, done.packs, strict=True):
        echo(f"  {path}  for {rater.name}" + (f" ({rater.role})" if rater.role else ""))
    echo(f"signed with this installation's key {done.fingerprint}; each rater answers theirs with: selfassess rate PACK")


def spread_json(found: Spread) -> dict[str, Any]:
    """The spread as `round show --json` gives it: names only when the round is not anonymous."""
    r = found.round
    data: dict[str, Any] = {
        "round": r.id, "kind": r.kind, "anonymous": r.anonymous, "closes": r.closes,
        "raters": len(r.active_raters), "returned": len(found.returned), "waiting": len(found.waiting),
        "questions": [q.to_json() for q in found.questions],
    }
    if not r.anonymous:
        data["waiting_names"] = [w.name for w in found.waiting]
        data["returned_names"] = [w.name for w in found.returned]
    return data


@round_group.command("show")
@click.argument("assessment")
@click.option("--round", "round_handle", metavar="ROUND", help="Which round (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def round_show(c: Context, assessment: str, round_handle: str | None, as_json: bool) -> None:
    """The spread of a round's ratings, question by question, the most divided first."""
    from .core import rounds

    with c.workspace(write=False) as ws:
        a = ws.assessment(assessment)
        r = rounds.current_round(ws, a, round_handle)
        found = rounds.spread(ws, r)
        framework = ws.framework(a)
    if as_json:
        _echo_json(spread_json(found))
        return
    for line in round_lines(found, framework, a, ws.today().isoformat()):
        echo(line)


def round_lines(found: Spread, framework: Any, a: Assessment, today: str) -> list[str]:
    """A round as a board secretary reads it: what it is, who rated, when it closes, then each question's
    ratings by level, its median and range in words, the questions the board was divided on first."""
    import textwrap

    from .core import rounds

    r = found.round

    def para(text: str, indent: str = "") -> list[str]:
        return textwrap.wrap(text, 80, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False)

    def date_words(iso: str) -> str:
        from datetime import date

        d = date.fromisoformat(iso[:10])
        return f"{d.day} {d:%B %Y}"

    def people(raters: tuple[Any, ...]) -> str:
        return ", ".join(r.label(x) for x in raters)

    closes = ("no closing date" if r.closes is None else f"closed on {date_words(r.closes)}" if r.is_closed(today)
              else f"closes {date_words(r.closes)}")
    out = para(f"{rounds.ROUND_KINDS.get(r.kind, r.kind)} rating round {r.id[:8]} on the {a.period} assessment "
               f"({framework.title})")
    out += para(f"Opened {date_words(r.opened_at)} by {r.opened_by}; {closes}."
                + (" Anonymous: raters are not named." if r.anonymous else ""))
    asked = [d for d in framework.domains if d.id in r.domain_ids]
    out += para("Domains asked: " + "; ".join(f"{d.ref} {d.title}" for d in asked) + ".")
    active = len(r.active_raters)
    if r.anonymous:
        out.append(f"Rated: all {active} raters." if not found.waiting
                   else f"Rated: {len(found.returned)} of {active} raters; {len(found.waiting)} not yet.")
    else:
        out += para(f"Rated ({len(found.returned)} of {active}): " + (people(found.returned) or "no one yet") + ".")
        if found.waiting:
            out += para(f"Not yet rated ({len(found.waiting)}): {people(found.waiting)}.")
    removed = [x for x in r.raters if not x.active]
    if removed:
        out += para("Removed from the round (their ratings are left out): "
                    + "; ".join(f"{r.label(x)}: {x.removed_reason}" for x in removed) + ".")
    rated = [q for q in found.questions if q.n]
    divided = [q for q in rated if q.divergent]
    who = "The board was" if r.kind == rounds.BOARD else "The raters were"
    out.append("")
    if not rated:
        out.append("No ratings yet.")
    elif divided:
        out += para(f"{who} divided on {len(divided)} of the {len(rated)} questions rated: "
                    + ", ".join(q.ref for q in divided) + ".")
    else:
        out.append(f"{who} not divided on any of the {len(rated)} questions rated.")
    for heading, rows in (("Divided", divided), ("Not divided", [q for q in rated if not q.divergent])):
        if not rows:
            continue
        out += ["", heading]
        for q in rows:
            question = framework.question(q.question_id)
            scale = framework.scale_for(question)
            text = " ".join(question.text.split())
            out.append(f"  {q.ref:<5} " + textwrap.shorten(text, 72, placeholder="…"))
            out.append(f"        {rounds.counts_words(scale, q)} ({q.n} rated)")
            words = rounds.spread_words(scale, q)
            out += para(words[:1].upper() + words[1:], "        ")
            if q.divergent and q.range < 2:  # two levels apart or more, the line above says so
                out += para(f"Divided: {rounds.divided_words(q)}.", "        ")
    unrated = [q.ref for q in found.questions if not q.n]
    if unrated and rated:
        out += [""] + para("Not rated by anyone yet: " + ", ".join(unrated) + ".")
    return out


@round_group.command("import")
@click.argument("assessment")
@click.argument("responses", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Take a rater's new response instead of the one imported before.")
@pass_ctx
def round_import(c: Context, assessment: str, responses: tuple[Path, ...], replace: bool) -> None:
    """Verify raters' signed RESPONSE files and record their ratings (each one whole, or not at all)."""
    from .submission.rating_packs import import_response

    failed = 0
    with c.workspace(write=True) as ws:
        for path in responses:
            try:
                done = import_response(ws, assessment, path, replace=replace)
            except SelfAssessError as exc:
                failed += 1
                echo(f"refused {path.name}: {exc.for_cli()}", err=True)
                continue
            echo(f"imported {path.name}: {done.ratings} rating(s) from {done.rater}, signed by key {done.fingerprint}")
    if failed:
        sys.exit(1)


@round_group.command("remove")
@click.argument("round_handle", metavar="ROUND")
@click.argument("rater")
@click.option("--reason", required=True, help="Why the rater is taken out of the round (kept on the audit trail).")
@pass_ctx
def round_remove(c: Context, round_handle: str, rater: str, reason: str) -> None:
    """Take RATER (their name) out of ROUND: their ratings leave the spread and no response of theirs is taken."""
    from .core import rounds

    with c.workspace(write=True) as ws:
        r = rounds.remove_rater(ws, round_handle, rater, reason)
    echo(f"removed from round {r.id[:8]}; {len(r.active_raters)} rater(s) remain")


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        ref, sep, text = v.partition("=")
        if not sep or not ref.strip():
            raise click.UsageError(f"{option} '{v[:60]}' is not REF=VALUE, expected such as {option} 1.2=3")
        if ref.strip() in out:
            raise click.UsageError(f"{option} names {ref.strip()} twice")
        out[ref.strip()] = text
    return out


@cli.command("rate")
@click.argument("pack", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--answer", "answers", multiple=True, metavar="REF=LEVEL",
              help="Rate a question: its ref and a level number (the score on a scale from 0, such as EDS 2022), key or label (repeat). Without it the app opens.")
@click.option("--comment", "comments", multiple=True, metavar="REF=TEXT", help="A comment on a rating (repeat).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The folder to write your signed response into (default: beside the pack).")
@pass_ctx
def rate(c: Context, pack: Path, answers: tuple[str, ...], comments: tuple[str, ...], out_dir: Path | None) -> None:
    """Rate the questions in a rating PACK from your board secretary, and write your signed response.

    Needs no store: your response is signed with a key of your own, made here the first time."""
    from .core.clock import system_clock
    from .submission import rating_packs

    clock = system_clock()
    opened = rating_packs.open_pack(pack, clock.today())
    out = out_dir or pack.parent
    if not answers:
        if comments:
            raise click.UsageError("--comment needs --answer for the same question")
        from .ui.rate_pack import run_rate_app

        run_rate_app(opened, c.home, out)
        return
    ratings = rating_packs.response_ratings(opened, _pairs(answers, "--answer"), _pairs(comments, "--comment"))
    path = rating_packs.write_response(opened, ratings, c.home, out, clock.now())
    from .submission import keys

    echo(f"wrote {path}: {len(ratings)} rating(s) for {opened.doc.organisation} {opened.doc.period}")
    echo(f"signed with your own key {keys.key_fingerprint(keys.load_or_create(c.home, keys.RATER_KEY_FILE))}; "
         "send the file back to your board secretary")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def verify(c: Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Check submissions: genuine, altered, unknown key, revoked key, broken chain, replayed or malformed.

    Exit 0 when every one is genuine, 1 otherwise. Nothing is imported.
    """
    from .submission.review import Review, bundle_files

    with c.workspace(write=False) as ws:
        review = Review(ws, c.home)
        results = [review.check(f) for f in bundle_files(list(files))]
    if not results:
        raise SelfAssessError("no submissions found to verify")
    if as_json:
        _echo_json({"results": [_checked_json(r) for r in results]})
    else:
        for r in results:
            echo(f"{r.verdict.upper():<16} {r.file.name}: {r.message}")
    if any(r.verdict != "genuine" for r in results):
        sys.exit(1)


@cli.group("keys")
def keys_group() -> None:
    """This installation's signing key, and the keys of others you trust."""


@keys_group.command("show")
@pass_ctx
def keys_show(c: Context) -> None:
    """Show this installation's key fingerprint (creating the key the first time)."""
    from .submission import keys

    echo(f"{keys.key_fingerprint(keys.load_or_create(c.home))}\nkey file: {keys.key_path(c.home)}")


@keys_group.command("export")
@click.argument("out", type=click.Path(path_type=Path))
@pass_ctx
def keys_export(c: Context, out: Path) -> None:
    """Write this installation's public key to OUT (a file or folder), for the other party to register.
    It holds no secret; they still check its fingerprint with you by phone or letter."""
    from .submission import keys

    written = keys.export_public_key(c.home, out)
    echo(f"wrote {written}\nfingerprint: {keys.key_fingerprint(keys.load_or_create(c.home))}")


@keys_group.command("trust")
@click.argument("fingerprint", required=False)
@click.option("--file", "key_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read the key from a file: their public key (keys export), or a submission or feedback file they signed.")
@click.option("--name", help="Whose key it is: the trust, or the regulator (from a submission: its trust).")
@click.option("--ods", "ods_code", default=None, help="The trust's ODS code (submissions must then say the same).")
@click.option("--yes", is_flag=True, help="With --file and no FINGERPRINT: do not ask to confirm the fingerprint.")
@click.option("--reinstate", "reinstate", default=None, metavar="REASON",
              help="Trust a revoked key again, saying why (kept on the audit trail); without it a revoked key is refused.")
@pass_ctx
def keys_trust(c: Context, fingerprint: str | None, key_file: Path | None, name: str | None, ods_code: str | None,
               yes: bool, reinstate: str | None) -> None:
    """Register another party's key, after checking its fingerprint with them by another channel.

    \b
    selfassess keys trust "SHA256:...." --name "Regional regulator"
    selfassess keys trust --file riverside.selfassess-key --name "Riverside Valley" --ods RVH
    """
    from .submission import keys

    if key_file is None and fingerprint is None:
        raise click.UsageError("give the FINGERPRINT they told you, or --file with their key")
    if key_file is not None:
        offer = keys.read_key_file(key_file)
        echo(f"{key_file.name} is {offer.source}; its key's fingerprint is\n  {offer.fingerprint}")
        if fingerprint is not None:  # the one they told you, checked against the file
            if keys.normalise_fingerprint(fingerprint) != offer.fingerprint:
                raise SelfAssessError(f"the fingerprint given ({keys.normalise_fingerprint(fingerprint)}) is not the "
                                      f"key in {key_file.name} ({offer.fingerprint}): nothing was registered")
        elif not yes and not click.confirm("Is this the fingerprint they told you by phone or letter?", default=False):
            raise SelfAssessError("not registered: the fingerprint was not confirmed")
        fingerprint = offer.fingerprint
        name = name or offer.name
        ods_code = offer.ods_code if ods_code is None else ods_code
    if not name:
        raise click.UsageError("give --name: whose key this is")
    assert fingerprint is not None  # told, or read from the file
    with c.workspace(write=True) as ws:
        was_revoked = keys.revoked_entry(ws, keys.normalise_fingerprint(fingerprint)) is not None  # else --reinstate lifts nothing
        key = keys.register_key(ws, fingerprint, name, ods_code or "", reinstate=reinstate)
    echo(f"registered {key.fingerprint} for {key.name}" + (f" ({key.ods_code})" if key.ods_code else "")
         + (": trusted again after its revocation" if was_revoked else ""))


@keys_group.command("revoke")
@click.argument("fingerprint")
@click.option("--reason", required=True, help="Why it is no longer trusted (lost, replaced, not theirs): kept on the audit trail.")
@pass_ctx
def keys_revoke(c: Context, fingerprint: str, reason: str) -> None:
    """Stop trusting a registered key: what it signs from now on is refused; what was imported stays."""
    from .submission.keys import revoke_key

    with c.workspace(write=True) as ws:
        key = revoke_key(ws, fingerprint, reason)
    echo(f"revoked {key.fingerprint} of {key.name}: submissions, feedback and rating responses signed by it are no longer accepted here")


@keys_group.command("list")
@pass_ctx
def keys_list(c: Context) -> None:
    """The keys registered here (revoked ones say so)."""
    from .submission import keys

    with c.workspace(write=False) as ws:
        found = keys.trusted_keys(ws)
    own = keys.own_fingerprint(c.home)
    echo(f"this installation: {own or '(no key yet: created on first submission or feedback)'}")
    for k in found:
        echo(f"{k.fingerprint}  {k.name}" + (f" ({k.ods_code})" if k.ods_code else "")
             + (f"  REVOKED {k.revoked_at[:10]} by {k.revoked_by}: {k.revoked_reason}" if k.revoked else ""))


def _checked_json(r: Any) -> dict[str, Any]:
    out = {"file": str(r.file), "verdict": r.verdict, "message": r.message}
    if r.key is not None and r.key.revoked:  # a script can tell whose key it was and when it stopped counting
        out["revoked_key"] = {"fingerprint": r.key.fingerprint, "name": r.key.name, "revoked_at": r.key.revoked_at,
                              "revoked_by": r.key.revoked_by, "reason": r.key.revoked_reason}
    return out


@cli.group("review")
def review_group() -> None:
    """For regulators: import submissions, compare trusts, and send feedback."""


@review_group.command("import")
@click.argument("targets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def review_import(c: Context, targets: tuple[Path, ...], as_json: bool) -> None:
    """Verify and import submission files (or folders of them). Only genuine ones are imported."""
    from .submission.review import Review

    with c.workspace(write=True) as ws:
        results = Review(ws, c.home).import_bundles(list(targets))
    good = sum(r.verdict == "genuine" for r in results)
    if as_json:
        _echo_json({"results": [_checked_json(r) for r in results], "imported": good})
    else:
        for r in results:
            echo(f"{r.verdict.upper():<16} {r.file.name}: {r.message}")
        echo(f"{good} of {len(results)} imported")
    if good != len(results):
        sys.exit(5 if any(r.verdict == "not imported" for r in results) else 1)  # 5: a copy could not be kept


@review_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def review_list(c: Context, as_json: bool) -> None:
    """Every submission imported, by trust and period."""
    from .submission.review import Review

    with c.workspace(write=False) as ws:
        review = Review(ws, c.home)
        subs, unreadable = review.submissions(), review.unreadable()
    _warn_unreadable(unreadable)
    if as_json:
        _echo_json({"submissions": [{k: v for k, v in s.to_record().items() if k not in ("actions", "checked")} for s in subs],
                    "unreadable": [{"id": u.id, "file": u.file, "problem": u.why} for u in unreadable]})
        return
    for s in subs:
        echo(f"{s.id[:8]}  {s.organisation.name[:40]:<41}{s.period:<9}{percent_text(s.overall):>5}  "
                   f"{s.framework.id}@{s.framework.version}  #{s.sequence}")
    if not subs:
        echo("No submissions imported yet: selfassess review import FOLDER")


def _warn_unreadable(unreadable: list[Any]) -> None:
    for u in unreadable:
        echo(f"warning: the imported submission {u.id[:8]} ({u.file}) is left out: {u.why}. "
                   f"Remove it with: selfassess review remove {u.id[:8]} --reason TEXT", err=True)


@review_group.command("remove")
@click.argument("submission")
@click.option("--reason", required=True, help="Why it is taken out of the review (kept on the audit trail).")
@pass_ctx
def review_remove(c: Context, submission: str, reason: str) -> None:
    """Take an imported SUBMISSION out of the review. The bundle file is kept as received."""
    from .submission.review import Review

    with c.workspace(write=True) as ws:
        done = Review(ws, c.home).remove(submission, reason)
    echo(f"removed {done.submission_id[:8]} ({done.who}, {done.file}) from the review; the bundle is kept "
               "in the store's submissions folder and the reason is on the audit trail")


@review_group.command("compare")
@click.option("--framework", "framework_id", help="Framework id (default: the one most trusts submitted).")
@click.option("--sort", default="trust", show_default=True,
              help="trust, overall, completeness, open, overdue, slipped, queried, or a domain id or ref.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--xlsx", "xlsx_out", type=click.Path(path_type=Path), help="Also write the comparison to this workbook.")
@click.option("--by", "by", type=click.Choice(["trust", "icb", "region"]), default="trust", show_default=True,
              help="One row per trust, or per ICB or region (medians and quartiles; see: review groups import).")
@pass_ctx
def review_compare(c: Context, framework_id: str | None, sort: str, as_json: bool, xlsx_out: Path | None, by: str) -> None:
    """Compare the latest submission of every trust, domain by domain."""
    from .submission.review import Review, to_xlsx, write_out

    if by != "trust":
        if xlsx_out:
            raise click.UsageError("--xlsx writes the comparison by trust; leave out --by")
        _compare_by_group(c, framework_id, by, as_json)
        return
    with c.workspace(write=False) as ws:
        review = Review(ws, c.home)
        found = review.compare(framework_id, sort)
        _warn_unreadable(review.unreadable())
    ids, titles, rows = found.domain_ids, found.domain_titles, found.rows
    if xlsx_out:
        write_out(xlsx_out, to_xlsx(titles, ids, rows))
        echo(f"wrote {xlsx_out}", err=as_json)
    if as_json:
        _echo_json({"domains": [{"id": i, "title": t} for i, t in zip(ids, titles, strict=True)],
                    "trusts": [{"submission": r.submission_id, "organisation": r.organisation, "ods_code": r.ods_code,
                                "period": r.period, "overall": r.overall, "completeness": r.completeness,
                                "domains": r.domains, "open_actions": r.open_actions, "overdue": r.overdue,
                                "slipped": r.slipped, "queried": r.queried, "targets_set": r.targets_set,
                                "targets_met": r.targets_met, "targets_missed": r.targets_missed,
                                "meets_targets": r.meets_targets} for r in rows],
                    "targets": _targets_summary(rows)})
        return
    if not rows:
        echo("No submissions imported yet: selfassess review import FOLDER")
        return
    with_targets = any(r.targets_set for r in rows)  # the column only once some trust has set targets
    echo(f"{'TRUST':<32}{'PERIOD':<9}{'ALL':>5}" + "".join(f"{t.split(' ', 1)[0]:>6}" for t in titles)
               + f"{'DONE':>6}{'OPEN':>6}{'LATE':>6}{'SLIP':>6}" + (f"{'TARGETS MET':>20}" if with_targets else ""))
    for r in rows:
        # A target whose date has passed unreached is missed, and said so beside the ones met.
        met = (f"{r.targets_met}/{r.targets_set}" + (f", {r.targets_missed} missed" if r.targets_missed else "")
               if r.targets_set else "–")
        echo(f"{r.organisation[:31]:<32}{r.period:<9}{percent_text(r.overall):>5}"
                   + "".join(f"{percent_text(r.domains.get(d)):>6}" for d in ids)
                   + f"{percent_text(100 * r.completeness):>6}{r.open_actions:>6}{r.overdue:>6}{r.slipped:>6}"
                   + (f"{met:>20}" if with_targets else ""))
    echo("domains: " + "; ".join(titles))
    if with_targets:
        t = _targets_summary(rows)
        echo(f"targets: {t['meeting']} of {t['setting']} trusts that set targets meet all of them "
             f"({len(rows) - t['setting']} set none)"
             + (f"; {t['missing']} missed one or more (date passed, not reached)" if t["missing"] else ""))


def _targets_summary(rows: list[Any]) -> dict[str, int]:
    """How many trusts set targets, how many meet every one they set, and how many missed one."""
    return {"setting": sum(1 for r in rows if r.targets_set), "meeting": sum(1 for r in rows if r.meets_targets),
            "missing": sum(1 for r in rows if r.targets_missed)}


def _compare_by_group(c: Context, framework_id: str | None, by: str, as_json: bool) -> None:
    from .submission.national import National
    from .submission.review import Review

    with c.workspace(write=False) as ws:
        review = Review(ws, c.home)
        found = National(review).compare_by(by, framework_id)
        _warn_unreadable(review.unreadable())
    if as_json:
        _echo_json({"by": by, "domains": [{"id": i, "title": t} for i, t in zip(found.domain_ids, found.domain_titles, strict=True)],
                    "groups": [{"group": g.group, "organisations": list(g.organisations), "overall": g.overall.to_json(),
                                "domains": {d: sp.to_json() for d, sp in g.domains.items()}, "open_actions": g.open_actions,
                                "overdue": g.overdue, "slipped": g.slipped, "queried": g.queried} for g in found.rows],
                    "ungrouped": found.ungrouped})
        return
    if not found.rows and not found.ungrouped:
        echo("No submissions imported yet: selfassess review import FOLDER")
        return
    echo(f"{by.upper():<32}{'N':>3}  {'ALL (median, Q1-Q3)':<20}" + "".join(f"{t.split(' ', 1)[0]:>6}" for t in found.domain_titles)
         + f"{'LATE':>6}{'SLIP':>6}")
    for g in found.rows:
        o = g.overall
        quart = f"{percent_text(o.median)} ({percent_text(o.q1)}-{percent_text(o.q3)})"
        echo(f"{g.group[:31]:<32}{o.n:>3}  {quart:<20}" + "".join(f"{percent_text(g.domains[d].median):>6}" for d in found.domain_ids)
             + f"{g.overdue:>6}{g.slipped:>6}")
    echo("domains (medians): " + "; ".join(found.domain_titles))
    if found.ungrouped:
        echo(f"not in the groupings ({len(found.ungrouped)}): {', '.join(found.ungrouped)}. "
             "Add them to the groupings file and run: selfassess review groups import FILE", err=True)


@review_group.group("groups")
def review_groups() -> None:
    """Which ICB and region each organisation belongs to."""


@review_groups.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@pass_ctx
def review_groups_import(c: Context, file: Path) -> None:
    """Replace the groupings with a CSV FILE of ods_code, name, icb, region (one row per organisation)."""
    from .submission.national import National
    from .submission.review import Review

    with c.workspace(write=True) as ws:
        done = National(Review(ws, c.home)).import_groups(file)
    echo(f"groupings: {done.total} organisations ({done.added} added, {done.changed} changed, {done.removed} removed)")


@review_groups.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def review_groups_list(c: Context, as_json: bool) -> None:
    """The groupings in use."""
    from .submission.national import National
    from .submission.review import Review

    with c.workspace(write=False) as ws:
        groups = sorted(National(Review(ws, c.home)).groupings().values(), key=lambda g: (g.region, g.icb, g.name))
    if as_json:
        _echo_json({"groupings": [{"ods_code": g.ods_code, "name": g.name, "icb": g.icb, "region": g.region} for g in groups]})
        return
    for g in groups:
        echo(f"{g.ods_code:<7}{g.name[:40]:<41}{g.icb[:30]:<31}{g.region}")
    if not groups:
        echo("No groupings yet: selfassess review groups import FILE (CSV: ods_code,name,icb,region)")


@review_group.command("trends")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def review_trends(c: Context, as_json: bool) -> None:
    """Every trust's overall and domain scores across its years, with a sparkline of each."""
    from .core.text import sparkline
    from .submission.national import National
    from .submission.review import Review

    with c.workspace(write=False) as ws:
        trends = National(Review(ws, c.home)).trends()
    if as_json:
        _echo_json({"trusts": [{"organisation": subs[-1].organisation.name, "ods_code": subs[-1].organisation.ods_code,
                                "years": [{"period": s.period, "submission": s.id, "overall": s.overall,
                                           "domains": {d.id: d.percent for d in s.domains},
                                           "open_actions": sum(not a.closed for a in s.live_actions)} for s in subs]}
                               for subs in trends]})
        return
    if not trends:
        echo("No submissions imported yet: selfassess review import FOLDER")
        return
    for subs in trends:
        last = subs[-1]
        line = f"{last.organisation.name[:36]:<37}{subs[0].period}-{last.period[-2:]}  all {sparkline([s.overall for s in subs])} {percent_text(last.overall):>4}"
        for d in last.domains:
            line += f"  {d.ref} {sparkline([s.percent_of(d.id) for s in subs])}"
        echo(line)


@review_group.command("dataset")
@click.option("--out", required=True, type=click.Path(path_type=Path, file_okay=False), help="The folder to write into.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--inbox", "inboxes", multiple=True, type=click.Path(path_type=Path),
              help="A folder of received submissions: files not imported are listed in refused_files with the reason.")
@pass_ctx
def review_dataset(c: Context, out: Path, fmt: str, inboxes: tuple[Path, ...]) -> None:
    """Write tidy tables of everything imported (organisations, submissions, answers, domain scores,
    actions, marks) for analysts, with dataset.json naming the schema version and columns."""
    from .submission.national import DatasetWriter, National
    from .submission.review import Review

    with c.workspace(write=False) as ws:
        done = DatasetWriter(National(Review(ws, c.home))).write(out, fmt, list(inboxes))
    echo(f"wrote {len(done.files)} files to {done.folder}: " + ", ".join(f"{n} {r:,}" for n, r in done.rows.items()))
    for note in done.notes:
        echo(f"note: {note}", err=True)


@review_group.command("report")
@click.option("--by", "by", type=click.Choice(["region", "icb", "trust"]), default="region", show_default=True)
@click.option("--framework", "framework_id", help="Framework id (default: the one most trusts submitted).")
@click.option("--out", required=True, help="The PDF to write, or a folder (ending in /).")
@pass_ctx
def review_report(c: Context, by: str, framework_id: str | None, out: str) -> None:
    """The review report for a regional committee (PDF): organisations by domain as a heat map,
    how each domain spreads, the most slipped or queried actions, and what changed since last year."""
    from .submission.national import National, write_report
    from .submission.review import Review

    with c.workspace(write=False) as ws:
        path, warnings = write_report(National(Review(ws, c.home)), _out_path(out), by, framework_id)
    echo(f"wrote {path}")
    for w in warnings:
        echo(f"note: {w}", err=True)


@review_group.command("history")
@click.argument("trust")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def review_history(c: Context, trust: str, as_json: bool) -> None:
    """One trust's submissions year on year (TRUST: name, ODS code or a submission id).

    A name that starts with '-' needs '--' before it, after any options:

    \b
    selfassess review history -- "-Northgate NHS Trust"
    """
    from .submission.review import Review

    with c.workspace(write=False) as ws:
        subs = Review(ws, c.home).history(trust)
    if as_json:
        _echo_json({"submissions": [{"id": s.id, "period": s.period, "overall": s.overall, "sequence": s.sequence,
                                     "domains": s.to_record()["domains"]} for s in subs]})
        return
    domains = subs[-1].domains
    echo(subs[-1].organisation.name)
    echo(f"{'PERIOD':<9}{'ALL':>5}" + "".join(f"{d.ref:>6}" for d in domains))
    for s in subs:
        by = {d.id: d.percent for d in s.domains}
        echo(f"{s.period:<9}{percent_text(s.overall):>5}" + "".join(f"{percent_text(by.get(d.id)):>6}" for d in domains))


@review_group.command("mark")
@click.argument("submission")
@click.option("--domain", help="Domain id or ref to mark.")
@click.option("--action", "action_ref", help="Action ref (such as A07) or id to mark.")
@click.option("--accept", "verdict", flag_value="accepted", help="Accept it.")
@click.option("--query", "verdict", flag_value="queried", help="Query it (needs --comment).")
@click.option("--comment", default="", help="What the trust should know or answer.")
@pass_ctx
def review_mark(c: Context, submission: str, domain: str | None, action_ref: str | None, verdict: str | None, comment: str) -> None:
    """Accept or query a domain or an action of an imported SUBMISSION."""
    from .submission.review import Review

    if bool(domain) == bool(action_ref):
        raise click.UsageError("give --domain or --action (one of them)")
    if not verdict:
        raise click.UsageError("give --accept or --query")
    with c.workspace(write=True) as ws:
        m = Review(ws, c.home).mark(submission, "domain" if domain else "action", domain or action_ref or "", verdict, comment)
    echo(f"{m.label}: {m.verdict}" + (f" ({m.comment})" if m.comment else ""))


@review_group.command("feedback")
@click.argument("submission")
@click.option("--out", required=True, help="The feedback file to write, or a folder (ending in /).")
@pass_ctx
def review_feedback(c: Context, submission: str, out: str) -> None:
    """Write the signed feedback file on SUBMISSION, to send back to the trust."""
    from .submission.review import Review

    with c.workspace(write=True) as ws:
        path, accepted, queried = Review(ws, c.home).feedback_file(submission, _out_path(out))
    echo(f"wrote {path}: {accepted} accepted, {queried} queried")


@cli.group("feedback")
def feedback_group() -> None:
    """For trusts: take in the regulator's feedback."""


@feedback_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@pass_ctx
def feedback_import(c: Context, file: Path) -> None:
    """Verify a signed feedback FILE and show it beside the domains and actions it concerns."""
    from .submission.submit import import_feedback

    with c.workspace(write=True) as ws:
        done = import_feedback(ws, file)
    echo(f"feedback from {done.reviewer} on {done.assessment.period}: {done.accepted} accepted, {done.queried} queried")
    if done.skipped:
        echo(f"not matched to this assessment and left out: {', '.join(done.skipped)}", err=True)


# --- audit and store ---------------------------------------------------------------------------


@cli.group("audit")
def audit_group() -> None:
    """The audit trail: every change, who made it and when, in a hash chain."""


@audit_group.command("verify")
@pass_ctx
def audit_verify(c: Context) -> None:
    """Check the hash chain, and that the stored state is exactly what the chain recorded."""
    from .session import verify_store

    check = verify_store(c.home)
    for notice in check.notices:
        echo(f"note: {notice}", err=True)
    if check.unopened:
        echo(f"error: {check.unopened}", err=True)
    report = check.report
    if report.ok:
        echo(f"OK: {report.events} event(s), chain intact, head {report.head[:16]}; the stored state matches the chain")
        for note in report.notes:
            echo(f"note: {note}")
        return
    echo(f"FAILED: {len(report.problems)} problem(s) after checking {report.events} event(s):", err=True)
    for problem in report.problems:
        echo(f"  {problem}", err=True)
    for note in report.notes:
        echo(f"note: {note}", err=True)
    sys.exit(1)


@audit_group.command("log")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (one object per event).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the last N events (read from the end).")
@pass_ctx
def audit_log(c: Context, as_json: bool, limit: int | None) -> None:
    """Show the history of changes, oldest first."""
    from .session import audit_events

    # Each event shown as it is read, never all held at once: twenty years of history is a log of
    # hundreds of MB; --limit reads only the end of it.
    rows: Iterator[dict[str, Any]] = ({"line": n, "problem": problem} if problem or event is None else event
                                      for n, event, problem in audit_events(c.home, last=limit or 0))
    if as_json:
        # As _echo_json would print {"events": [...]}, one event at a time.
        first = next(rows, None)
        if first is None:
            _echo_json({"events": []})
            return
        click.echo('{\n  "events": [')
        for i, e in enumerate(itertools.chain([first], rows)):
            click.echo(("" if i == 0 else ",\n") + textwrap.indent(json_text(e), "    "), nl=False)
        click.echo("\n  ]\n}")
        return
    for e in rows:
        if "problem" in e:
            echo(f"line {e['line']}: {e['problem']}")
            continue
        # As the line has it (`audit verify` is what checks it): a field missing shows as '?'.
        seq, time, actor, action, summary = (str(e.get(k, "?")) for k in ("seq", "time", "actor", "action", "summary"))
        echo(f"{seq:>6}  {time}  {actor[:20]:<20}  {action:<18}  {summary}")


@cli.group("store")
def store_group() -> None:
    """Where the data lives, its backups, and recovery."""


@store_group.command("status")
@pass_ctx
def store_status(c: Context) -> None:
    """Where the store is, how many changes it holds, and its backups."""
    from .session import store_status

    status = store_status(c.home)
    echo(f"store: {status.folder}\nevents: {status.events} (head {status.head[:16]})\nbackups: {status.backups}")


@store_group.command("backups")
@pass_ctx
def store_backups(c: Context) -> None:
    """List the rotated backups, newest first."""
    from .session import store_backups

    found = store_backups(c.home)
    if not found:
        echo("no backups yet (one is made each time selfassess closes after a change)")
    for b in found:
        echo(f"{b.path.name}  {b.time}  event {b.seq}  {b.size:,} bytes")


@store_group.command("restore")
@click.option("--from-log", is_flag=True, help="Rebuild the state by replaying the audit log.")
@click.option("--backup", metavar="NAME", help="Restore this backup (see: selfassess store backups), then replay later events.")
@pass_ctx
def store_restore(c: Context, from_log: bool, backup: str | None) -> None:
    """Recover a damaged store. The damaged files are kept, never deleted."""
    from .session import restore_store

    echo(restore_store(c.home, backup=backup, from_log=from_log, wait=c.wait))


# --- entry point -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="selfassess")
