"""The layers stay apart: core imports no UI, storage or document library; only storage imports TinyDB."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from tests.conftest import REPO

HEAVY = ["textual", "tinydb", "openpyxl", "reportlab", "docx", "click", "cryptography", "rich"]


def loaded_after(*modules: str) -> set[str]:
    code = (f"import sys\nimport {', '.join(modules)}\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return set(out.stdout.split())


def modules_in(package: str) -> list[str]:
    """Every module of a package, found on disk: a new module is checked without anyone listing it."""
    folder = REPO.joinpath(*package.split("."))
    found = sorted(package + "." + ".".join(p.relative_to(folder).with_suffix("").parts)
                   for p in folder.rglob("*.py") if p.stem != "__init__")
    assert found, package
    return found


def test_core_imports_no_ui_storage_or_document_library():
    core = modules_in("selfassess.core")
    assert len(core) >= 10 and loaded_after(*core) == set()


def test_files_and_paths_import_nothing_heavy():
    assert loaded_after("selfassess.files", "selfassess.paths") == set()


def test_the_layer_contracts_in_pyproject_hold():
    """import-linter reads every import, project ones included (pyproject.toml, [tool.importlinter])."""
    out = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
                          "--no-cache"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_storage_imports_tinydb_and_nothing_of_the_ui():
    assert loaded_after("selfassess.storage.store") == {"tinydb"}


def test_reports_import_no_ui_or_database():
    assert loaded_after(*modules_in("selfassess.reports")) & {"textual", "tinydb", "click"} == set()


def test_submission_imports_no_ui():
    assert loaded_after(*modules_in("selfassess.submission")) & {"textual", "click"} == set()


def test_only_the_storage_module_imports_tinydb():
    pattern = re.compile(r"^\s*(from|import)\s+tinydb", re.M)
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "selfassess").rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8")) and p.name != "store.py"]
    assert offenders == []


def test_nothing_is_created_at_import_time(tmp_path):
    home = tmp_path / "home"
    every = [m for p in ("selfassess.core", "selfassess.storage", "selfassess.reports", "selfassess.submission",
                         "selfassess.ui") for m in modules_in(p)]
    code = "import " + ", ".join(["selfassess.cli", "selfassess.launch", "selfassess.session", "selfassess.files", *every])
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env={"SELFASSESS_HOME": str(home), "PATH": ""})
    assert not home.exists()


def test_the_doors_and_reports_read_no_table_themselves():
    """The app, the CLI and the reports ask the core and submission services, never the repository."""
    doors = [REPO / "selfassess" / "cli.py", REPO / "selfassess" / "launch.py",
             *(REPO / "selfassess" / "ui").rglob("*.py"), *(REPO / "selfassess" / "reports").rglob("*.py")]
    offenders = [f"{p.relative_to(REPO)}:{n}" for p in doors
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if ".repo." in line]
    assert offenders == []


def test_no_private_name_crosses_a_module():
    offenders = [f"{p.relative_to(REPO)}:{node.lineno} {alias.name}" for p in (REPO / "selfassess").rglob("*.py")
                 for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))) if isinstance(node, ast.ImportFrom)
                 for alias in node.names if alias.name.startswith("_")]
    assert offenders == []


def test_mypy_strict_is_clean(tmp_path_factory):
    """mypy --strict over selfassess/ (as configured in pyproject.toml), in the suite CI runs.
    The cache sits under the session's tmp folder, so a warm rerun in one session is quick."""
    cache = tmp_path_factory.getbasetemp() / "mypy-cache"
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), "selfassess"],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "Success: no issues found" in out.stdout
