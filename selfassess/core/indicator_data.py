"""Reading an indicator extract: aggregated rows, or one row per patient pathway aggregated on read.

DuckDB reads the file (CSV and Parquet natively; XLSX through a small reader of the first sheet) and
does the grouping, so a 2,000,000-row extract never becomes 2,000,000 Python objects. Only the
aggregates, the file's SHA-256 and its row count leave this module: patient-level rows are never
stored. Anything wrong is refused with the reason and nothing is kept.

Codes, as the NHS Data Dictionary writes them:
- ETHNIC CATEGORY (2001 census codes A to S, Z not stated, 99 not known) to the ONS high-level
  groups (ONS puts Chinese, R, in the Asian group);
- IMD decile (1 most deprived .. 10) to quintile (1 .. 5); or the quintile itself;
- PERSON STATED GENDER CODE (1 male, 2 female, 9 indeterminate, X or 0 not known), or M/F.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .errors import InvalidInput
from .indicator_set import (
    AGE,
    DEPRIVATION,
    DIMENSIONS,
    ETHNICITY,
    NOT_KNOWN,
    NOT_STATED,
    SEX,
    IndicatorSet,
)
from .indicator_stats import ESP_BANDS, esp_band

MAX_BYTES = 4 * 1024 * 1024 * 1024

QUINTILES = ("Q1 most deprived", "Q2", "Q3", "Q4", "Q5 least deprived")
ETHNIC_GROUPS = ("Asian or Asian British", "Black or Black British", "Mixed", "White", "Other ethnic group")
SEXES = ("Female", "Male", "Indeterminate")
_ETHNIC = {**dict.fromkeys("ABC", "White"), **dict.fromkeys("DEFG", "Mixed"), **dict.fromkeys("HJKLR", "Asian or Asian British"),
           **dict.fromkeys("MNP", "Black or Black British"), "S": "Other ethnic group"}
_SEX = {"1": "Male", "M": "Male", "MALE": "Male", "2": "Female", "F": "Female", "FEMALE": "Female",
        "9": "Indeterminate", "I": "Indeterminate", "INDETERMINATE": "Indeterminate",
        "X": NOT_KNOWN, "0": NOT_KNOWN, "U": NOT_KNOWN, "NOT KNOWN": NOT_KNOWN}

AGGREGATED = ("indicator", "dimension", "group", "numerator", "denominator")
AGG_OPTIONAL = ("period", "age_band")
UNKNOWN_GROUPS = {DEPRIVATION: (NOT_KNOWN,), ETHNICITY: (NOT_STATED, NOT_KNOWN), AGE: (NOT_KNOWN,), SEX: (NOT_KNOWN,)}


def groups_of(dimension: str, age_labels: Sequence[str]) -> tuple[str, ...]:
    """Every group of a dimension, in the order reports show them."""
    if dimension == DEPRIVATION:
        return (*QUINTILES, NOT_KNOWN)
    if dimension == ETHNICITY:
        return (*ETHNIC_GROUPS, NOT_STATED, NOT_KNOWN)
    if dimension == SEX:
        return (*SEXES, NOT_KNOWN)
    return (*age_labels, NOT_KNOWN)


@dataclass(frozen=True)
class Cell:
    dimension: str
    group: str
    band: int | None  # the 2013 ESP age band, kept for directly age-standardised rates only
    numerator: int
    denominator: int


@dataclass
class Extract:
    """What an import keeps: aggregates per indicator, and where they came from."""

    file_name: str
    file_sha256: str
    rows: int
    kind: str  # "aggregated" or "row-level"
    period: str
    cells: dict[str, list[Cell]] = field(default_factory=dict)  # indicator id -> cells
    unknown_codes: dict[str, dict[str, int]] = field(default_factory=dict)  # dimension -> code -> rows


class BadExtract(InvalidInput):
    """An extract refused, with every reason found."""

    def __init__(self, file_name: str, reasons: Iterable[str]):
        self.reasons = list(reasons)
        super().__init__(f"{file_name} was not imported, nothing was stored:\n" + "\n".join(f"- {r}" for r in self.reasons))


# --- codes ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def ethnic_group(code: Any) -> str | None:
    """The ONS high-level group of an NHS ethnic category code; None for a code the Dictionary does not have."""
    text = _text(code).upper()
    if text in ("", "99"):
        return NOT_KNOWN
    if text == "Z":
        return NOT_STATED
    if len(text) <= 2 and text[:1] in _ETHNIC and (len(text) == 1 or text[1].isalnum()):  # local sub-codes: 'CA'
        return _ETHNIC[text[0]]
    for g in (*ETHNIC_GROUPS, NOT_STATED, NOT_KNOWN):
        if text == g.upper():
            return g
    return None


def quintile_from(value: Any, decile: bool) -> str | None:
    """'Q1 most deprived' .. 'Q5 least deprived' or Not known; None for a value outside the scale."""
    text = _text(value)
    if text == "":
        return NOT_KNOWN
    if not decile:
        for i, label in enumerate(QUINTILES, 1):
            if text.upper() in (str(i), f"Q{i}", label.upper()):
                return label
        if text.upper() == NOT_KNOWN.upper():
            return NOT_KNOWN
    try:
        number = float(text)
    except ValueError:
        return None
    if not number.is_integer():
        return None
    n = int(number)
    top = 10 if decile else 5
    if not 1 <= n <= top:
        return None
    return QUINTILES[(n + 1) // 2 - 1] if decile else QUINTILES[n - 1]


def sex_group(code: Any) -> str | None:
    text = _text(code).upper()
    if text == "":
        return NOT_KNOWN
    return _SEX.get(text)


def age_group(value: Any, iset: IndicatorSet) -> tuple[str, int | None] | None:
    text = _text(value)
    if text == "":
        return NOT_KNOWN, None
    try:
        number = float(text)
    except ValueError:
        return None
    if not number.is_integer():
        return None
    age = int(number)
    if not 0 <= age <= 130:
        return None
    return iset.age_group(age), esp_band(age)


def _band(value: Any) -> int | None:
    """An ESP band written as '0-4', '90+', or its lower bound."""
    text = _text(value).replace(" ", "")
    if text in ESP_BANDS:
        return ESP_BANDS.index(text)
    if text.isdigit() and int(text) % 5 == 0 and int(text) <= 90:
        return int(text) // 5
    return None


# --- NHS numbers ----------------------------------------------------------------------------------

_TEN_DIGITS = re.compile(r"^\d{3}[ -]?\d{3}[ -]?\d{4}$")


def is_nhs_number(value: str) -> bool:
    """Ten digits whose check digit passes the modulus 11 algorithm."""
    digits = [int(c) for c in value if c.isdigit()]
    if len(digits) != 10:
        return False
    remainder = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


def looks_like_nhs_numbers(values: Iterable[Any]) -> bool:
    """More than half of a column's filled values are ten digits passing the modulus 11 check
    (random ten-digit numbers pass about one time in eleven)."""
    filled = [_text(v) for v in values if _text(v)]
    if not filled:
        return False
    passing = sum(1 for v in filled if _TEN_DIGITS.match(v) and is_nhs_number(v))
    return passing * 2 > len(filled)


# --- reading files -----------------------------------------------------------------------------


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _xlsx_to_csv(path: Path, out: Path) -> None:
    """The first worksheet of an XLSX file as CSV (values, not formulas), read with the standard library."""
    import csv

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            shared: list[str] = []
            if "xl/sharedStrings.xml" in names:
                root = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
                shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root.findall("m:si", ns)]
            book = ElementTree.fromstring(z.read("xl/workbook.xml"))
            first = book.find("m:sheets/m:sheet", ns)
            rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            rid = first.get(f"{{{ns['r']}}}id") if first is not None else None
            target = next((r.get("Target", "") for r in rels if r.get("Id") == rid), "worksheets/sheet1.xml")
            sheet_path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            with z.open(sheet_path) as raw, open(out, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                for _, elem in ElementTree.iterparse(raw):
                    if elem.tag != f"{{{ns['m']}}}row":
                        continue
                    row: list[str] = []
                    for c in elem.findall("m:c", ns):
                        col = _column_index(c.get("r", ""))
                        while col is not None and len(row) < col:
                            row.append("")
                        kind = c.get("t")
                        v = c.find("m:v", ns)
                        if kind == "inlineStr":
                            text = "".join(t.text or "" for t in c.iter(f"{{{ns['m']}}}t"))
                        elif kind == "s" and v is not None and v.text is not None:
                            text = shared[int(v.text)]
                        else:
                            text = v.text if v is not None and v.text is not None else ""
                        row.append(text)
                    writer.writerow(row)
                    elem.clear()
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, IndexError) as exc:
        raise BadExtract(path.name, [f"it is not a readable XLSX workbook ({exc})"]) from None


def _column_index(ref: str) -> int | None:
    letters = "".join(ch for ch in ref if ch.isalpha())
    if not letters:
        return None
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _relation(path: Path, tmp: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return f"read_parquet({_quote(str(path))})"
    if suffix in (".csv", ".txt"):
        # Numbers or text, never a guess of true/false or a date: a sex column of only F is Female, not false.
        return (f"read_csv({_quote(str(path))}, header=true, sample_size=20480, "
                "auto_type_candidates=['BIGINT', 'DOUBLE', 'VARCHAR'])")
    if suffix == ".xlsx":
        out = tmp / "sheet.csv"
        _xlsx_to_csv(path, out)
        return f"read_csv({_quote(str(out))}, header=true, all_varchar=true)"
    raise BadExtract(path.name, [f"its type '{suffix or '(none)'}' is not one selfassess reads, expected .csv, .xlsx or .parquet"])


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """--map COLUMN=FIELD pairs, as {column in the file: field selfassess reads}."""
    out: dict[str, str] = {}
    for pair in pairs:
        column, sep, name = pair.partition("=")
        if not sep or not column.strip() or not name.strip():
            raise InvalidInput(f"--map '{pair}' is not COLUMN=FIELD, expected for example --map imd=imd_decile")
        out[column.strip()] = name.strip()
    return out


def read_extract(path: Path, iset: IndicatorSet, *, period: str | None = None,
                 mapping: Mapping[str, str] | None = None, default_period: str | None = None) -> Extract:
    """Read, check and aggregate an extract. Refuses (BadExtract) with every reason found. The period is
    the file's period column, or `period`, or (when the file has none) `default_period`."""
    import duckdb

    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file, expected an extract (.csv, .xlsx or .parquet)")
    if path.stat().st_size > MAX_BYTES:
        raise BadExtract(path.name, [f"it is {path.stat().st_size:,} bytes, expected at most {MAX_BYTES:,}"])
    digest = file_sha256(path)
    mapping = dict(mapping or {})
    with tempfile.TemporaryDirectory(prefix="selfassess-extract-") as tmp:
        os.chmod(tmp, 0o700)
        con = duckdb.connect(config={"threads": 2, "memory_limit": "400MB", "temp_directory": tmp})
        con.execute("SET enable_progress_bar = false")  # nothing but our own words reaches the terminal
        try:
            try:
                con.execute(f"CREATE VIEW src AS SELECT * FROM {_relation(path, Path(tmp))}")
                described = con.execute("DESCRIBE src").fetchall()
            except duckdb.Error as exc:
                raise BadExtract(path.name, [f"it could not be read: {str(exc).splitlines()[0]}"]) from None
            found = [str(r[0]) for r in described]
            types = {str(r[0]): str(r[1]) for r in described}
            missing_maps = [c for c in mapping if c not in found]
            if missing_maps:
                raise BadExtract(path.name, [f"--map names the column '{c}', which is not in the file (columns found: "
                                             f"{', '.join(found)})" for c in missing_maps])
            fields = {mapping.get(c, c).strip().lower(): c for c in found}
            reasons = _nhs_number_columns(con, found)
            if reasons:
                raise BadExtract(path.name, reasons)
            if all(f in fields for f in AGGREGATED):
                extract = _aggregated(con, path.name, digest, fields, iset, period, default_period)
            else:
                extract = _row_level(con, path.name, digest, fields, types, found, iset, period, default_period)
        finally:
            con.close()
    return extract


