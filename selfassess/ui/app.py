"""The terminal app: a thin door onto the same Workspace the CLI uses.

Screens ask the Workspace to do things and show what it says; they hold no rules of their own.
Every user-facing failure becomes a notification; nothing is ever shown as a traceback.
"""

from __future__ import annotations

import gc
import os
import select
import sys
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from ..core.catalogue import Catalogue
from ..core.clock import Clock, system_clock
from ..core.errors import SelfAssessError
from ..core.text import shown
from ..core.workspace import Workspace
from ..crashlog import write_crash_log
from ..session import Session, load_frameworks, open_demo_session, open_session
from ..storage import ui_state

T = TypeVar("T")
POLL_SECONDS = 1.0  # how soon the app shows what another copy saved, and sees that its terminal has gone


def _terminal_fd() -> int | None:
    """The terminal the app reads its keys from, if it runs in one."""
    stdin = sys.__stdin__
    try:
        fd = stdin.fileno() if stdin is not None else -1
        return fd if fd >= 0 and os.isatty(fd) else None
    except (OSError, ValueError):
        return None


def _hung_up(fd: int) -> bool:
    """Whether the other end of the terminal at fd has closed: asked of poll, so no key is read."""
    if not hasattr(select, "poll"):  # pragma: no cover - Windows: its console driver ends on its own
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN)  # hangup, error and a closed fd are always reported
    return any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in poller.poll(0))
KEY_LOST_SECONDS = 0.3  # a key still not handled by then lets the next one go


class KeyHandled(Message):
    """Sent behind a key to the widget it went to: back at the app, that key has been handled everywhere it
    went. Twice: the second goes behind what the key's handling posted in turn (a row selected opens a dialog)."""

    def __init__(self, via: Any, again: bool) -> None:
        super().__init__()
        self.via, self.again = via, again


class SelfAssessApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "selfassess"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Quit selfassess (everything is saved as you go)"),
        Binding("f1", "help", "Help", id="help", tooltip="This screen's keys, the keys that work everywhere, and what the symbols mean"),
    ]

    def __init__(self, home: Path, catalogue: Catalogue, actor: str, *, clock: Clock | None = None, wait: float = 0.0,
                 blink: bool = True, session: Session | None = None):
        super().__init__()
        self.blink = blink  # off for tests and screenshots, so that every frame is the same
        self.home = home
        self.catalogue = catalogue
        self.actor = actor
        self.clock = clock or system_clock()
        self.wait = wait
        self.session: Session | None = session  # given: the demo's own (`selfassess --demo`)
        self.outside_demo: tuple[Session, Path, dict[str, Any], ui_state.Keeper] | None = None  # put by while in the demo
        self._poll_failed = False
        self.state: dict[str, Any] = ui_state.load(home)
        self.position = ui_state.Keeper(home)  # written at most every few seconds, and on exit
        # Keys typed ahead of the app (see on_event): those waiting their turn, and the one on its way.
        self._typed_ahead: deque[events.Key] = deque()
        self._key_out: KeyHandled | None = None
        self._keys_routed = 0
        self._key_out_screen: Screen[Any] | None = None

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        # Toasts often quote user text (a trust name, a bundle's message): shown, never raw.
        kwargs.setdefault("markup", False)  # and never read as markup
        super().notify(shown(message), title=shown(title), **kwargs)

    def on_descendant_focus(self, event: Any) -> None:
        if not self.blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False

    # --- keys typed faster than the app answers them -------------------------------------------
    # Textual hands each key to the widget focused as it arrives, before the keys ahead of it have had their
    # effect: after "n" the letters typed at once went to Home (lost, or taken as Home's keys), after "e" to the
    # question rather than the evidence box, after a tab to the field just left. So keys go one at a time: the
    # next is routed only once the one before has been handled everywhere it went (a KeyHandled sent behind
    # it has come back), and once the screen it led to can take keys (a dialog still opening cannot yet).

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._typed_ahead.append(event)
            if self._key_out is not None and self._key_out_screen not in self.screen_stack:
                self._key_out = None  # the screen it went to has closed, and what was behind it with it
            if self._key_out is not None and len(self._typed_ahead) == 1:
                self.set_timer(KEY_LOST_SECONDS, partial(self._key_lost, self._keys_routed))
            await self._route_next()
            return
        await super().on_event(event)

    async def _route_next(self) -> None:
        """Route the first key waiting, unless the one before is still on its way or the screen cannot take keys."""
        if self._key_out is not None or not self._typed_ahead:
            return
        if not (self.focused is not None or self.screen.is_mounted):  # a screen still opening: after its first paint
            self.call_after_refresh(self._route_next)
            return
        event = self._typed_ahead.popleft()
        target = self.focused or self.screen
        await super().on_event(event)  # Textual's own routing: the priority keys, else the focused widget
        self._keys_routed += 1
        self._key_out, self._key_out_screen = KeyHandled(target, again=True), self.screen
        target.post_message(self._key_out)  # behind the key, through every widget it bubbles through

    async def on_key_handled(self, message: KeyHandled) -> None:
        message.stop()
        if message is not self._key_out:
            return
        if message.again and message.via.is_attached:
            self._key_out = KeyHandled(message.via, again=False)
            message.via.post_message(self._key_out)
            return
        self._key_out = None
        self.call_later(self._route_next)  # after what that key set going (a focus to move, a screen to show)

    async def _key_lost(self, routed: int) -> None:
        """Never stall: a key whose KeyHandled went with a widget taken away lets the next one go."""
        if self._key_out is not None and self._keys_routed == routed:
            self._key_out = None
            await self._route_next()

    # --- the store ------------------------------------------------------------------------------

    @property
    def ws(self) -> Workspace:
        if self.session is None:  # a screen that needs the store, shown before it opened: a bug
            raise RuntimeError("the store is not open")
        return self.session.workspace

    @property
    def read_only_reason(self) -> str | None:
        return self.session.read_only_reason if self.session else None

    def get_default_screen(self) -> Screen[object]:
        """Open the store and start on the right screen, without painting a blank one first."""
        # Each screen imported only when it is the one shown: every import here is paid before the first paint.
        try:
            if self.session is None:
                self.session = open_session(self.home, self.catalogue, self.actor, wait=self.wait, clock=self.clock,
                                            fall_back_to_read_only=True, command="selfassess (app)")
        except SelfAssessError as exc:
            from .screens.problem import ProblemScreen

            return ProblemScreen(exc.for_app())
        if self.ws.assessments():
            from .screens.home import HomeScreen

            return HomeScreen()
        from ..submission.tables import has_submissions

        if has_submissions(self.ws):  # a regulator's installation: straight to the review
            from .screens.review import ReviewScreen

            return ReviewScreen()
        from .screens.welcome import WelcomeScreen

        return WelcomeScreen()

    @property
    def demo_folder(self) -> Path | None:
        """The demo's throwaway data folder, while the demo is what is open."""
        return self.session.throwaway if self.session else None

    def action_open_demo(self) -> None:
        """The demo trust in a throwaway store of its own, over whatever is open; leaving it comes back here."""
        from .screens.demo import DemoHomeScreen

        if self.demo_folder is not None:
            self.notify("This is the demo already: its store is thrown away when you leave it.", title="Demo")
            return
        if self.session is None:
            return
        self.notify("Creating the demo trust in a throwaway store...")
        demo = self.attempt(open_demo_session, self.catalogue, self.actor, clock=self.clock)
        if demo is None or demo.throwaway is None:
            return
        self.position.flush()
        self.outside_demo = (self.session, self.home, self.state, self.position)
        self.session, self.home, self.state = demo, demo.throwaway, {}
        self.position = ui_state.Keeper(demo.throwaway)
        self.push_screen(DemoHomeScreen())
        self.notify(f"Its store is {demo.throwaway}, deleted when you leave the demo (esc on its Home). "
                    "Your own store is untouched.", title="Demo opened", timeout=10)

    def leave_demo(self) -> None:
        """Close the demo (its folder goes with it) and go back to the real store, as it was left."""
        from .screens.demo import DemoHomeScreen

        if self.outside_demo is None or self.session is None:
            return
        while not isinstance(self.screen, DemoHomeScreen) and len(self.screen_stack) > 1:
            self.pop_screen()
        self.pop_screen()
        demo = self.session
        self.session, self.home, self.state, self.position = self.outside_demo
        self.outside_demo = None
        demo.close()

    def on_mount(self) -> None:
        self.call_after_refresh(self.after_first_paint)
        terminal = _terminal_fd() if not (self.is_headless or self.is_web) else None
        if terminal is not None:
            self.set_interval(POLL_SECONDS, partial(self.watch_terminal, terminal), name="watch-terminal")
        if self.session is None:
            return
        if self.demo_folder is not None:  # `selfassess --demo`
            self.notify(f"Its store is {self.demo_folder}, deleted when you quit. Your own data is not opened.",
                        title="Demo", timeout=10)
        for notice in self.session.notices:
            self.notify(notice, title="Recovered", severity="warning", timeout=12)
        self.resume()
        # Other copies (a script, the command line, another window) save to the same store:
        # look once a second (one lseek of audit.log; read only when it grew).
        self.set_interval(POLL_SECONDS, self.poll_store, name="poll-store")
        self.set_interval(ui_state.EVERY_SECONDS, self.position.flush, name="keep-position")

    def watch_terminal(self, fd: int) -> None:
        """The terminal went away with no hangup signal (an SSH link dropped, a terminal emulator
        killed): save what was typed, close the store, and end. Left running, the app would read end
        of file at full speed for ever (Textual's input thread: Textualize/textual#6690); and a normal
        exit would wait for ever to write its last screen to a terminal no longer there."""
        if not _hung_up(fd):
            return
        flush = getattr(self.screen, "flush", None)
        if flush:
            flush()  # typed text not yet saved
        self.close_store()
        os._exit(0)

    def poll_store(self) -> None:
        """Bring in what other copies saved, refresh what is on screen, and say what changed."""
        session = self.session
        if session is None:
            return
        try:
            others = session.store.take_others()
        except SelfAssessError as exc:
            if not self._poll_failed:
                self._poll_failed = True
                self.notify(str(exc), title="Store problem", severity="error", timeout=15)
            return
        for notice in session.new_notices():  # a checkpoint that failed, a torn save set aside: told once
            self.notify(notice, title="Note", severity="warning", timeout=12)
        if not others:
            return
        from .screens.base import AppScreen

        told = False
        for screen in reversed(self.screen_stack):  # the one on top first: it alone may speak
            if isinstance(screen, AppScreen):
                said = screen.store_changed(others)
                if said and not told:
                    self.notify(said, title="Changed in another window", timeout=8)
                told = told or screen is self.screen
        if not told:
            last = others[-1]
            more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
            self.notify(f"{last.get('actor', '?')} in another window: {last.get('summary', '')}{more}",
                        title="Changed in another window", timeout=8)

    def after_first_paint(self) -> None:
        """The first screen is painted: if start-up turned the cycle collector off (launch.py), turn it
        back on, leaving out everything made so far (it lives as long as the app); then read the frameworks."""
        if not gc.isenabled():
            gc.freeze()
            gc.enable()
        if self.session is not None:
            self.report_framework_problems()

    def report_framework_problems(self) -> None:
        """After the first paint: read the framework files and say which could not be used."""
        for path, problems in self.catalogue.failures.items():
            self.notify(f"{path} was skipped: {problems[0].message}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""),
                        title="Framework not loaded", severity="warning", timeout=12)

    def resume(self) -> None:
        """Go back to the question the user was on when the app last closed."""
        if self.state.get("screen") != "assessment":
            return
        from .screens.assessment import AssessmentScreen

        aid = self.state.get("assessment")
        try:
            assessment = self.ws.assessment(aid) if aid else None
        except SelfAssessError:
            return
        if assessment is not None:
            self.push_screen(AssessmentScreen(assessment.id, self.state.get("questions", {}).get(assessment.id)))

    def remember(self, **changes: Any) -> None:
        """Save where the user is (screen, assessment, question) so a restart resumes there."""
        questions = dict(self.state.get("questions", {}))
        if "question" in changes and "assessment" in changes:
            questions[changes["assessment"]] = changes.pop("question")
        self.state = {**self.state, **changes, "questions": questions}
        self.position.keep(self.state)

    # --- doing things safely --------------------------------------------------------------------

    def attempt(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run a change; on failure say what went wrong and return None. The screen keeps its text."""
        result, why = self.try_change(fn, *args, **kwargs)
        if why is not None:
            self.notify(why, title="Not done", severity="error", timeout=10)
        return result

    def try_change(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T | None, str | None]:
        """Run a change: (its result, None), or (None, why it was refused) for the caller to show where it
        belongs (beside a dialog's field). An unexpected problem is logged, and said the same way."""
        try:
            return fn(*args, **kwargs), None
        except SelfAssessError as exc:
            return None, exc.for_app()
        except Exception as exc:  # an unexpected problem: a message and a log, never a traceback
            log = write_crash_log(self.home, exc)
            return None, f"Unexpected problem ({type(exc).__name__}: {exc}). Details: {log}"

    # --- typed text a save refused: kept beside the store (never in it) until it is saved ----------

    def unsaved(self, assessment_id: str, question_id: str) -> dict[str, str]:
        kept = self.state.get("unsaved", {}).get(assessment_id, {}).get(question_id, {})
        return {k: v for k, v in kept.items() if isinstance(v, str)} if isinstance(kept, dict) else {}

    def keep_unsaved(self, assessment_id: str, question_id: str, fields: dict[str, str]) -> None:
        """Remember (or, with no fields, forget) text a save refused, on disk at once: a restart brings it back."""
        unsaved = {a: dict(qs) for a, qs in self.state.get("unsaved", {}).items() if isinstance(qs, dict)}
        questions = unsaved.setdefault(assessment_id, {})
        if fields:
            questions[question_id] = fields
        else:
            questions.pop(question_id, None)
        self.state = {**self.state, "unsaved": {a: qs for a, qs in unsaved.items() if qs}}
        self.position.keep(self.state, now=True)

    def can_change(self) -> bool:
        """False (with a message) when another copy of selfassess holds the store."""
        if self.read_only_reason:
            self.notify(f"This window is read-only: {self.read_only_reason}", title="Read-only", severity="warning")
            return False
        return True

    # --- keys and commands ----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key binding of the current screen (and the app) is also a command in the palette, each
        once, described in words (and its key); then Textual's own, less the ones ours replace."""
        seen: set[str] = set()
        titles: set[str] = set()
        for node, bindings in ((screen, type(screen).BINDINGS), (self, type(self).BINDINGS)):
            for binding in bindings:
                action = binding.action.removeprefix("app.") if isinstance(binding, Binding) else ""
                if not isinstance(binding, Binding) or not binding.description or action in seen or binding.description in titles:
                    continue
                if binding.action.startswith("rate(") and binding.id != "rate":
                    continue  # one "Rate" entry: the levels are the scale's (f1 lists them)
                seen.add(action)
                titles.add(binding.description)
                what = binding.tooltip or binding.description
                yield SystemCommand(binding.description, f"{what} ({binding.key_display or binding.key})",
                                    _runner(node, binding.action))
        if "keys" not in seen:
            yield SystemCommand("Keys and fingerprints", "This installation's key fingerprint, and the keys "
                                "registered here: register or revoke one", self.action_keys)
        yield SystemCommand("Open the demo (separate throwaway store)", "A demo trust a year in, in a store of its "
                            "own that is thrown away when you leave it; your data is not touched", self.action_open_demo)
        for command in super().get_system_commands(screen):
            if command.title not in titles and command.title not in ("Keys", "Quit"):  # ours: help (f1), quit
                titles.add(command.title)
                yield command

    def action_keys(self) -> None:
        from .screens.keys import KeysScreen

        if self.session is not None and not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen())

    def action_help(self) -> None:
        from .help import KeysHelp, binding_rows, screen_keys

        if isinstance(self.screen, KeysHelp):
            self.pop_screen()
            return
        everywhere = [*binding_rows(type(self).BINDINGS), ("ctrl+p", "All commands, searchable by name"),
                      ("tab", "The next field or list")]
        self.push_screen(KeysHelp(str(self.screen.title or self.title), screen_keys(self.screen), everywhere))

    async def action_quit(self) -> None:
        flush = getattr(self.screen, "flush", None)
        if flush:
            flush()
        self.exit()

    def on_unmount(self) -> None:
        self.close_store()

    def close_store(self) -> None:
        self.position.flush()
        if self.outside_demo is not None:  # quit from inside the demo: the demo goes, the real store closes
            demo = self.session
            self.session, self.home, self.state, self.position = self.outside_demo
            self.outside_demo = None
            if demo is not None:
                demo.close()
        if self.session is not None:
            warning = self.session.close()
            self.session = None
            if warning:
                self.exit_message = f"warning: {warning}"

    def _handle_exception(self, error: Exception) -> None:
        """Damage found in the store while the app runs (a finished year's file changed outside
        selfassess, read only when a screen asks for that year): the store is closed and the app
        says what is wrong and how to recover, as when the store cannot be opened, instead of stopping."""
        from ..session import StoreDamaged

        if isinstance(error, StoreDamaged) and self._exception is None and self.is_running:
            self.call_later(self._stop_on_damage, error)
            return
        super()._handle_exception(error)

    def _stop_on_damage(self, error: SelfAssessError) -> None:
        from .screens.problem import ProblemScreen

        # On top of every other screen, with no way back to them: quitting is all that is left, and
        # it closes the store as usual (what is saved is intact: the damage is in what was to be read).
        if not isinstance(self.screen, ProblemScreen):
            self.push_screen(ProblemScreen(error.for_app(), title="selfassess stopped reading your data"))

    def _fatal_error(self) -> None:
        """The last line of defence: an unexpected failure exits with a message, not a traceback."""
        error = self._exception
        log = write_crash_log(self.home, error) if error else "(no details)"
        self.close_store()
        self.bell()
        self._exit_renderables.append(
            f"selfassess stopped after an unexpected problem ({type(error).__name__}: {error}). "
            f"Everything saved before it is safe. Details: {log}"
        )
        self._close_messages_no_wait()


def _runner(node: Any, action: str) -> Callable[[], Any]:
    async def run() -> None:
        await node.run_action(action)

    return run


def make_app(home: Path, framework_dirs: list[Path] | None = None, actor: str = "unknown", *,
             clock: Clock | None = None, wait: float = 0.0, blink: bool = True, demo: bool = False) -> SelfAssessApp:
    """The one way to build the app, for the command line and for tests alike. With demo, the app opens
    the demo trust in a throwaway store of its own (home is only read, for its frameworks)."""
    from .text import guard_terminal

    guard_terminal()
    catalogue = load_frameworks(home, framework_dirs or [])
    if demo:
        session = open_demo_session(catalogue, actor, clock=clock)
        assert session.throwaway is not None
        return SelfAssessApp(session.throwaway, catalogue, actor, clock=clock, wait=wait, blink=blink, session=session)
    return SelfAssessApp(home, catalogue, actor, clock=clock, wait=wait, blink=blink)


def run_app(home: Path, framework_dirs: list[Path], actor: str, wait: float = 0.0, demo: bool = False) -> int:
    """Run the app; its exit status (1 after an unexpected problem, for a script that started it)."""
    app = make_app(home, framework_dirs, actor, wait=wait, demo=demo)
    try:
        app.run()
    finally:
        app.close_store()
    message = getattr(app, "exit_message", None)
    if message:
        print(message)
    return app.return_code or 0
