"""The regulator at national scale: organisations grouped by ICB and region, the spread of each
domain within a group (medians and quartiles, not league tables), every trust's trend, and a
tidy dataset for analysts.

Built on Review: everything here reads the typed, checked records it hands out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.audit import Change
from ..core.errors import InvalidInput, SelfAssessError
from ..core.model import check_ods, check_text
from ..core.stats import five_numbers
from ..files import read_limited
from .review import Review, Submission

GROUPS = "groupings"
MAX_GROUPS_FILE = 10 * 1024 * 1024
MAX_GROUP_ROWS = 20_000
BY = ("trust", "icb", "region")
# Column names as people write them in a spreadsheet, to the field each one means.
_COLUMNS = {
    "ods_code": ("ods_code", "ods", "code", "organisation_code", "org_code"),
    "name": ("name", "organisation", "organisation_name", "trust", "trust_name"),
    "icb": ("icb", "icb_name", "integrated_care_board"),
    "region": ("region", "region_name", "nhs_region"),
}


@dataclass(frozen=True)
class Grouping:
    ods_code: str
    name: str
    icb: str
    region: str

    def to_record(self) -> dict[str, Any]:
        return {"id": self.ods_code, "name": self.name, "icb": self.icb, "region": self.region}

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Grouping:
        return cls(rec["id"], rec["name"], rec["icb"], rec["region"])


@dataclass(frozen=True)
class GroupsImported:
    added: int
    changed: int
    removed: int
    total: int


@dataclass(frozen=True)
class Spread:
    """How one figure spreads across the organisations of a group."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "median": self.median, "q1": self.q1, "q3": self.q3}


@dataclass(frozen=True)
class GroupRow:
    group: str
    organisations: tuple[str, ...]
    overall: Spread
    domains: dict[str, Spread]
    open_actions: int
    overdue: int
    slipped: int
    queried: int


@dataclass(frozen=True)
class GroupComparison:
    by: str
    domain_ids: list[str]
    domain_titles: list[str]
    rows: list[GroupRow]
    ungrouped: list[str]  # organisations (ODS code, or name where there is none) not in the groupings