def _nhs_number_columns(con: Any, found: list[str]) -> list[str]:
    """Columns that look like NHS numbers, from the first 10,000 rows (enough to see a column of them):
    DuckDB counts the ten-digit values, and only a column mostly of them has its check digits tested."""
    con.execute("CREATE TEMP TABLE sample AS SELECT * FROM src LIMIT 10000")
    pattern = "'^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$'"
    counts = con.execute("SELECT " + ", ".join(
        f"COUNT({_ident(c)}), COUNT(*) FILTER (WHERE regexp_matches(TRIM(CAST({_ident(c)} AS VARCHAR)), {pattern}))"
        for c in found) + " FROM sample").fetchone()
    reasons = []
    for i, c in enumerate(found):
        filled, ten_digits = counts[2 * i], counts[2 * i + 1]
        if ten_digits * 2 <= filled:
            continue
        values = [r[0] for r in con.execute(f"SELECT CAST({_ident(c)} AS VARCHAR) FROM sample").fetchall()]
        if looks_like_nhs_numbers(values):
            reasons.append(f"the column '{c}' looks like NHS numbers (ten digits passing the modulus 11 check): remove "
                           "patient identifiers from the extract, selfassess stores only aggregates")
    return reasons


def _count(value: Any) -> int | None:
    """A count: a whole number of zero or more, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = _text(value)
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0 or not number.is_integer():
        return None
    return int(number)


def _single_period(values: list[str], given: str | None, file_name: str, default: str | None = None) -> str:
    periods = sorted({v for v in values if v})
    if given:
        if periods and periods != [given]:
            raise BadExtract(file_name, [f"the file is for {', '.join(periods)} but --period says {given}, expected them to agree"])
        return _period_text(given, file_name)
    if len(periods) > 1:
        raise BadExtract(file_name, [f"the file mixes periods ({', '.join(periods[:6])}), expected one period per import"])
    if not periods and default:
        return _period_text(default, file_name)
    if not periods:
        raise BadExtract(file_name, ["the file has no period column, expected one or --period P"])
    return _period_text(periods[0], file_name)


def _period_text(period: str, file_name: str) -> str:
    """A period as the extract or --period writes it ('2025/26', '2025-Q3'): short, printable text."""
    if len(period) > 40 or not period.isprintable():
        raise BadExtract(file_name, [f"the period '{period[:40]}' is not a short line of text, expected one such as 2025/26"])
    return period


def _aggregated(con: Any, file_name: str, digest: str, fields: dict[str, str], iset: IndicatorSet,
                period: str | None, default_period: str | None = None) -> Extract:
    names = [*AGGREGATED, *(f for f in AGG_OPTIONAL if f in fields)]
    rows = con.execute("SELECT " + ", ".join(f"CAST({_ident(fields[n])} AS VARCHAR)" for n in names) + " FROM src").fetchall()
    reasons: list[str] = []
    known = {i.id: i for i in iset.indicators}
    ages = iset.age_labels()
    sums: dict[tuple[str, str, str, int | None], list[int]] = defaultdict(lambda: [0, 0])
    unknown: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    periods: list[str] = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        rec = dict(zip(names, row, strict=True))
        if len(reasons) >= 20:
            reasons.append("and more: fix these first")
            break
        iid = _text(rec["indicator"])
        if iid not in known:
            reasons.append(f"row {line}: unknown indicator '{iid}', expected one of the set {iset.key}")
            continue
        dim = _text(rec["dimension"]).lower()
        if dim not in DIMENSIONS:
            reasons.append(f"row {line}: unknown dimension '{dim}', expected one of: {', '.join(DIMENSIONS)}")
            continue
        raw_group = _text(rec["group"])
        group: str | None
        if dim == DEPRIVATION:
            group = quintile_from(raw_group, decile=False)
            if group is None:
                reasons.append(f"row {line}: IMD quintile '{raw_group}' is not one of 1 to 5 (or Not known)")
                continue
        elif dim == ETHNICITY:
            group = ethnic_group(raw_group)
        elif dim == SEX:
            group = sex_group(raw_group)
        else:
            group = raw_group if raw_group in ages else (NOT_KNOWN if raw_group.upper() in ("", NOT_KNOWN.upper()) else None)
        if group is None:
            unknown[dim][raw_group] += 1
            group = NOT_KNOWN
        num, den = _count(rec["numerator"]), _count(rec["denominator"])
        for what, value, got in (("numerator", rec["numerator"], num), ("denominator", rec["denominator"], den)):
            if got is None:
                reasons.append(f"row {line}: {what} '{_text(value)}' is not a count, expected a whole number of 0 or more")
        if num is None or den is None:
            continue
        if num > den and known[iid].measure == "proportion":
            reasons.append(f"row {line}: numerator {num} is above the denominator {den}")
            continue
        band: int | None = None
        if known[iid].measure == "dsr":
            band = _band(rec.get("age_band"))
            if band is None:
                reasons.append(f"row {line}: {iid} is a directly age-standardised rate, expected an age_band column with "
                               f"its 5-year band (0-4, 5-9, ... 90+), found '{_text(rec.get('age_band'))}'")
                continue
        periods.append(_text(rec.get("period")))
        cell = sums[(iid, dim, group, band)]
        cell[0] += num
        cell[1] += den
    if reasons:
        raise BadExtract(file_name, reasons)
    chosen = _single_period(periods, period, file_name, default_period)
    extract = Extract(file_name, digest, len(rows), "aggregated", chosen,
                      unknown_codes={d: dict(c) for d, c in unknown.items()})
    for (iid, dim, group, band), (num, den) in sums.items():
        extract.cells.setdefault(iid, []).append(Cell(dim, group, band, num, den))
    _check_totals(extract, file_name)
    return extract


def _check_totals(extract: Extract, file_name: str) -> None:
    """Each breakdown of an indicator must add up to the same total, or a group is missing."""
    reasons = []
    for iid, cells in extract.cells.items():
        totals: dict[str, tuple[int, int]] = {}
        for c in cells:
            n, d = totals.get(c.dimension, (0, 0))
            totals[c.dimension] = (n + c.numerator, d + c.denominator)
        if len(set(totals.values())) > 1:
            said = "; ".join(f"by {dim} {n:,}/{d:,}" for dim, (n, d) in totals.items())
            reasons.append(f"{iid}: the breakdowns do not add up to the same total ({said}), expected every group, "
                           "including not known, in each breakdown")
    if reasons:
        raise BadExtract(file_name, reasons)


def _row_level(con: Any, file_name: str, digest: str, fields: dict[str, str], types: dict[str, str],
               found: list[str], iset: IndicatorSet, period: str | None, default_period: str | None = None) -> Extract:
    known = {i.id: i for i in iset.indicators}
    measures = [f for f in fields if f in known]
    if not measures:
        agg_missing = [f for f in AGGREGATED if f not in fields]
        raise BadExtract(file_name, [
            "it has neither the aggregated columns (" + ", ".join(AGGREGATED) + f"; missing {', '.join(agg_missing)}) "
            "nor a row-level measure column named after an indicator of the set (such as "
            f"'{iset.indicators[0].id}'); columns found: {', '.join(found)}. Rename with --map COLUMN=FIELD"])
    reasons: list[str] = []
    imd_field = "imd_quintile" if "imd_quintile" in fields else "imd_decile"
    needs = {d for m in measures for d in known[m].breakdowns}
    wanted = {DEPRIVATION: imd_field, ETHNICITY: "ethnic_category", AGE: "age", SEX: "sex"}
    for dim in DIMENSIONS:
        if dim in needs and wanted[dim] not in fields:
            name = "imd_decile or imd_quintile" if dim == DEPRIVATION else wanted[dim]
            reasons.append(f"the column '{name}' is missing (needed for the {dim} breakdown); columns found: "
                           f"{', '.join(found)}. Rename with --map COLUMN={wanted[dim]}")
    dims = [d for d in DIMENSIONS if wanted[d] in fields]
    if AGE not in dims and any(known[m].measure == "dsr" for m in measures):
        reasons.append("the column 'age' is missing, expected it for a directly age-standardised rate")
    if reasons:
        raise BadExtract(file_name, reasons)
    keys = [fields[wanted[d]] for d in dims] + ([fields["period"]] if "period" in fields else [])
    select = [_ident(k) for k in keys]  # as typed: a decile read as 3.0 is still decile 3
    checks: list[str] = []
    for m in measures:
        col = _ident(fields[m])
        den_field = f"{m}.denominator"
        dcol = _ident(fields[den_field]) if den_field in fields else None
        value = col if _numeric(types[fields[m]]) else f"TRY_CAST({col} AS DOUBLE)"
        select.append(f"SUM({value})")
        checks += [f"MIN({value})", f"BOOL_OR({value} <> TRUNC({value}))",
                   f"COUNT(*) FILTER (WHERE {col} IS NOT NULL AND {value} IS NULL)" if value != col else "0"]
        if dcol is not None:
            dvalue = dcol if _numeric(types[fields[den_field]]) else f"TRY_CAST({dcol} AS DOUBLE)"
            select.append(f"SUM({dvalue})")
            checks += [f"MIN({dvalue})", f"BOOL_OR({dvalue} <> TRUNC({dvalue}))",
                       f"COUNT(*) FILTER (WHERE {dcol} IS NOT NULL AND {dvalue} IS NULL)" if dvalue != dcol else "0",
                       f"BOOL_OR({value} > {dvalue})" if known[m].measure == "proportion" else "false"]
        else:
            if known[m].measure in ("crude_rate", "dsr"):
                raise BadExtract(file_name, [f"{m} is a rate over a population, expected a '{m}.denominator' column "
                                             "with the population of each row's group"])
            select.append("COUNT(*)")
            checks.append(f"BOOL_OR({value} > 1)" if known[m].measure == "proportion" else "false")
    # One pass over the file: group by the raw codes (a few thousand combinations at most), with the
    # checks alongside; then, in DuckDB, each breakdown's groups by age from that small table.
    combine = ["MIN" if c.startswith("MIN(") else "BOOL_OR" if c.startswith("BOOL_OR(") or c == "false" else "SUM"
               for c in checks]
    inner = (", ".join([*(f"{sel} AS k{i}" for i, sel in enumerate(select[:len(keys)])),
                        *(f"{sel} AS s{i}" for i, sel in enumerate(select[len(keys):])),
                        *(f"{c} AS c{i}" for i, c in enumerate(checks)), "COUNT(*) AS n"]))
    group_by = " GROUP BY " + ", ".join(f"k{i}" for i in range(len(keys))) if keys else ""
    nm = len(select) - len(keys)
    age_key = f"k{dims.index(AGE)}" if AGE in dims else None
    try:
        con.execute(f"CREATE TEMP TABLE g AS SELECT {inner} FROM src{group_by}")
        overall = con.execute("SELECT " + ", ".join([*(f"{fn}(c{i})" for i, fn in enumerate(combine)), "SUM(n)"])
                              + " FROM g").fetchone()
        periods = {_text(r[0]) for r in con.execute(f"SELECT DISTINCT k{len(keys) - 1} FROM g").fetchall()} \
            if "period" in fields else set()
        sums_sql = ", ".join(f"SUM(s{i})" for i in range(nm))
        per_dim: dict[str, list[Any]] = {}
        for i, d in enumerate(dims):
            by = f"k{i}" + (f", {age_key}" if age_key and age_key != f"k{i}" else "")
            per_dim[d] = con.execute(f"SELECT k{i}, {age_key or 'NULL'}, {sums_sql}, SUM(n) FROM g GROUP BY {by}").fetchall()
    except Exception as exc:
        raise BadExtract(file_name, [f"it could not be aggregated: {str(exc).splitlines()[0]}"]) from None
    rows = int(overall[-1] or 0)
    bad: set[str] = set()
    flag_i = 0
    for m in measures:
        has_den = f"{m}.denominator" in fields
        parts = [("numerator", fields[m])] + ([("denominator", fields[f"{m}.denominator"])] if has_den else [])
        for what, col in parts:
            low, fractional, unreadable = overall[flag_i:flag_i + 3]
            flag_i += 3
            if unreadable:
                bad.add(f"the {what} column '{col}' has {int(unreadable):,} value(s) that are not numbers")
            if low is not None and low < 0:
                bad.add(f"the {what} column '{col}' has negative counts (lowest {low:g})")
            if fractional:
                bad.add(f"the {what} column '{col}' has fractional counts, expected whole numbers")
        if overall[flag_i]:
            bad.add(f"{m}: a numerator is above its denominator on some rows"
                    + ("" if has_den else f" (a row-level '{m}' column counts 0 or 1 for each row)"))
        flag_i += 1
    unknown: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sums: dict[tuple[str, str, str, int | None], list[float]] = defaultdict(lambda: [0.0, 0.0])
    memo: dict[tuple[str, Any], tuple[str, int | None]] = {}

    def group_of(d: str, raw: Any, n: int, count_unknown: bool) -> tuple[str, int | None]:
        key = (d, raw)
        found = memo.get(key)
        if found is None:
            g: str | None
            band: int | None = None
            if d == DEPRIVATION:
                g = quintile_from(raw, decile=imd_field == "imd_decile")
                if g is None:
                    scale = "decile 1 to 10" if imd_field == "imd_decile" else "quintile 1 to 5"
                    bad.add(f"the column '{fields[imd_field]}' has the value '{_text(raw)}', expected an IMD {scale}")
                    g = NOT_KNOWN
            elif d == ETHNICITY:
                g = ethnic_group(raw)
            elif d == SEX:
                g = sex_group(raw)
            else:
                aged = age_group(raw, iset)
                g, band = aged if aged is not None else (None, None)
            found = (g if g is not None else "", band)
            memo[key] = found
        if found[0] == "":
            if count_unknown:
                unknown[d][_text(raw)] += n
            return NOT_KNOWN, None
        return found

    dsr = {m for m in measures if known[m].measure == "dsr"}
    for d, result in per_dim.items():
        for r in result:
            raw, age_raw, values, n = r[0], r[1], r[2:-1], int(r[-1])
            group, own_band = group_of(d, raw, n, count_unknown=False)
            band = own_band if d == AGE else (group_of(AGE, age_raw, n, False)[1] if age_key else None)
            for j, m in enumerate(measures):
                if d not in known[m].breakdowns:
                    continue
                if m in dsr and band is None:
                    bad.add(f"{m} is a directly age-standardised rate, expected an age on every row")
                cell = sums[(m, d, group, band if m in dsr else None)]
                cell[0] += values[2 * j] or 0
                cell[1] += values[2 * j + 1] or 0
        # unknown codes, counted once per row of the file
        for raw, total in _totals(result).items():
            group_of(d, raw, total, count_unknown=True)
    problems = sorted(bad)
    if problems:
        raise BadExtract(file_name, problems)
    chosen = _single_period(sorted(periods), period, file_name, default_period)
    extract = Extract(file_name, digest, rows, "row-level", chosen, unknown_codes={d: dict(c) for d, c in unknown.items()})
    for (m, d, g, band), (num, den) in sums.items():
        extract.cells.setdefault(m, []).append(Cell(d, g, band, int(num), int(den)))
    return extract


def _totals(result: list[Any]) -> dict[Any, int]:
    out: dict[Any, int] = defaultdict(int)
    for r in result:
        out[r[0]] += int(r[-1])
    return out


def _numeric(duck_type: str) -> bool:
    return duck_type.upper() in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                                 "UINTEGER", "UBIGINT", "DOUBLE", "FLOAT", "REAL") or duck_type.upper().startswith("DECIMAL")
