"""Departments' monthly files compared with the registry (数据比对): read, check, match, warn.

A department (医保, 教育, 住建 ...) sends one file a month: one row per person, the ID
number, the month and the columns declared for its source (`source_column`). The import

1. reads the file (.csv in UTF-8 or GB18030, or .xlsx) into text columns;
2. checks the headers against the declaration - an unknown or a missing required column, an
   empty file or a file of another month fails the whole file, naming what is wrong;
3. checks every row (vectorised: a million rows are routine): a bad ID number, a bad month,
   a bad number or the same person twice makes the row invalid - listed, counted, not fatal;
4. matches the valid rows to the active members of active households by ID number (the
   registry read once into a frame and merged; the unmatched are counted and listed masked);
5. evaluates every active rule fed by the source's indicators (domain/monitoring.evaluate)
   and writes the warnings (warning_writer.write: new ones only, so re-importing a file
   raises nothing new);
6. stores the batch (counts, the first MAX_REPORTED_ERRORS errors, the unmatched rows, the
   file's SHA-256 and the earlier batch it repeats) and one audit entry.

All of it is in the caller's unit of work; a failed file writes nothing (the page then calls
`record_failed_batch` in a new transaction so the batch list shows failures too).
Who: monitoring.import - the county's civil-affairs and agriculture offices.
"""

import csv
import hashlib
import io
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, select
from sqlmodel import Session, col
from xlsxwriter.utility import xl_col_to_name

from ..db.frames import read_frame
from ..db.tables import DataSource, Household, ImportBatch, Member, User
from ..db.timeutil import china_text
from ..domain import areas
from ..domain import monitoring as rules
from ..domain.errors import NotFound, PermissionDenied, ValidationError
from ..domain.masking import mask_id_number
from ..domain.permissions import Actor, require
from . import audit, monitoring_rules, spreadsheets, warning_writer
from .households import today_in_china

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_XLSX_ROWS = 1_048_576  # Excel's own limit; xlsx_reach refuses a sheet claiming more
# Enough to show what is wrong with a file; the counts cover the rest.
MAX_REPORTED_ERRORS = 1000
EXTENSIONS = (".csv", ".xlsx")

ProgressFn = Callable[[int, int], None]
Error = tuple[int, str, str]  # (row as the user sees it: 1 = header, 0 = the whole file; column; reason)

MSG_NO_SOURCE = "数据来源“{code}”不存在或已停用"
MSG_TOO_BIG = "文件“{name}”有 {size}，超过上限 {limit}，请分成几个文件导入"
MSG_XLS = "文件“{name}”是旧版 Excel（.xls）格式，请在 Excel 中“另存为” .xlsx 或 .csv 后再导入"
MSG_NOT_TABLE = "文件“{name}”不是表格文件，请上传 .xlsx 或 .csv 文件"
MSG_EMPTY = "文件“{name}”是空文件"
MSG_NO_ROWS = "文件“{name}”中没有数据行（只有表头）"
MSG_BAD_CSV = "文件“{name}”不是有效的 CSV 文件：{detail}"
MSG_HEADERS = "文件的列与数据来源“{source}”的声明不符：{problems}。应有的列：{expected}"
MSG_WRONG_MONTH = "文件数据月份为 {found}，与所选月份 {chosen} 不符"
MSG_NO_PERIOD = "请选择数据所属月份"
MSG_FUTURE_PERIOD = "不能导入尚未结束的月份：所选月份 {chosen} 晚于本月（{current}），请选择本月或之前的月份"


def month_text(day: date) -> str:
    return f"{day.year}年{day.month}月"


@dataclass
class BatchReport:
    """What an import did, or why it did nothing (`failed`).

    `errors` are (row, column header, reason) - row 1 is the header row, row 0 the file as a
    whole - at most MAX_REPORTED_ERRORS of them, in row order; `error_count` counts them all.
    `unmatched_rows` are (row, ID number masked), at most MAX_REPORTED_ERRORS.
    """

    source_code: str
    period: date | None
    filename: str
    rows_read: int = 0
    matched: int = 0
    unmatched: int = 0
    invalid: int = 0
    warnings_raised: int = 0
    errors: list[Error] = field(default_factory=list)
    error_count: int = 0
    unmatched_rows: list[tuple[int, str]] = field(default_factory=list)
    message: str = ""
    failed: bool = False
    batch_id: int | None = None
    same_file_as: int | None = None
    seconds: float = 0.0
    file_sha256: str = ""  # kept so record_failed_batch can store it