def _norm(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def read_groupings(path: Path) -> list[Grouping]:
    """A groupings file: CSV with columns for ODS code, name, ICB and region (in any order).
    Every problem names the line; nothing is used unless the whole file is good."""
    raw = read_limited(path, MAX_GROUPS_FILE, "groupings file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text, expected a CSV file saved as UTF-8") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(f"{path} is empty, expected a header row: ods_code,name,icb,region") from None
    except csv.Error as exc:
        raise InvalidInput(f"{path} line 1: {exc}") from None
    found = [_norm(h) for h in header]
    where: dict[str, int] = {}
    for field_name, aliases in _COLUMNS.items():
        hits = [i for i, h in enumerate(found) if h in aliases]
        if hits:
            where[field_name] = hits[0]
    missing = [f for f in _COLUMNS if f not in where]
    if missing:
        raise InvalidInput(f"{path}: no column for {', '.join(missing)}; the columns found are: "
                           f"{', '.join(repr(h) for h in header) or '(none)'} (expected ods_code, name, icb, region)")
    out: list[Grouping] = []
    seen: dict[str, int] = {}
    problems: list[str] = []
    try:
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(out) >= MAX_GROUP_ROWS:
                raise InvalidInput(f"{path} has more than {MAX_GROUP_ROWS:,} organisations")
            cells = {f: (row[i] if i < len(row) else "") for f, i in where.items()}
            try:
                ods = check_ods(cells["ods_code"])
                if not ods:
                    raise InvalidInput("the ODS code is empty")
                values = {f: check_text(cells[f], f, required=True, max_length=300).strip() for f in ("name", "icb", "region")}
            except InvalidInput as exc:
                problems.append(f"{path} line {line}: {exc}")
                continue
            if ods in seen:
                problems.append(f"{path} line {line}: {ods} is listed twice (first on line {seen[ods]})")
                continue
            seen[ods] = line
            out.append(Grouping(ods, values["name"], values["icb"], values["region"]))
    except csv.Error as exc:
        raise InvalidInput(f"{path} line {reader.line_num}: {exc}") from None
    if problems:
        raise InvalidInput("\n".join(problems[:20]) + (f"\n(and {len(problems) - 20} more)" if len(problems) > 20 else ""))
    if not out:
        raise InvalidInput(f"{path} lists no organisations")
    return out


def spread(values: Iterable[float | None]) -> Spread:
    data = sorted(v for v in values if v is not None)
    if not data:
        return Spread(0, None, None, None)
    if len(data) == 1:
        return Spread(1, data[0], data[0], data[0])
    _, q1, q2, q3, _ = five_numbers(data)
    return Spread(len(data), round(q2, 1), round(q1, 1), round(q3, 1))


class National:
    """Groupings, group comparisons, trends and the analysts' dataset, over one Review."""

    def __init__(self, review: Review):
        self.review = review
        self.ws = review.ws

    def groupings(self) -> dict[str, Grouping]:
        return {g.ods_code: g for g in (Grouping.from_record(r) for r in self.ws.repo.all(GROUPS))}

    def import_groups(self, path: Path) -> GroupsImported:
        """Replace the groupings with the file's (one audit event): organisations left out are removed."""
        new = {g.ods_code: g for g in read_groupings(path)}
        old = self.groupings()
        changes = []
        for ods, g in new.items():
            before = old.get(ods)
            if before != g:
                changes.append(Change(GROUPS, ods, before.to_record() if before else None, g.to_record()))
        for ods, g in old.items():
            if ods not in new:
                changes.append(Change(GROUPS, ods, g.to_record(), None))
        self.ws.commit("review.groups", f"groupings from {path.name}: {len(new)} organisations", changes)
        added = sum(1 for c in changes if c.before is None)
        removed = sum(1 for c in changes if c.after is None)
        return GroupsImported(added, len(changes) - added - removed, removed, len(new))

    def compare_by(self, by: str, framework_id: str | None = None) -> GroupComparison:
        """The latest submission of each trust, gathered by ICB or region: per domain the median
        and quartiles across the group's organisations."""
        if by not in BY[1:]:
            raise InvalidInput(f"cannot group by '{by}', expected one of: {', '.join(BY)}")
        found = self.review.compare(framework_id)
        groups = self.groupings()
        members: dict[str, list[Any]] = {}
        ungrouped: list[str] = []
        for row in found.rows:
            g = groups.get(row.ods_code.upper()) if row.ods_code else None
            if g is None:
                ungrouped.append(row.ods_code or row.organisation)
                continue
            members.setdefault(g.icb if by == "icb" else g.region, []).append(row)
        rows = []
        for name in sorted(members, key=str.lower):
            rs = members[name]
            rows.append(GroupRow(
                group=name, organisations=tuple(sorted(r.organisation for r in rs)),
                overall=spread(r.overall for r in rs),
                domains={d: spread(r.domains.get(d) for r in rs) for d in found.domain_ids},
                open_actions=sum(r.open_actions for r in rs), overdue=sum(r.overdue for r in rs),
                slipped=sum(r.slipped for r in rs), queried=sum(r.queried for r in rs)))
        return GroupComparison(by, found.domain_ids, found.domain_titles, rows, sorted(ungrouped))

    def trends(self) -> list[list[Submission]]:
        """Every trust's submissions, oldest first: the latest of each period (a resubmission
        replaces the earlier one of the same period)."""
        by_trust: dict[str, dict[str, Submission]] = {}
        for s in self.review.submissions():
            periods = by_trust.setdefault(s.key_fingerprint, {})
            held = periods.get(s.period)
            if held is None or s.sequence > held.sequence:
                periods[s.period] = s
        out = [sorted(p.values(), key=lambda s: s.period) for p in by_trust.values()]
        return sorted(out, key=lambda subs: subs[-1].organisation.name.lower())


# --- the dataset for analysts -------------------------------------------------------------------

DATASET_VERSION = "1"
NULL = "\\N"  # how a missing value is written in the CSV files (an empty string stays an empty string)
TABLES: dict[str, list[tuple[str, str]]] = {
    "organisations": [("ods_code", "VARCHAR"), ("name", "VARCHAR"), ("icb", "VARCHAR"), ("region", "VARCHAR"),
                      ("key_fingerprint", "VARCHAR")],
    "submissions": [("submission_id", "VARCHAR"), ("ods_code", "VARCHAR"), ("organisation", "VARCHAR"),
                    ("period", "VARCHAR"), ("framework_id", "VARCHAR"), ("framework_version", "VARCHAR"),
                    ("sequence", "BIGINT"), ("previous_submission", "VARCHAR"), ("current", "BOOLEAN"),
                    ("overall_percent", "DOUBLE"), ("completeness", "DOUBLE"), ("signed_off_on", "VARCHAR"),
                    ("imported_at", "VARCHAR"), ("file", "VARCHAR")],
    "answers": [("submission_id", "VARCHAR"), ("question_id", "VARCHAR"), ("question_ref", "VARCHAR"),
                ("domain_id", "VARCHAR"), ("rating", "VARCHAR"), ("rating_label", "VARCHAR"), ("score", "DOUBLE"),
                ("not_applicable", "BOOLEAN"), ("na_reason", "VARCHAR"), ("state", "VARCHAR"), ("assurance", "VARCHAR"),
                ("evidence", "VARCHAR")],
    "domain_scores": [("submission_id", "VARCHAR"), ("domain_id", "VARCHAR"), ("domain_ref", "VARCHAR"),
                      ("domain_title", "VARCHAR"), ("percent", "DOUBLE"), ("level", "VARCHAR"),
                      ("answered", "INTEGER"), ("questions", "INTEGER")],
    "actions": [("submission_id", "VARCHAR"), ("action_id", "VARCHAR"), ("ref", "VARCHAR"), ("title", "VARCHAR"),
                ("owner", "VARCHAR"), ("owner_role", "VARCHAR"), ("status", "VARCHAR"), ("original_due", "DATE"),
                ("current_due", "DATE"), ("slippage_days", "INTEGER"), ("overdue", "BOOLEAN"), ("closed", "BOOLEAN"),
                ("carried_forward", "BOOLEAN")],
    "refused_files": [("file", "VARCHAR"), ("file_sha256", "VARCHAR"), ("verdict", "VARCHAR"), ("reason", "VARCHAR")],
    "marks": [("submission_id", "VARCHAR"), ("target", "VARCHAR"), ("target_id", "VARCHAR"), ("label", "VARCHAR"),
              ("verdict", "VARCHAR"), ("comment", "VARCHAR"), ("reviewer", "VARCHAR"), ("at", "VARCHAR")],
}


@dataclass(frozen=True)
class Dataset:
    folder: Path
    files: tuple[Path, ...]
    rows: dict[str, int]
    notes: tuple[str, ...]


def _cell(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class DatasetWriter:
    """Tidy tables of everything imported, one row per thing, for DuckDB, R, Python or Excel."""

    def __init__(self, national: National):
        self.national = national
        self.review = national.review

    def rows(self, inboxes: list[Path] | None = None) -> tuple[dict[str, list[tuple[Any, ...]]], list[str]]:
        from ..core import actions as rules
        from . import bundle, schema
        from .submit import ALLOWED, OPTIONAL

        today = self.review.ws.today()
        subs = self.review.submissions()
        groups = self.national.groupings()
        current: dict[tuple[str, str, str], Submission] = {}
        for s in subs:  # the last good submission per organisation, framework and period is current
            k = (s.key_fingerprint, s.framework.id, s.period)
            if k not in current or s.sequence > current[k].sequence:
                current[k] = s
        out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        notes: list[str] = []
        orgs: dict[str, tuple[Any, ...]] = {}
        for s in subs:
            ods = s.organisation.ods_code
            g = groups.get(ods)
            orgs[s.key_fingerprint] = (ods, s.organisation.name, g.icb if g else None, g.region if g else None, s.key_fingerprint)
            is_current = current[(s.key_fingerprint, s.framework.id, s.period)].id == s.id
            signoff = s.assessment.signoff
            out["submissions"].append((s.id, ods, s.organisation.name, s.period, s.framework.id, s.framework.version,
                                       s.sequence, s.previous, is_current, s.overall, s.completeness,
                                       signoff.date if signoff else None, s.imported_at, s.file))
            for d in s.domains:
                out["domain_scores"].append((s.id, d.id, d.ref, d.title, d.percent, d.level, d.answered, d.questions))
            for a in s.actions:
                out["actions"].append((s.id, a.id, a.ref, a.title, a.owner, a.owner_role, a.status, a.original_due,
                                       a.current_due, rules.slippage_days(a), rules.is_overdue(a, today), a.closed,
                                       a.id in s.carried_forward))
            kept = self.review.ws.repo.read_received("submissions", f"{s.id}.selfassess")
            if kept is None:
                notes.append(f"{s.who}: the kept bundle is missing, so its answers are not in the dataset")
                continue
            try:  # kept as received and checked at import; read the same strict way again
                opened = bundle.open_sealed(kept, bundle.SUBMISSION, ALLOWED, OPTIONAL)
                doc = opened.read(schema.SubmissionDoc, "submission.json")
                framework = schema.framework_copy(opened.files["framework.json"])
            except (bundle.BundleError, schema.Malformed, KeyError) as exc:
                notes.append(f"{s.who}: the kept bundle cannot be read ({exc}), so its answers are not in the dataset")
                continue
            for ans in doc.answers:
                q = framework.question(ans.question_id)
                level = framework.scale_for(q).level(ans.rating) if ans.rating else None
                out["answers"].append((s.id, q.id, q.ref, q.domain_id, ans.rating, level.label if level else None,
                                       level.score if level else None, ans.na_reason is not None, ans.na_reason,
                                       ans.state, ans.assurance, ans.evidence))
        out["organisations"] = sorted(orgs.values(), key=lambda r: (str(r[0]), str(r[1])))
        for by_target in self.review.marks().values():
            for m in by_target.values():
                out["marks"].append((m.submission_id, m.target, m.target_id, m.label, m.verdict, m.comment, m.reviewer, m.at))
        for u in self.review.unreadable():
            notes.append(f"left out as unreadable: {u.file} ({u.why})")
        out["refused_files"] = self.refused(inboxes or [])
        return out, notes

    def refused(self, inboxes: list[Path]) -> list[tuple[Any, ...]]:
        """Files in the inbox folders that are not imported, and why: each is checked again now
        (files imported byte for byte are known by their hash and skipped unread)."""
        import hashlib

        from . import bundle
        from .review import bundle_files
        from .submit import read_file

        out: list[tuple[Any, ...]] = []
        for path in bundle_files(inboxes) if inboxes else []:
            digest: str | None = None
            try:
                data = read_file(path, bundle.MAX_FILE, "submission")
            except SelfAssessError:  # unreadable: check() turns that into its verdict; there is no hash
                result = self.review.check(path)
            else:  # read once: hashed here, checked from the same bytes
                digest = hashlib.sha256(data).hexdigest()
                result = self.review.check_bytes(path, data)
            if result.verdict == bundle.DUPLICATE and "imported before" in result.message:
                continue
            if result.verdict == bundle.GENUINE:
                reason = "genuine, but not imported yet (selfassess review import)"
            else:
                reason = result.message
            out.append((path.name, digest, result.verdict, reason))
        return out

    def write(self, folder: Path, fmt: str = "parquet", inboxes: list[Path] | None = None) -> Dataset:
        """Write every table into folder (each file complete before it appears), with dataset.json
        naming the schema version, the tables, their columns and what was left out."""
        import json
        import os
        import tempfile

        from ..files import WriteFailed, atomic_write, inside, why
        from ..paths import make_private_dir

        if fmt not in ("parquet", "csv"):
            raise InvalidInput(f"'{fmt}' is not a dataset format, expected parquet or csv")
        tables, notes = self.rows(inboxes)
        written: list[Path] = []
        try:
            make_private_dir(folder)
            with tempfile.TemporaryDirectory(dir=folder, prefix=".dataset-") as tmp:
                for name, columns in TABLES.items():
                    csv_path = Path(tmp) / f"{name}.csv"
                    with open(csv_path, "w", encoding="utf-8", newline="") as f:
                        w = csv.writer(f)
                        w.writerow([c for c, _ in columns])
                        w.writerows([_cell(v) for v in row] for row in tables[name])
                    final = inside(folder, f"{name}.{fmt}")
                    if fmt == "csv":
                        os.replace(csv_path, final)
                    else:
                        _to_parquet(csv_path, Path(tmp) / f"{name}.parquet", name, columns)
                        os.replace(Path(tmp) / f"{name}.parquet", final)
                    written.append(final)
                manifest = {
                    "schema_version": DATASET_VERSION, "format": fmt, "null": NULL if fmt == "csv" else None,
                    "tables": {name: {"file": f"{name}.{fmt}", "rows": len(tables[name]),
                                      "columns": [{"name": c, "type": t} for c, t in cols]} for name, cols in TABLES.items()},
                    "current": "submissions.current marks the last good submission per organisation, framework and period",
                    "notes": notes,
                }
                atomic_write(inside(folder, "dataset.json"), json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
                written.append(folder / "dataset.json")
        except OSError as exc:
            raise WriteFailed(f"could not write the dataset in {folder}: {why(exc)}") from None
        return Dataset(folder, tuple(written), {n: len(r) for n, r in tables.items()}, tuple(notes))


def _to_parquet(csv_path: Path, out: Path, name: str, columns: list[tuple[str, str]]) -> None:
    """CSV (written by us, typed by us) to Parquet through DuckDB, with the schema version in the
    file's own key-value metadata."""
    import duckdb

    types = ", ".join(f"'{c}': '{t}'" for c, t in columns)
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * FROM read_csv(?, header=true, nullstr='{NULL}', columns={{{types}}}, "
                    "quote='\"', escape='\"', strict_mode=true)) TO '" + str(out).replace("'", "''")
                    + f"' (FORMAT parquet, KV_METADATA {{schema_version: '{DATASET_VERSION}', dataset_table: '{name}'}})",
                    [str(csv_path)])
    finally:
        con.close()


# --- the review report for a regional committee ----------------------------------------------------


def report_data(nat: National, by: str = "region", framework_id: str | None = None) -> Any:
    """What the review report shows, from the latest submission of each trust."""
    from ..core.model import parse_date
    from ..reports.data import long_date
    from ..reports.review_report import OrganisationRow, ReviewReportData

    if by not in BY:
        raise InvalidInput(f"cannot group by '{by}', expected one of: {', '.join(BY)}")
    found = nat.review.compare(framework_id)
    groups = nat.groupings()
    by_id = {s.id: s for s in nat.review.submissions()}
    earlier: dict[str, Submission] = {}
    for subs in nat.trends():
        if len(subs) > 1:
            earlier[subs[-1].key_fingerprint] = subs[-2]
    rows, ungrouped = [], []
    for r in found.rows:
        s = by_id[r.submission_id]
        g = groups.get(r.ods_code.upper()) if r.ods_code else None
        if by != "trust" and g is None:
            ungrouped.append(r.ods_code or r.organisation)
        before = earlier.get(s.key_fingerprint)
        if before is not None and before.period == s.period:
            before = None
        rows.append(OrganisationRow(
            name=r.organisation, ods_code=r.ods_code, group=("" if by == "trust" else (g.icb if by == "icb" else g.region) if g else ""),
            period=r.period, overall=r.overall, domains=tuple(r.domains.get(d) for d in found.domain_ids),
            slipped=r.slipped, queried=r.queried, overdue=r.overdue,
            previous_period=before.period if before else None, previous_overall=before.overall if before else None))
    title = by_id[found.rows[0].submission_id].framework.title if found.rows else ""
    return ReviewReportData(
        title="Review of board self-assessments", framework_title=title,
        as_of=long_date(parse_date(nat.ws.clock.now()[:10])), by=by, domains=tuple(found.domain_titles),
        organisations=tuple(rows), ungrouped=tuple(sorted(ungrouped)))


def write_report(nat: National, out: Path, by: str = "region", framework_id: str | None = None) -> tuple[Path, list[str]]:
    from ..files import inside, safe_name
    from ..reports.review_report import write_review_report
    from .review import write_out

    data = report_data(nat, by, framework_id)
    if not data.organisations:
        raise InvalidInput("no submissions imported yet: selfassess review import FOLDER")
    content, warnings = write_review_report(data)
    path = inside(out, f"review-report-{safe_name(by)}-{nat.ws.clock.now()[:10]}.pdf") if out.is_dir() or str(out).endswith("/") else out
    write_out(path, content)
    return path, warnings
