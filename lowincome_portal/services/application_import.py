"""Importing applications taken through other channels (渝快办, 救助通 exports): all or
nothing, with a row-by-row error report.

One row is one person; rows sharing a 外部申请编号 are one application (columns and rules
in domain/application_columns.py). Every application is checked with the same rules as the
online and station forms (domain/application_input.py) plus the file's own: one applicant
per application, nobody twice in the file, no applicant with an application still open,
the village inside the importer's area. Only when the whole file passes are the
applications created - each at 待受理 ("submitted"), for the township to accept, exactly
as an online application arrives - with one summary audit entry besides each
application's own.

The file is read, limited and reported on by the registry import's machinery
(registry_import.read_file, finish, template_bytes, error workbook and limits), so both
imports refuse and explain a file the same way.

Transactions: nothing is written until every row has passed; the caller's unit of work
commits, and a caller that gets a report with `ok` False rolls back (as the page does).
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from ..db.tables import Application, Area
from ..domain import application_input, intake
from ..domain import areas as area_codes
from ..domain import registry_input as check
from ..domain.application_columns import (
    APPLICANT_WORDS,
    APPLICATION_KEYS,
    BY_KEY,
    CHANNELS,
    COLUMNS,
    EXAMPLE_PEOPLE,
    EXAMPLE_ROWS,
    HEADERS,
    MAX_REF_LENGTH,
    MAX_ROWS,
    RULES,
    VALUE_ALIASES,
    H,
)
from ..domain.errors import FormErrors, ValidationError
from ..domain.permissions import Actor, Scope, can, in_scope, require
from . import audit, intake_submit
from .households import today_in_china
from .registry_import import (
    ID_CHUNK,
    Error,
    ImportReport,
    ProgressFn,
    error_report_workbook,  # noqa: F401 - the page downloads failed imports through here
    finish,
    fold_name,
    id_number_key,
    read_file,
    template_bytes,
)
from .workbook_writer import workbook_bytes

ACTION = "application.import"
CHANNEL = "import"   # Application.channel of every imported application
# Progress is reported in percent: reading and checking are quick, while creating each
# application (tracking number, clock, event, audit) is the slow part.
_CHECKED_SHARE = 20

MSG_NO_CONSENT = "已授权核查为“否”：未取得申请人核查家庭经济状况授权的申请不能导入，请取得授权后再导入"
MSG_NO_APPLICANT = ("外部申请编号 {ref} 的各行中没有申请人（与申请人关系填“申请人”的一行），"
                    "请补上申请人本人这一行")
MSG_SECOND_APPLICANT = ("外部申请编号 {ref} 在第 {first} 行已有申请人，一份申请只能有一名申请人；"
                        "如是另一份申请，请使用不同的外部申请编号")
MSG_SAME_PERSON = "身份证号 {number} 与第 {first} 行重复，同一人在文件中只能出现一次"
MSG_OPEN = "申请人身份证号 {number} 已有未办结的申请（受理编号 {tracking_no}，当前环节“{state}”{where}），不能重复申请"
MSG_RELATION = "与申请人关系“{raw}”不在可选范围内（可选：{allowed}）"


@dataclass
class ApplicationImportReport(ImportReport):
    """What an application import did, or why it did nothing (errors as ImportReport's).

    `rows` counts the non-blank data rows; `applications` the applications and `members`
    the family members besides the applicants that were created (both 0 when not ok).
    `created` holds one dict per new application, in file order:
    {"application_id": int, "tracking_no": str, "external_ref": str, "channel": str (渝快办…),
     "applicant_name": str, "members": int}. The registry's household fields stay unused.
    """

    rows: int = 0
    applications: int = 0
    created: list[dict] = field(default_factory=list)

    @property
    def tracking_numbers(self) -> list[str]:
        return [c["tracking_no"] for c in self.created]


# --- the template --------------------------------------------------------------------

def template_workbook() -> bytes:
    """The import template: sheet 1 the columns and two example applications, sheet 2 the rules."""
    return template_bytes("申请人及家庭成员", COLUMNS, EXAMPLE_ROWS, RULES)


def created_workbook(created: list[dict]) -> bytes:
    """The tracking numbers an import gave, beside the channels' own numbers, for the township."""
    return workbook_bytes(
        [("导入的申请", ["受理编号", "外部申请编号", "申请渠道", "申请人", "家庭成员人数"],
          ([c["tracking_no"], c["external_ref"], c["channel"], c["applicant_name"], c["members"]]
           for c in created))],
        text_headers={"受理编号", "外部申请编号"})


# --- the import ----------------------------------------------------------------------

def import_applications(session: Session, *, actor: Actor, filename: str, data: bytes,
                        progress: ProgressFn | None = None, today: date | None = None) -> ApplicationImportReport:
    """Create the applications of an uploaded channel export, all or nothing.

    Who: anyone with "application.import" (county and township staff), for villages inside
    their own area. Changes: on success, one application per 外部申请编号 at 待受理, each with
    its event and audit entry, plus one audit entry for the import, in the caller's
    transaction; with any error, writes nothing and returns every error - the caller rolls
    back and shows them. Raises PermissionDenied only.
    """
    require(actor, ACTION)
    today = today or today_in_china()
    report = ApplicationImportReport(filename=filename)
    rows, position, errors = read_file(filename, data, COLUMNS, max_rows=MAX_ROWS)
    if position is None:
        return finish(report, errors, HEADERS)
    checker = _Checker(session, actor, today, position, errors)
    applications = checker.read(rows)
    report.rows = checker.row_count
    if progress:
        progress(_CHECKED_SHARE // 2, 100)
    checked = checker.check(applications)
    checker.check_open(applications)
    if errors:
        return finish(report, errors, HEADERS)
    for done, (application, values) in enumerate(zip(applications, checked, strict=True), start=1):
        report.created.append(_create(session, actor, application, values, today))
        if progress:
            progress(_CHECKED_SHARE + (100 - _CHECKED_SHARE) * done // len(applications), 100)
    report.applications = len(report.created)
    report.members = sum(c["members"] for c in report.created)
    audit.record(session, actor=actor, action="import", entity="application",
                 new={"applications": report.applications, "members": report.members,
                      "tracking_nos": report.tracking_numbers[:50]},
                 note=f"导入申请文件“{filename[:150]}”：{report.applications} 份申请、"
                      f"{report.applications + report.members} 人")
    return report


def _create(session: Session, actor: Actor, application: "_Application", values: dict, today: date) -> dict:
    members = len(values["members"])
    applied = application.applied_on.isoformat() if application.applied_on else "未填"
    note = f"{application.channel}申请，外部申请编号 {application.ref}，原渠道申请日期 {applied}"
    row = intake_submit.create_imported(session, actor=actor, values=values, today=today, comment=note)
    return {"application_id": row.id, "tracking_no": row.tracking_no, "external_ref": application.ref,
            "channel": application.channel, "applicant_name": row.applicant_name, "members": members}


@dataclass
class _Application:
    """The rows of one external number, as read; what the checks settle is filled in later."""

    ref: str
    first_line: int
    raw: dict = field(default_factory=dict)          # application field -> text as first written
    value_line: dict = field(default_factory=dict)   # application field -> row it came from
    applicant: dict | None = None                    # {"line", "name", "id_number"}
    members: list[dict] = field(default_factory=list)  # {"line", "name", "id_number", "relation"}
    channel: str = CHANNELS["other"]
    applied_on: date | None = None

    def line_of(self, key: str) -> int:
        """The row to blame for an application value: where it was written, else the applicant's."""
        return self.value_line.get(key) or (self.applicant or {}).get("line") or self.first_line


class _Checker:
    """The checks of one import; appends (row, column, reason) to `errors`."""

    def __init__(self, session: Session, actor: Actor, today: date, position: dict[str, int],
                 errors: list[Error]):
        self.session, self.actor, self.today = session, actor, today
        self.position, self.errors = position, errors
        self.row_count = 0
        self.blamed: set[tuple[int, str]] = set()  # ID cells already reported as duplicates
        self.areas: _Areas | None = None

    def error(self, line: int, column: str, reason: str, blame: bool = False) -> None:
        """`blame`: the form's own message about this cell would repeat this one (duplicates)."""
        self.errors.append((line, column, reason))
        if blame:
            self.blamed.add((line, column))

    # --- rows -> applications ------------------------------------------------------
    def read(self, rows: list[list[str]]) -> list[_Application]:
        by_ref: dict[str, _Application] = {}
        id_lines: dict[str, int] = {}
        position = self.position
        app_keys = [k for k in APPLICATION_KEYS if k in position and k != "external_ref"]
        relations = VALUE_ALIASES["relation"]
        for offset, cells in enumerate(rows):
            line = offset + 2
            if not any(cells):
                continue
            self.row_count += 1
            name, id_number = cells[position["name"]], cells[position["id_number"]]
            relation = cells[position["relation"]]
            id_key = id_number_key(id_number)
            if (id_key, name.strip()) in EXAMPLE_PEOPLE:
                self.error(line, H["id_number"], "这是模板中的示例行，请删除后再导入", blame=True)
            elif id_key:
                first = id_lines.setdefault(id_key, line)
                if first != line:
                    self.error(line, H["id_number"], MSG_SAME_PERSON.format(number=id_key, first=first),
                               blame=True)
            ref = unicodedata.normalize("NFKC", cells[position["external_ref"]]).strip()
            if not ref or len(ref) > MAX_REF_LENGTH:
                self.error(line, H["external_ref"], "外部申请编号不能为空" if not ref
                           else f"外部申请编号不能超过 {MAX_REF_LENGTH} 个字符")
                continue
            application = by_ref.get(ref)
            if application is None:
                application = by_ref[ref] = _Application(ref=ref, first_line=line)
            for key in app_keys:
                if cells[position[key]]:  # application facts are often on the applicant's row only
                    self._merge(application, key, cells[position[key]], line)
            person = {"line": line, "name": name, "id_number": id_number}
            if relation in APPLICANT_WORDS:
                if application.applicant is not None:
                    self.error(line, H["relation"], MSG_SECOND_APPLICANT.format(
                        ref=ref, first=application.applicant["line"]))
                else:
                    application.applicant = person
            else:
                application.members.append({**person, "relation": relations.get(relation, relation)})
        return list(by_ref.values())

    def _merge(self, application: _Application, key: str, raw: str, line: int) -> None:
        known = application.raw.get(key)
        if known is None:
            application.raw[key], application.value_line[key] = raw, line
        elif fold_name(known) != fold_name(raw):
            self.error(line, H[key], f"同一申请（外部申请编号 {application.ref}）的{H[key]}应一致："
                                     f"第 {application.value_line[key]} 行为“{known}”，本行为“{raw}”")

    # --- each application: its own values, then the form's rules ------------------
    def check(self, applications: list[_Application]) -> list[dict]:
        areas = self.areas = _Areas(self.session, self.actor)
        checked = []
        for application in applications:
            if application.applicant is None:
                self.error(application.first_line, H["relation"], MSG_NO_APPLICANT.format(ref=application.ref))
            self._channel_and_date(application)
            area_code = self._village(application, areas)
            consent = self._consent(application)
            checked.append(self._form(application, area_code, consent))
        return checked

    def _channel_and_date(self, application: _Application) -> None:
        raw = application.raw.get("channel", "")
        try:
            code = check.choice(VALUE_ALIASES["channel"].get(raw, raw) or CHANNELS["other"], H["channel"], CHANNELS)
            application.channel = CHANNELS[code]
        except ValidationError as exc:
            self.error(application.line_of("channel"), H["channel"], exc.message)
        try:
            application.applied_on = check.a_date(application.raw.get("applied_on"), H["applied_on"],
                                                  required=False, not_after=self.today)
        except ValidationError as exc:
            self.error(application.line_of("applied_on"), H["applied_on"], exc.message)

    def _village(self, application: _Application, areas: "_Areas") -> str | None:
        village = application.raw.get("village", "")
        if not village:
            self.error(application.line_of("village"), H["village"], "村（社区）不能为空（本申请各行都没有填写）")
            return None
        code, problem = areas.resolve(application.raw.get("township", ""), village)
        if problem:
            key, reason = problem
            self.error(application.line_of(key), H[key], reason)
        return code

    def _consent(self, application: _Application) -> bool:
        raw = application.raw.get("consent", "")
        line = application.line_of("consent")
        if not raw:
            self.error(line, H["consent"], "已授权核查不能为空（本申请各行都没有填写），请填“是”或“否”")
            return False
        try:
            given = check.flag(raw, H["consent"])
        except ValidationError as exc:
            self.error(line, H["consent"], exc.message)
            return False
        if not given:
            self.error(line, H["consent"], MSG_NO_CONSENT)
        return given

    def _form(self, application: _Application, area_code: str | None, consent: bool) -> dict:
        applicant = application.applicant or {}
        values = {
            "applicant_name": applicant.get("name", ""),
            "applicant_id_number": applicant.get("id_number", ""),
            "applicant_phone": application.raw.get("phone", ""),
            "area_code": area_code,
            "address": application.raw.get("address", ""),
            "difficulty": application.raw.get("difficulty", ""),
            "consent": consent,
            "members": [{k: m[k] for k in ("name", "id_number", "relation")} for m in application.members],
        }
        try:
            return application_input.application(values, self.today)
        except FormErrors as exc:
            for key, message in exc.fields.items():
                where = self._where(application, key)
                if where and where not in self.blamed:  # the file-level check said it better
                    self.errors.append((*where, _row_message(key, message, values)))
        return {}

    def _where(self, application: _Application, key: str) -> tuple[int, str] | None:
        """The cell a form field's error belongs to; None for what this import reports itself."""
        if key in ("area_code", "consent"):
            return None
        if key in ("applicant_name", "applicant_id_number"):
            if application.applicant is None:
                return None  # reported as a missing applicant row
            return application.applicant["line"], H["name" if key == "applicant_name" else "id_number"]
        if key in ("applicant_phone", "address", "difficulty"):
            column = {"applicant_phone": "phone"}.get(key, key)
            return application.line_of(column), H[column]
        if key == "members":  # too many: blame the first member past the limit
            member = application.members[min(application_input.MAX_MEMBERS, len(application.members) - 1)]
            return member["line"], H["name"]
        _, index, field_name = key.split(".")
        return application.members[int(index)]["line"], H[field_name]

    # --- applicants with an application still open ----------------------------------
    def check_open(self, applications: list[_Application]) -> None:
        lines = {id_number_key(a.applicant["id_number"]): a.applicant["line"] for a in applications if a.applicant}
        wanted = [n for n in lines if len(n) == 18]
        for start in range(0, len(wanted), ID_CHUNK):
            query = (select(Application.applicant_id_number, Application.tracking_no, Application.track,
                            Application.state, Application.area_code)
                     .where(col(Application.applicant_id_number).in_(wanted[start:start + ID_CHUNK]))
                     .order_by(col(Application.id)))
            for number, tracking_no, track, state, area_code in self.session.exec(query).all():
                if not intake.is_open(track, state):
                    continue
                where = ("" if in_scope(self.actor, Scope(area_code=area_code)) or self.areas is None
                         else f"，由{self.areas.place(area_code)}办理，不在您的管辖范围，请与该乡镇核实")
                self.error(lines[number], H["id_number"], MSG_OPEN.format(
                    number=number, tracking_no=tracking_no, state=intake.state_label(track, state), where=where))


def _row_message(key: str, message: str, values: dict) -> str:
    """The form's message as a row of the file reads: “第 2 位成员身份证号…” is this row's 身份证号,
    and a wrong relation lists what the file may say (申请人, not the registry's 户主)."""
    if not key.startswith("members."):
        return message
    _, index, field_name = key.split(".")
    raw = values["members"][int(index)][field_name]
    if field_name == "relation" and raw and "不在可选范围内" in message:
        return MSG_RELATION.format(raw=raw, allowed="、".join(BY_KEY["relation"].choices))
    prefix = f"第 {int(index) + 1} 位成员"
    return message[len(prefix):] if message.startswith(prefix) else message


class _Areas:
    """The county's areas read once: a village by 12-digit code or by name (with its township
    when the name is not unique), and whether the importer may import there."""

    def __init__(self, session: Session, actor: Actor):
        self.actor = actor
        self.names: dict[str, str] = {}
        self.levels: dict[str, str] = {}
        self.townships: dict[str, list[str]] = {}
        self.villages: dict[str, list[str]] = {}
        for code, name, level in session.exec(select(Area.code, Area.name, Area.level)).all():
            self.names[code], self.levels[code] = name, level
            if level == area_codes.TOWNSHIP:
                self.townships.setdefault(fold_name(name), []).append(code)
            elif level == area_codes.VILLAGE:
                self.villages.setdefault(fold_name(name), []).append(code)

    def resolve(self, township: str, village: str) -> tuple[str | None, tuple[str, str] | None]:
        """(village code, None), or (None, (field key, reason))."""
        folded = fold_name(village)
        township_codes = self.townships.get(fold_name(township), []) if township else None
        if township and not township_codes:
            return None, ("township", f"“{township}”不是系统中的乡镇（街道）名称，请核对区划名称")
        if folded.isdigit() and len(folded) == 12:
            if self.levels.get(folded) != area_codes.VILLAGE:
                return None, ("village", f"“{village}”不是系统中的村（社区）区划代码")
            candidates = [folded]
        else:
            candidates = self.villages.get(folded, [])
        if township_codes is not None:
            candidates = [c for c in candidates if any(area_codes.contains(t, c) for t in township_codes)]
        if len(candidates) > 1:
            candidates = [c for c in candidates if in_scope(self.actor, Scope(area_code=c))] or candidates
        if not candidates:
            within = f"{township}下" if township else "系统中"
            return None, ("village", f"{within}没有{'代码' if folded.isdigit() else '名称'}为“{village}”的村（社区）")
        if len(candidates) > 1:
            return None, ("village", f"全县有多个名为“{village}”的村（社区），请填写乡镇（街道）或 12 位区划代码")
        code = candidates[0]
        if not can(self.actor, ACTION, Scope(area_code=code)):
            mine = self.names.get(self.actor.area_code or "", "您的辖区")
            return None, ("village", f"{self.place(code)}不在您的管辖范围（{mine}）内，不能导入")
        return code, None

    def place(self, code: str) -> str:
        return self.names.get(area_codes.parent_code(code) or "", "") + self.names.get(code, code)