class _FileRefused(Exception):
    """The whole file cannot be used: the message, and the errors to list (may be empty)."""

    def __init__(self, message: str, errors: list[Error] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or [(0, "", message)]


def _require_county(actor: Actor) -> None:
    require(actor, "monitoring.import")
    # Comparing a file reads the whole county's registry: county offices only - an account
    # holding the role but no area is a misconfiguration, not a county office.
    if not actor.area_code or areas.level_of(actor.area_code) != areas.COUNTY:
        raise PermissionDenied()


# --- reading ----------------------------------------------------------------------------------

def read_table(filename: str, data: bytes) -> tuple[list[str], pd.DataFrame]:
    """The header (stripped) and the data rows as a frame of text columns 0..n-1 (row i of
    the frame is row i + 2 as the user sees it; blank rows are kept as ""). Raises _FileRefused.

    Columns are object arrays of Python str, worked on with numpy and comprehensions: pandas'
    string dtype pays for missing-value handling on every .str call, several times over a
    million rows, and these columns have no missing values (a blank cell is "")."""
    name = (filename or "").strip()
    lower = name.lower()
    if len(data) > MAX_UPLOAD_BYTES:
        raise _FileRefused(MSG_TOO_BIG.format(name=name, size=spreadsheets.size_text(len(data)),
                                              limit=spreadsheets.size_text(MAX_UPLOAD_BYTES)))
    if lower.endswith(".xls"):
        raise _FileRefused(MSG_XLS.format(name=name))
    if not lower.endswith(EXTENSIONS):
        raise _FileRefused(MSG_NOT_TABLE.format(name=name))
    if not data or not data.strip():
        raise _FileRefused(MSG_EMPTY.format(name=name))
    if lower.endswith(".xlsx"):
        try:
            header, rows = spreadsheets.read_rows(name, data, max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_XLSX_ROWS)
        except spreadsheets.SpreadsheetCellError as exc:
            raise _FileRefused(exc.message, list(exc.cells)) from None
        except ValidationError as exc:
            raise _FileRefused(exc.message) from None
        frame = pd.DataFrame(rows, columns=range(len(header)), dtype=object) if rows else pd.DataFrame()
        return [h.strip() for h in header], frame
    table = _read_csv(name, data)
    if table.empty:
        raise _FileRefused(MSG_EMPTY.format(name=name))
    header = [str(h).strip().lstrip("\ufeff") for h in table.iloc[0].tolist()]
    frame = table.iloc[1:].reset_index(drop=True)
    # Trailing blank rows (an editor's last empty lines) are not rows.
    filled = _filled_rows(frame)
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    if last == 0:
        raise _FileRefused(MSG_NO_ROWS.format(name=name))
    return header, frame.iloc[:last]


def _cells(frame: pd.DataFrame, column) -> np.ndarray:
    return frame[column].to_numpy(dtype=object)


def _filled_rows(frame: pd.DataFrame) -> np.ndarray:
    filled = np.zeros(len(frame), dtype=bool)
    for column in frame.columns:
        filled |= _cells(frame, column) != ""
    return filled


def _read_csv(name: str, data: bytes) -> pd.DataFrame:
    # Decoding (encodings tried, binary refused) and the delimiter are spreadsheets' so every
    # CSV import reads a file the same way; only the parsing is pandas' (a million rows).
    try:
        text = spreadsheets.decode_text(name, data)
    except ValidationError as exc:
        raise _FileRefused(exc.message) from None
    try:
        return pd.read_csv(io.StringIO(text), header=None, dtype=object, keep_default_na=False,
                           na_filter=False, skip_blank_lines=False, sep=spreadsheets.csv_delimiter(text),
                           quoting=csv.QUOTE_MINIMAL)
    except pd.errors.EmptyDataError:
        raise _FileRefused(MSG_EMPTY.format(name=name)) from None
    except (pd.errors.ParserError, ValueError) as exc:
        detail = str(exc).replace("Error tokenizing data. C error: ", "")
        if "Expected" in detail and "fields in line" in detail:
            parts = detail.split()
            try:
                expected, line, saw = parts[1], parts[5].rstrip(","), parts[7]
                detail = f"第 {line} 行有 {saw} 列，多于表头的 {expected} 列（逗号或引号可能有误）"
            except IndexError:
                pass
        raise _FileRefused(MSG_BAD_CSV.format(name=name, detail=detail)) from None


# --- checking ---------------------------------------------------------------------------------

@dataclass
class _Declared:
    source: DataSource
    columns: list  # SourceColumn rows

    @property
    def expected(self) -> list[str]:
        headers = [self.source.id_header]
        if self.source.period_header:
            headers.append(self.source.period_header)
        return headers + [c.header for c in self.columns if c.header not in headers]

    @property
    def required(self) -> list[str]:
        headers = [self.source.id_header] + ([self.source.period_header] if self.source.period_header else [])
        return headers + [c.header for c in self.columns if c.required and c.header not in headers]

    @property
    def indicators(self) -> set[str]:
        return {c.indicator for c in self.columns if c.kind != "ignore" and c.indicator}


def _check_headers(declared: _Declared, header: list[str], frame: pd.DataFrame) -> dict[str, int]:
    """Header -> column index; raises _FileRefused naming unknown, missing and repeated columns."""
    expected = declared.expected
    known = set(expected)
    position: dict[str, int] = {}
    unknown, repeated, errors = [], [], []
    for index, name in enumerate(header):
        if not name:
            if (_cells(frame, index) != "").any():
                label = f"第 {xl_col_to_name(index)} 列"
                unknown.append(f"{label}（无列名）")
                errors.append((1, label, "该列没有列名，无法识别；请补上列名或删除该列的内容"))
            continue
        if name not in known:
            unknown.append(name)
            errors.append((1, name, f"无法识别的列“{name}”"))
        elif name in position:
            repeated.append(name)
            errors.append((1, name, "列名重复"))
        else:
            position[name] = index
    missing = [h for h in declared.required if h not in position]
    errors += [(1, h, "缺少必填列") for h in missing]
    if errors:
        problems = []
        if unknown:
            problems.append("无法识别的列：" + "、".join(unknown))
        if missing:
            problems.append("缺少必填列：" + "、".join(missing))
        if repeated:
            problems.append("列名重复：" + "、".join(repeated))
        raise _FileRefused(MSG_HEADERS.format(source=declared.source.name, problems="；".join(problems),
                                              expected="、".join(expected)), errors)
    return position


class _RowErrors:
    """Row-level problems, collected as masks: counts exact, details kept for the first rows."""

    def __init__(self, n: int):
        self.invalid = np.zeros(n, dtype=bool)
        self.count = 0
        self.listed: list[Error] = []

    def add(self, mask: np.ndarray, column: str, reason) -> None:
        """`reason`: a text, or a function of the row indexes giving one text per row."""
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        self.invalid[rows] = True
        self.count += len(rows)
        shown = rows[:MAX_REPORTED_ERRORS]
        reasons = reason(shown) if callable(reason) else [reason] * len(shown)
        self.listed.extend((int(i) + 2, column, text) for i, text in zip(shown, reasons, strict=True))

    def first(self) -> list[Error]:
        self.listed.sort(key=lambda e: e[0])
        return self.listed[:MAX_REPORTED_ERRORS]


def _normalised_ids(cells: np.ndarray) -> np.ndarray:
    """ID numbers stripped and upper-cased (a lower-case x is common). Exports also keep long
    numbers as text with a leading apostrophe or with spaces inside; those few (not 18
    characters once stripped) are cleaned one by one."""
    ids = np.empty(len(cells), dtype=object)
    ids[:] = list(map(str.upper, map(str.strip, cells)))
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    for i in np.flatnonzero(lengths != 18):
        ids[i] = ids[i].lstrip("'").replace(" ", "").replace("\u3000", "")
    return ids


def _by_distinct(cells: np.ndarray, fn, dtype=object) -> np.ndarray:
    """fn applied once per distinct cell (a column of a few values: months, flags, blanks)."""
    codes, uniques = pd.factorize(cells)
    mapped = np.empty(len(uniques), dtype=dtype)
    mapped[:] = [fn(u) for u in uniques]
    return mapped[codes]


_MONEY_NOISE = re.compile(r"[,，元\s]")


def _number_or_bad(text: str) -> tuple[float, bool]:
    """A cell pandas could not read as a finite number: (NaN, False) when blank, (the number,
    False) once "12,345.00" or "300元" is cleaned, else (NaN, True) - "NaN", "inf" and
    "Infinity" included: they are no amount, and a blank would hide the department's error."""
    t = _MONEY_NOISE.sub("", text)
    if not t:
        return np.nan, False
    try:
        value = float(t)
    except ValueError:
        return np.nan, True
    return (value, False) if math.isfinite(value) else (np.nan, True)


def _numbers(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values as float, NaN where empty; bad non-empty mask; negative mask)."""
    values = np.array(pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce"), dtype=float)  # a writable copy
    bad = np.zeros(len(cells), dtype=bool)
    # pandas reads "inf" as a number and "NaN" as missing: both go to _number_or_bad, which refuses them
    missing = np.flatnonzero(~np.isfinite(values))
    if missing.size:  # blank cells (often most of an optional column) and the odd formatted one
        codes, uniques = pd.factorize(cells[missing])
        parsed = [_number_or_bad(u) for u in uniques]
        values[missing] = np.array([v for v, _ in parsed], dtype=float)[codes]
        bad[missing] = np.array([b for _, b in parsed], dtype=bool)[codes]
    with np.errstate(invalid="ignore"):
        negative = values < 0
    return values, bad, negative


def _flags(cells: np.ndarray, true_values: str) -> np.ndarray:
    words = set(true_values.split())
    if "*" in words or not words:
        return _by_distinct(cells, lambda c: bool(c.strip()), bool)
    return _by_distinct(cells, lambda c: c.strip() in words, bool)


# --- the registry ----------------------------------------------------------------------------

REGISTRY_COLUMNS = ["member_id", "id_number", "member_name", "birth_date", "labour_capacity", "household_id",
                    "tags", "area_code"]


def registry_frame(session: Session) -> pd.DataFrame:
    """Every active member of an active household, with what the rules need: one query, read
    through the raw cursor (db/frames.py) with one vectorised date parse afterwards."""
    query = (select(Member.id, Member.id_number, Member.name, cast(Member.birth_date, String),
                    Member.labour_capacity, Member.household_id, Household.current_tags, Household.area_code)
             .join(Household, Household.id == Member.household_id)
             .where(col(Member.active).is_(True), Household.status == "active"))
    frame = read_frame(session, query, list(REGISTRY_COLUMNS))
    frame["birth_date"] = pd.to_datetime(frame["birth_date"].astype(object), format="ISO8601", errors="coerce")
    frame["member_id"] = frame["member_id"].astype("int64")
    frame["household_id"] = frame["household_id"].astype("int64")
    return frame


# --- the import ------------------------------------------------------------------------------

def _period(value) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    parsed = rules.parse_month(str(value or "").strip()) if value else None
    if parsed is None:
        raise ValidationError(MSG_NO_PERIOD)
    return parsed


def _declared(session: Session, source_code: str) -> _Declared:
    try:
        source, columns = monitoring_rules.source_columns(session, source_code)
    except NotFound:
        raise NotFound(MSG_NO_SOURCE.format(code=source_code)) from None
    if source is None or not source.active:
        raise NotFound(MSG_NO_SOURCE.format(code=source_code))
    return _Declared(source=source, columns=list(columns))


def import_department_file(session: Session, *, actor: Actor, source_code: str, period, filename: str,
                           data: bytes, today: date | None = None,
                           progress: ProgressFn | None = None) -> BatchReport:
    """Compare one department file with the registry and raise the warnings it shows.

    Who: monitoring.import (county civil affairs and agriculture). Refuses (PermissionDenied,
    NotFound for an unknown source, ValidationError for no month or a month after today's)
    before reading anything.
    A file that cannot be used (unreadable, wrong columns, empty, another month) returns a
    report with `failed` True and writes nothing. Otherwise adds the batch, the new warnings
    with their first events and the audit entries to the caller's transaction.
    """
    started = time.perf_counter()
    _require_county(actor)
    today = today or today_in_china()
    period = _period(period)
    if period > today.replace(day=1):
        # A month to come has no data yet: a file for it is a mistaken choice of month.
        raise ValidationError(MSG_FUTURE_PERIOD.format(chosen=month_text(period),
                                                       current=month_text(today)))
    declared = _declared(session, source_code)
    name = (filename or "").strip()[:200]
    report = BatchReport(source_code=source_code, period=period, filename=name)
    report.file_sha256 = hashlib.sha256(data).hexdigest()

    def tick(done: int) -> None:
        if progress:
            progress(done, 100)

    tick(0)
    try:
        header, frame = read_table(name, data)
        tick(20)
        position = _check_headers(declared, header, frame)
        checked = _check_rows(declared, position, frame, period, report, today)
    except _FileRefused as exc:
        report.failed = True
        report.message = exc.message
        report.errors = exc.errors[:MAX_REPORTED_ERRORS]
        report.error_count = len(exc.errors)
        report.seconds = round(time.perf_counter() - started, 3)
        return report
    tick(45)

    registry = registry_frame(session)
    tick(60)
    # The merge, as positions: each valid row's member in the registry frame (-1: none). The ID
    # numbers of active members are unique (the database's partial unique index), so this is
    # the inner merge plus the unmatched rows, without building a million-row joined frame.
    at = pd.Index(registry["id_number"]).get_indexer(checked["id_number"])
    found = at >= 0
    report.matched = int(found.sum())
    report.unmatched = int((~found).sum())
    lost = np.flatnonzero(~found)[:MAX_REPORTED_ERRORS]
    rows_of, ids_of = checked["_row"].to_numpy(), checked["id_number"].to_numpy()
    report.unmatched_rows = [(int(rows_of[i]), mask_id_number(ids_of[i])) for i in lost]
    people = registry.iloc[at[found]].reset_index(drop=True)
    for column in checked.columns:
        if column not in ("_row", "id_number"):
            people[column] = checked[column].to_numpy()[found]
    tick(70)

    earlier = session.execute(
        select(ImportBatch.id).where(ImportBatch.source_code == source_code, ImportBatch.period == period,
                                     ImportBatch.file_sha256 == report.file_sha256, ImportBatch.status == "done")
        .order_by(ImportBatch.id).limit(1)).scalar()
    report.same_file_as = earlier
    batch = ImportBatch(source_code=source_code, period=period, filename=name, file_sha256=report.file_sha256,
                        status="done", rows_read=report.rows_read, matched=report.matched,
                        unmatched=report.unmatched, invalid=report.invalid,
                        errors=json.dumps(report.errors, ensure_ascii=False),
                        unmatched_rows=json.dumps(report.unmatched_rows, ensure_ascii=False),
                        same_file_as=earlier, imported_by=actor.user_id)
    session.add(batch)
    session.flush()
    report.batch_id = batch.id

    raised = 0
    if len(people):
        area_of = people.drop_duplicates("household_id").set_index("household_id")["area_code"]
        for rule in monitoring_rules.active_rules(session, period, source_code=source_code,
                                                  indicators=declared.indicators):
            if rule.indicator not in people.columns:
                continue
            hits = rules.evaluate(rule, people, period)
            if hits.empty:
                continue
            hits = hits.assign(area_code=hits["household_id"].map(area_of))
            raised += warning_writer.write(session, hits=hits, rule=rule, period=period, source=source_code,
                                           batch_id=batch.id, actor=actor, today=today)
    tick(95)
    report.warnings_raised = raised
    report.message = _summary(report)
    report.seconds = round(time.perf_counter() - started, 3)
    batch.warnings_raised, batch.message, batch.seconds = raised, report.message[:500], report.seconds
    session.add(batch)
    audit.record(session, actor=actor, action="import", entity="import_batch", entity_id=batch.id,
                 new={"source": source_code, "period": period, "filename": name, "rows_read": report.rows_read,
                      "matched": report.matched, "unmatched": report.unmatched, "invalid": report.invalid,
                      "warnings_raised": raised, "same_file_as": earlier},
                 note=f"数据比对“{declared.source.name}”{month_text(period)}：{report.message}")
    session.flush()
    tick(100)
    return report


def _check_rows(declared: _Declared, position: dict[str, int], frame: pd.DataFrame, period: date,
                report: BatchReport, today: date) -> pd.DataFrame:
    """The valid rows as a frame (_row, id_number, one column per indicator); counts and
    errors go into `report`. Raises _FileRefused for a file of another month."""
    filled = _filled_rows(frame)
    n = len(frame)
    errors = _RowErrors(n)
    id_header = declared.source.id_header
    ids = _normalised_ids(_cells(frame, position[id_header]))
    empty_id = (ids == "") & filled
    errors.add(empty_id, id_header, "身份证号为空")
    good_id = rules.valid_id_mask(pd.Series(ids, dtype=object), today=today).to_numpy(dtype=bool) & filled
    bad_id = filled & ~empty_id & ~good_id
    # Masked like the unmatched ones: the error list is stored and downloaded.
    errors.add(bad_id, id_header,
               lambda rows: [f"身份证号“{mask_id_number(ids[i])}”格式或校验码错误" for i in rows])

    if declared.source.period_header:
        header = declared.source.period_header
        cells = _cells(frame, position[header])
        codes, uniques = pd.factorize(cells)
        parsed = [rules.parse_month(u.strip()) if u.strip() else None for u in uniques]
        months = np.array(parsed + [None], dtype=object)[:-1][codes]
        blank = np.array([not u.strip() for u in uniques], dtype=bool)[codes]
        no_month = filled & np.array([p is None for p in parsed], dtype=bool)[codes]
        of_period = filled & np.array([p == period for p in parsed], dtype=bool)[codes]
        other = filled & ~no_month & ~of_period
        if not (of_period & good_id).any() and (other & good_id).any():
            found = pd.Series(months[other & good_id]).value_counts().index[0]
            raise _FileRefused(MSG_WRONG_MONTH.format(found=month_text(found), chosen=month_text(period)))
        errors.add(no_month & blank, header, "月份为空")
        errors.add(no_month & ~blank, header, lambda rows: [f"无法识别的月份“{cells[i].strip()}”" for i in rows])
        errors.add(other, header, lambda rows: [
            f"数据月份为 {month_text(months[i])}，与所选月份 {month_text(period)} 不符" for i in rows])

    out = {"_row": np.arange(n) + 2, "id_number": ids}
    by_indicator: dict[str, np.ndarray] = {}
    for column in declared.columns:
        if column.kind == "ignore" or not column.indicator or column.header not in position:
            continue
        cells = _cells(frame, position[column.header])
        previous = by_indicator.get(column.indicator)
        if column.kind == "flag":
            values = _flags(cells, column.true_values)
            by_indicator[column.indicator] = values if previous is None else (previous | values)
            continue
        values, bad, negative = _numbers(cells)
        errors.add(bad & filled, column.header,
                   lambda rows, cells=cells, h=column.header: [f"“{h}”不是有效的数字：{cells[i].strip()}"
                                                              for i in rows])
        errors.add(negative & filled, column.header, f"“{column.header}”不能为负数")
        by_indicator[column.indicator] = values if previous is None else np.where(
            np.isnan(previous), values, np.nan_to_num(previous) + np.nan_to_num(values))
    out.update(by_indicator)

    # The same person twice: the second and later rows are invalid, naming the first. Only rows
    # valid otherwise count - a row already refused (another month, a bad number) is not the
    # person's row for this month, and must not make the good one a "repeat".
    candidates = np.flatnonzero(good_id & ~errors.invalid)
    repeated = pd.Series(ids[candidates], dtype=object).duplicated(keep="first").to_numpy()
    if repeated.any():
        again = candidates[repeated]
        twice = set(ids[again])
        first_row: dict[str, int] = {}
        for i in candidates[np.isin(ids[candidates], list(twice))]:
            first_row.setdefault(ids[i], int(i) + 2)
        dup = np.zeros(n, dtype=bool)
        dup[again] = True
        errors.add(dup, id_header, lambda rows: [f"与第 {first_row[ids[i]]} 行身份证号重复" for i in rows])

    valid = filled & ~errors.invalid
    report.rows_read = int(filled.sum())
    report.invalid = int((filled & errors.invalid).sum())
    report.errors = errors.first()
    report.error_count = errors.count
    keep = np.flatnonzero(valid)
    return pd.DataFrame({name: values[keep] for name, values in out.items()})


def _summary(report: BatchReport) -> str:
    text = (f"读取 {report.rows_read:,} 行：匹配在册人员 {report.matched:,} 人，未匹配 {report.unmatched:,} 行，"
            f"无效 {report.invalid:,} 行；新增预警 {report.warnings_raised:,} 条")
    if report.same_file_as:
        text += f"。该文件与第 {report.same_file_as} 批次相同，已有的预警不会重复产生"
    return text


def record_failed_batch(session: Session, *, actor: Actor, report: BatchReport) -> int:
    """Keep a failed import in the batch list (its message and errors); returns the batch id.
    The page calls it in a new unit of work after the failed import's was rolled back.
    Who: monitoring.import."""
    _require_county(actor)
    batch = ImportBatch(source_code=report.source_code[:32], period=report.period or today_in_china().replace(day=1),
                        filename=report.filename[:200], file_sha256=report.file_sha256, status="failed",
                        rows_read=report.rows_read, message=report.message[:500],
                        errors=json.dumps(report.errors[:MAX_REPORTED_ERRORS], ensure_ascii=False),
                        unmatched_rows="[]", seconds=report.seconds, imported_by=actor.user_id)
    session.add(batch)
    session.flush()
    audit.record(session, actor=actor, action="import", entity="import_batch", entity_id=batch.id,
                 new={"source": report.source_code, "period": report.period, "filename": report.filename,
                      "status": "failed"},
                 note=f"数据比对失败：{report.message}")
    return batch.id


# --- reads for the page -----------------------------------------------------------------------

STATUS_LABELS = {"done": "已完成", "failed": "失败"}


def _batch_dict(batch: ImportBatch, source_names: dict[str, str], user_names: dict[int, str]) -> dict:
    return {
        "id": batch.id,
        "source_code": batch.source_code,
        "source": source_names.get(batch.source_code, batch.source_code),
        "period": batch.period.isoformat(),
        "period_text": month_text(batch.period),
        "filename": batch.filename,
        "status": batch.status,
        "status_label": STATUS_LABELS.get(batch.status, batch.status),
        "failed": batch.status == "failed",
        "rows_read": batch.rows_read,
        "matched": batch.matched,
        "unmatched": batch.unmatched,
        "invalid": batch.invalid,
        "warnings_raised": batch.warnings_raised,
        "message": batch.message,
        "same_file_as": batch.same_file_as,
        "seconds": round(batch.seconds or 0, 1),
        "imported_by": user_names.get(batch.imported_by, "") if batch.imported_by else "",
        "created_at": china_text(batch.created_at),
    }


def _names(session: Session, batches: list[ImportBatch]) -> tuple[dict[str, str], dict[int, str]]:
    sources = dict(session.execute(select(DataSource.code, DataSource.name)).all())
    user_ids = {b.imported_by for b in batches if b.imported_by}
    users = dict(session.execute(select(User.id, User.display_name).where(col(User.id).in_(user_ids)))
                 .all()) if user_ids else {}
    return sources, users


def active_sources(session: Session, *, actor: Actor) -> list[dict]:
    """The sources a file can be imported for (code, name, department), by name. Who: monitoring.import."""
    _require_county(actor)
    rows = session.execute(select(DataSource.code, DataSource.name, DataSource.department)
                           .where(col(DataSource.active).is_(True)).order_by(DataSource.id)).all()
    return [{"code": code, "name": name, "department": department} for code, name, department in rows]


def batches(session: Session, *, actor: Actor, limit: int = 50) -> list[dict]:
    """The latest batches, newest first, as plain dicts for the page. Who: monitoring.import."""
    _require_county(actor)
    rows = list(session.execute(select(ImportBatch).order_by(col(ImportBatch.id).desc()).limit(limit)).scalars())
    sources, users = _names(session, rows)
    return [_batch_dict(b, sources, users) for b in rows]


def batch_detail(session: Session, *, actor: Actor, batch_id) -> dict:
    """One batch with its error rows and unmatched rows. Who: monitoring.import."""
    _require_county(actor)
    try:
        batch = session.get(ImportBatch, int(batch_id))
    except (TypeError, ValueError):
        batch = None
    if batch is None:
        raise NotFound("导入批次不存在")
    sources, users = _names(session, [batch])
    out = _batch_dict(batch, sources, users)
    out["errors"] = [{"row": str(r) if r else "", "column": c, "reason": why}
                     for r, c, why in json.loads(batch.errors or "[]")]
    out["unmatched_rows"] = [{"row": str(r), "id_number": i} for r, i in json.loads(batch.unmatched_rows or "[]")]
    return out
