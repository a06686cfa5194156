"""Registry import from Excel/CSV: all or nothing, with a row-by-row error report.

One row is one member; rows sharing a 户主身份证号 are one household (columns in
domain/import_columns.py). Every row is checked with the same rules as the forms
(domain/registry_input.py) and every error is collected - the user fixes the whole file
in one round - then, only if there is none, households and members are written with
bulk Core inserts and one audit entry.

Transactions: `import_registry` writes nothing until the whole file has passed, and the
caller's unit of work commits. A caller that gets a report with `ok` False must still
roll back (as cli.py's `_load_areas` does), so the rule holds even if a later change
writes before it checks; an exception rolls back through the unit of work as usual.

Speed (50,000 rows): one pass over the rows with no ORM objects, the areas read once,
one chunked IN query for the ID numbers already registered, Core executemany inserts.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from stdnum.cn import ric
from xlsxwriter.utility import xl_col_to_name

from ..db.tables import Area, Household, Member
from ..db.timeutil import utcnow
from ..domain import areas as area_codes
from ..domain import registry as codes
from ..domain import registry_input
from ..domain.errors import ValidationError
from ..domain.import_columns import (
    COLUMNS,
    HEADERS,
    HOUSEHOLD_KEYS,
    VALUE_ALIASES,
    H,
    ImportColumn,
    column_for_message,
    match_headers,
)
from ..domain.permissions import Actor, Scope, in_scope, require
from . import audit, spreadsheets
from .spreadsheets import SpreadsheetCellError
from .workbook_writer import workbook_bytes

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Enough to show what is wrong with a file; past this the report says how many more.
MAX_REPORTED_ERRORS = 1000
ID_CHUNK = 2000           # ID numbers per IN (...) query; far below SQLite's variable limit
_INSERT_CHUNK = 5000      # rows per executemany, so progress moves during the insert
_PROGRESS_EVERY = 2000    # rows between progress calls while checking

ProgressFn = Callable[[int, int], None]

Error = tuple[int, str, str]  # (row as the user sees it; 1 = header, 0 = the whole file; column; reason)

_MEMBER_HEADERS = tuple(c.header for c in COLUMNS if c.key in (
    "id_number", "name", "relation", "sex", "birth_date", "labour_capacity", "health",
    "disability_type", "disability_grade", "employment", "schooling", "medical_insurance"))
_NOT_IN_SCHOOL = ("", "dropped_out")


@dataclass
class ImportReport:
    """What an import did, or why it did nothing.

    `errors` are (row, column header, reason): row 1 is the header row, row 0 the file as a
    whole; at most MAX_REPORTED_ERRORS of them, then one “另有 N 处错误未列出” line.
    `households`/`members` count what was written (0 when not ok).
    """

    filename: str = ""
    households: int = 0
    members: int = 0
    errors: list[Error] = field(default_factory=list)
    error_count: int = 0  # all errors found, including those not listed
    first_household_id: int | None = None
    last_household_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# --- the template --------------------------------------------------------------------

def _example_id(birth: str, sequence: str) -> str:
    body = "500231" + birth + sequence
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18 characters


_EXAMPLE_HEAD = _example_id("19680312", "011")
_EXAMPLE_ROWS = [
    ["新民镇", "凤凰村", "新民镇凤凰村3组12号", "13800000000", "重庆农村商业银行垫江支行", "6228480000000000000",
     _EXAMPLE_HEAD, "张大山", _EXAMPLE_HEAD, "户主", "男", "1968-03-12", "部分劳动能力", "长期慢性病",
     "", "", "务农", "", "是"],
    ["新民镇", "凤凰村", "新民镇凤凰村3组12号", "13800000000", "重庆农村商业银行垫江支行", "6228480000000000000",
     _EXAMPLE_HEAD, "李秀英", _example_id("19700721", "022"), "配偶", "女", "1970-07-21", "", "残疾",
     "肢体残疾", "四级", "本地务工", "", "是"],
    ["", "", "", "", "", "",
     _EXAMPLE_HEAD, "张小明", _example_id("20120901", "013"), "子女", "男", "", "无劳动能力", "健康",
     "", "", "在校生", "初中", "是"],
]
# Rows left in from the template are refused rather than registered. The name must match
# too: a real person may well hold one of these numbers.
EXAMPLE_PEOPLE = frozenset((r[8], r[7]) for r in _EXAMPLE_ROWS)


_RULES = (
    "第一行是列名，请勿修改或在上方插入标题行；列的顺序可以调整，选填列可以删除。",
    "每行一名家庭成员；同一家庭的各行填写相同的户主身份证号。",
    "乡镇、村、住址、电话、开户银行、银行账号是家庭信息，可只在一行填写；多行填写时必须一致。",
    "身份证号、银行账号、电话等列请保持“文本”格式，否则 Excel 会把长号码改成科学计数法并丢失末尾数字。",
    "导入时全部行一起检查：只要有一处错误，整个文件都不导入，系统会列出每处错误的行号、列名和原因。",
    "已在系统中登记（在册）的人员不能再次导入；每个文件不超过 20 MB，可保存为 .xlsx 或 .csv。",
    "第一张表中的示例家庭（张大山户）仅供参考，导入前请删除。",
)


def template_workbook() -> bytes:
    """The import template: sheet 1 the columns and one example household, sheet 2 the rules."""
    assert [c.header for c in COLUMNS] == list(HEADERS) and len(_EXAMPLE_ROWS[0]) == len(COLUMNS)
    return template_bytes("家庭成员", COLUMNS, _EXAMPLE_ROWS, _RULES)


def template_bytes(sheet: str, columns: tuple[ImportColumn, ...], example_rows: list[list[str]],
                   rules: tuple[str, ...]) -> bytes:
    """An import's template, the same layout for every import: sheet 1 (`sheet`) the headers of
    `columns` over the example rows, sheet 2 (填写说明) each column's rule, then the general `rules`.
    Long-number columns are text cells, so Excel keeps every digit."""
    notes = [[c.header, "必填" if c.required else "选填", c.note, "、".join(c.choices)] for c in columns]
    general = [["", "", "", ""]] + [["填写规则" if i == 0 else "", "", rule, ""] for i, rule in enumerate(rules)]
    return workbook_bytes(
        [(sheet, [c.header for c in columns], example_rows),
         ("填写说明", ["列名", "是否必填", "填写要求", "可选值"], notes + general)],
        text_headers=frozenset(c.header for c in columns if c.text))


def error_report_workbook(errors: list[Error]) -> bytes:
    """The errors of a failed import as a spreadsheet the user can work through."""
    return workbook_bytes(
        [("错误清单", ["行号", "列", "错误原因"], ([row or "", column, reason] for row, column, reason in errors))])


# --- the import ----------------------------------------------------------------------

def import_registry(session: Session, actor: Actor, filename: str, data: bytes,
                    progress: ProgressFn | None = None, today: date | None = None) -> ImportReport:
    """Register the households and members of an uploaded file, all or nothing.

    Who: anyone with "registry.import" (county and township staff), for villages inside
    their own area. Changes: on success, inserts the households and members and one audit
    entry into the caller's transaction; with any error, writes nothing and returns the
    errors - the caller rolls back and shows them. Raises PermissionDenied only.
    """
    require(actor, "registry.import")
    today = today or date.today()
    report = ImportReport(filename=filename)
    rows, position, errors = read_file(filename, data, COLUMNS)
    if position is None:
        return finish(report, errors)
    checker = _Checker(session, actor, today, position, errors, progress, len(rows))
    households = checker.check_rows(rows)
    checker.check_households(households)
    checker.check_registered()
    if errors:
        return finish(report, errors)
    return _write(session, actor, report, households, checker)


# --- what every import shares: reading the file, the report, comparing names --------

def read_file(filename: str, data: bytes, columns: tuple[ImportColumn, ...],
              max_rows: int = spreadsheets.DEFAULT_MAX_ROWS,
              ) -> tuple[list[list[str]], dict[str, int] | None, list[Error]]:
    """An upload read for an import of `columns`: (data rows, field key -> index in a row, errors).

    The position is None when the rows cannot be checked - the file is unreadable or a
    required column is missing - and the errors say why. Otherwise the errors are the header
    row's (unknown or repeated columns, values under a blank header) and the import goes on
    to check the rows, so the user gets every error of the file in one round.
    """
    try:
        header, rows = spreadsheets.read_rows(filename, data, max_bytes=MAX_UPLOAD_BYTES, max_rows=max_rows)
    except SpreadsheetCellError as exc:
        return [], None, list(exc.cells)
    except ValidationError as exc:
        return [], None, [(0, "", exc.message)]
    match = match_headers(header, columns)
    errors: list[Error] = [(1, name, "缺少必填列") for name in match.missing]
    errors += [(1, name, f"无法识别的列“{name}”，请使用模板中的列名（见模板的“填写说明”），或删除该列")
               for name in match.unknown]
    errors += [(1, name, "列名重复") for name in match.repeated]
    if match.missing:
        return rows, None, errors
    return rows, match.position(), errors + values_without_header(header, rows)


def values_without_header(header: list[str], rows: list[list[str]]) -> list[Error]:
    """Values in a column whose header cell is blank would be silently lost: report them."""
    blank = [i for i, name in enumerate(header) if not name.strip()]
    return [(offset + 2, f"第 {xl_col_to_name(i)} 列", "该列没有列名，无法识别；请补上列名或删除该列的内容")
            for i in blank for offset, cells in enumerate(rows) if cells[i]]


@cache
def _column_order(headers: tuple[str, ...]) -> dict[str, int]:
    return {h: i for i, h in enumerate(headers)}


def finish(report: ImportReport, errors: list[Error], headers: tuple[str, ...] = HEADERS) -> ImportReport:
    """The report of a failed import: errors by row, within a row in the order of `headers`
    (the importing file's template columns; other columns last), capped at MAX_REPORTED_ERRORS."""
    order = _column_order(headers)
    errors.sort(key=lambda e: (e[0], order.get(e[1], len(order))))
    report.error_count = len(errors)
    if len(errors) > MAX_REPORTED_ERRORS:
        hidden = len(errors) - MAX_REPORTED_ERRORS
        errors = errors[:MAX_REPORTED_ERRORS] + [(0, "", f"另有 {hidden} 处错误未列出")]
    report.errors = errors
    return report


@lru_cache(maxsize=4096)
def fold_name(name: str) -> str:
    """An area name (or any short text) as compared: full-width folded, no spaces."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def id_number_key(raw: str) -> str:
    """An ID number as compared and looked up: no spaces, a lower-case x made X."""
    return raw.replace(" ", "").upper()


@dataclass
class _Household:
    head_id: str
    first_line: int
    values: dict = field(default_factory=dict)       # household field -> value as checked
    raw: dict = field(default_factory=dict)          # household field -> text as first written
    value_line: dict = field(default_factory=dict)   # household field -> row it came from
    members: list[dict] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)       # ID numbers as written in its rows
    head_row: dict | None = None
    area_code: str | None = None


class _Checker:
    """The checks of one import; appends to `errors`, keeps what the insert needs."""

    def __init__(self, session: Session, actor: Actor, today: date, position: dict[str, int],
                 errors: list[Error], progress: ProgressFn | None, row_count: int):
        self.session, self.actor, self.today = session, actor, today
        self.position, self.errors, self.progress = position, errors, progress
        self.row_count = row_count
        self.id_lines: dict[str, int] = {}  # ID number -> first row carrying it

    # progress: checking counts as one unit per row, writing as one per member
    def tick(self, done: int) -> None:
        if self.progress:
            self.progress(done, self.row_count * 2)

    def check_rows(self, rows: list[list[str]]) -> dict[str, _Household]:
        households: dict[str, _Household] = {}
        position, errors, today = self.position, self.errors, self.today
        member_check, column_of = registry_input.member, column_for_message
        household_keys = [k for k in HOUSEHOLD_KEYS if k in position]
        member_keys = [k for k in position if k not in HOUSEHOLD_KEYS and k != "head_id_number"]
        head_at = position["head_id_number"]
        value_aliases = [(k, a) for k, a in VALUE_ALIASES.items() if k in member_keys]
        id_lines = self.id_lines
        self.tick(0)
        for offset, cells in enumerate(rows):
            line = offset + 2
            if offset % _PROGRESS_EVERY == 0 and offset:
                self.tick(offset)
            if not any(cells):
                continue
            values = {k: cells[position[k]] for k in member_keys}
            id_key = id_number_key(values.get("id_number", ""))
            if (id_key, values.get("name", "").strip()) in EXAMPLE_PEOPLE:
                errors.append((line, H["id_number"], "这是模板中的示例行，请删除后再导入"))
            if id_key:
                first = id_lines.setdefault(id_key, line)
                if first != line:
                    errors.append((line, H["id_number"], f"身份证号 {id_key} 与第 {first} 行重复，同一人只能登记一次"))
            for key, aliases in value_aliases:
                typed = values[key]
                if typed in aliases:
                    values[key] = aliases[typed]
            typed_birth = values.get("birth_date")
            if typed_birth and len(typed_birth) == 10 and typed_birth[4] == "-":
                # the usual YYYY-MM-DD in C rather than through strptime's format list
                try:
                    values["birth_date"] = date.fromisoformat(typed_birth)
                except ValueError:
                    pass  # registry_input explains what is wrong with it
            values["in_school"] = False
            values["has_supporter"] = False
            if not values.get("medical_insurance"):
                values["medical_insurance"] = True
            try:
                member = member_check(values, today)
            except ValidationError as exc:
                errors.append((line, column_of(exc.message, _MEMBER_HEADERS) or H["id_number"], exc.message))
                member = None
            else:
                member["in_school"] = member["schooling"] not in _NOT_IN_SCHOOL

            head_id = id_number_key(cells[head_at])
            if not head_id:
                errors.append((line, H["head_id_number"], "户主身份证号不能为空"))
                continue
            household = households.get(head_id)
            if household is None:
                household = households[head_id] = _Household(head_id=head_id, first_line=line)
            household.ids.add(id_key)
            for key in household_keys:
                raw = cells[position[key]]
                if raw:  # household facts are often on one row only
                    self._merge(household, key, raw, line)
            if member is None:
                continue
            is_head = member["relation"] == codes.HEAD
            if is_head and member["id_number"] != head_id:
                errors.append((line, H["relation"],
                               f"本行填写为“户主”，但身份证号与户主身份证号 {head_id} 不一致"))
            elif not is_head and member["id_number"] == head_id:
                errors.append((line, H["relation"], "身份证号与户主身份证号相同，与户主关系应填“户主”"))
            elif is_head:
                household.head_row = member
            member["_line"] = line
            household.members.append(member)
        self.tick(len(rows))
        return households

    def _merge(self, household: _Household, key: str, raw: str, line: int) -> None:
        if key in household.values and household.raw[key] == raw:
            return  # the same text as the row that set it: checked already
        label = H[key]
        try:
            if key == "phone":
                value = registry_input.phone(raw, label)
            elif key == "bank_account":
                value = registry_input.bank_account(raw, label)
            elif key in ("township", "village"):
                value = fold_name(registry_input.text(raw, label, max_length=64))
            else:
                value = registry_input.text(raw, label, max_length=200 if key == "address" else 60)
        except ValidationError as exc:
            self.errors.append((line, label, exc.message))
            return
        known = household.values.get(key)
        if known is None:
            household.values[key] = value
            household.raw[key] = raw
            household.value_line[key] = line
        elif known != value:
            self.errors.append((line, label, f"同一家庭（户主身份证号 {household.head_id}）的{label}应一致："
                                             f"第 {household.value_line[key]} 行为“{known}”，本行为“{value}”"))

    # --- households: head present, area known and in scope -------------------------
    def check_households(self, households: dict[str, _Household]) -> None:
        self._load_areas()
        resolved: dict[tuple[str, str], tuple[str | None, Error | None]] = {}
        for household in households.values():
            if household.head_id not in household.ids:
                self.errors.append((household.first_line, H["head_id_number"],
                                    f"户主身份证号 {household.head_id} 的家庭中没有户主本人这一行"
                                    "（与户主关系为“户主”、身份证号与户主身份证号相同）"))
            township, village = household.values.get("township"), household.values.get("village")
            if not township or not village:
                for key in ("township", "village"):
                    if not household.values.get(key):
                        self.errors.append((household.first_line, H[key],
                                            f"{H[key]}不能为空（本户各行都没有填写）"))
                continue
            pair = (township, village)
            if pair not in resolved:
                resolved[pair] = self._resolve(township, village)
            code, problem = resolved[pair]
            if problem:
                row, column, reason = problem
                key = "township" if column == H["township"] else "village"
                self.errors.append((household.value_line[key], column, reason))
            household.area_code = code

    def _load_areas(self) -> None:
        rows = self.session.exec(select(Area.code, Area.name, Area.level)).all()
        self.area_names = {code: name for code, name, _ in rows}
        self.townships: dict[str, list[str]] = {}
        self.villages: dict[tuple[str, str], str] = {}
        for code, name, level in rows:
            if level == area_codes.TOWNSHIP:
                self.townships.setdefault(fold_name(name), []).append(code)
            elif level == area_codes.VILLAGE:
                self.villages[(code[:9] + "000", fold_name(name))] = code

    def _resolve(self, township: str, village: str) -> tuple[str | None, Error | None]:
        candidates = self.townships.get(township, [])
        if len(candidates) > 1:
            candidates = [c for c in candidates if in_scope(self.actor, Scope(area_code=c))] or candidates
        if not candidates:
            return None, (0, H["township"], f"“{township}”不是系统中的乡镇（街道）名称，请核对区划名称")
        if len(candidates) > 1:
            return None, (0, H["township"], f"有多个名为“{township}”的乡镇（街道），请联系管理员")
        code = self.villages.get((candidates[0], village))
        if code is None:
            return None, (0, H["village"], f"{township}没有名为“{village}”的村（社区）")
        if not in_scope(self.actor, Scope(area_code=code)):
            mine = self.area_names.get(self.actor.area_code or "", "您的辖区")
            return None, (0, H["village"], f"{township}{village}不在您的管辖范围（{mine}）内，不能导入")
        return code, None

    # --- people already registered -----------------------------------------------
    def check_registered(self) -> None:
        wanted = [i for i in self.id_lines if len(i) == 18]
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start:start + ID_CHUNK]
            query = (select(Member.id_number, Household.area_code, Household.head_name)
                     .join(Household, Household.id == Member.household_id)
                     .where(Member.active, Member.id_number.in_(chunk)))
            for id_number, area_code, head_name in self.session.exec(query).all():
                found[id_number] = (area_code, head_name)
        for id_number, (area_code, head_name) in found.items():
            place = self._place(area_code)
            if in_scope(self.actor, Scope(area_code=area_code)):
                where = f"{place} {head_name} 家庭"
            else:
                # Outside the user's area: say where, not whose, and who to ask.
                where = f"{place}的一户家庭（不在您的管辖范围，请与该乡镇核实）"
            self.errors.append((self.id_lines[id_number], H["id_number"],
                                f"身份证号 {id_number} 已是{where}的在册成员"))

    def _place(self, code: str) -> str:
        township = self.area_names.get(code[:9] + "000", "") if area_codes.level_of(code) == area_codes.VILLAGE else ""
        return township + self.area_names.get(code, code)


def _write(session: Session, actor: Actor, report: ImportReport,
           households: dict[str, _Household], checker: _Checker) -> ImportReport:
    now = utcnow()
    ordered = list(households.values())
    household_rows = []
    for h in ordered:
        household_rows.append({
            "area_code": h.area_code,
            "address": h.values.get("address", ""),
            "phone": h.values.get("phone", ""),
            "bank_name": h.values.get("bank_name", ""),
            "bank_account": h.values.get("bank_account", ""),
            "status": "active",
            "note": "",
            "head_name": h.head_row["name"],
            "head_id_number": h.head_id,
            "member_count": len(h.members),
            "current_tags": "",
            "created_at": now,
            "updated_at": now,
        })
    connection = session.connection()
    total = checker.row_count * 2
    # RETURNING the head's ID (unique in the file) instead of sort_by_parameter_order: with
    # the ordering guarantee SQLite falls back to one INSERT per household.
    household_insert = insert(Household).returning(Household.id, Household.head_id_number)
    id_of: dict[str, int] = {}
    member_rows = []
    try:
        for start in range(0, len(household_rows), _INSERT_CHUNK):
            for household_id, head_id in connection.execute(household_insert,
                                                            household_rows[start:start + _INSERT_CHUNK]):
                id_of[head_id] = household_id
        for household in ordered:
            household_id = id_of[household.head_id]
            for member in household.members:
                del member["_line"]
                member["household_id"] = household_id
                member["active"] = True
                member["left_on"] = None
                member["left_reason"] = ""
                member["created_at"] = now
                member_rows.append(member)
        member_insert = insert(Member)
        for start in range(0, len(member_rows), _INSERT_CHUNK):
            chunk = member_rows[start:start + _INSERT_CHUNK]
            connection.execute(member_insert, chunk)
            if checker.progress:
                checker.progress(min(checker.row_count + start + len(chunk), total), total)
    except IntegrityError as exc:
        if "uq_member_active_id_number" in str(exc.orig) or "member.id_number" in str(exc.orig):
            # Someone registered one of these people while the file was being checked.
            raise ValidationError("导入期间有其他用户登记了文件中的人员，本次未导入任何数据，请重新导入") from exc
        raise
    report.households = len(ordered)
    report.members = len(member_rows)
    report.first_household_id = min(id_of.values(), default=None)
    report.last_household_id = max(id_of.values(), default=None)
    audit.record(session, actor=actor, action="import", entity="household",
                 new={"households": report.households, "members": report.members,
                      "first_household_id": report.first_household_id,
                      "last_household_id": report.last_household_id},
                 note=f"导入文件“{report.filename[:150]}”：{report.households} 户 {report.members} 人")
    if checker.progress:
        checker.progress(total, total)
    return report
