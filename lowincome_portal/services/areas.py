"""The county's areas: load them from CSV (all-or-nothing, row-by-row errors) and list them."""

import csv
import io
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from ..db.tables import Area
from ..domain import areas
from ..domain.permissions import Actor, require
from . import audit

# Chinese headers as the county's spreadsheets have them; English ones are accepted too.
HEADERS = {"区划代码": "code", "名称": "name", "上级代码": "parent_code",
           "code": "code", "name": "name", "parent_code": "parent_code"}
REQUIRED = ("code", "name")
COLUMN_LABELS = {"code": "区划代码", "name": "名称", "parent_code": "上级代码"}


@dataclass
class AreaImport:
    created: int = 0
    updated: int = 0
    # (row number in the file, column, reason); row 1 is the header.
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_csv(text: str) -> tuple[list[dict], AreaImport]:
    """Rows of the file with their line numbers, and any errors found on the file alone."""
    report = AreaImport()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        report.errors.append((1, "", "文件为空"))
        return [], report
    keys = [HEADERS.get(h.strip()) for h in header]
    missing = [COLUMN_LABELS[k] for k in REQUIRED if k not in keys]
    if missing:
        report.errors.append((1, "", f"缺少列：{'、'.join(missing)}"))
        return [], report
    rows, seen = [], {}
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        row = {k: (values[i].strip() if i < len(values) else "") for i, k in enumerate(keys) if k}
        row["_line"] = number
        code, name = row.get("code", ""), row.get("name", "")
        if not areas.is_valid_code(code):
            report.errors.append((number, "区划代码", f"“{code}”不是 12 位行政区划代码"))
            continue
        if not name:
            report.errors.append((number, "名称", "名称不能为空"))
        elif len(name) > 64:
            report.errors.append((number, "名称", "名称超过 64 字"))
        if code in seen:
            report.errors.append((number, "区划代码", f"与第 {seen[code]} 行重复"))
            continue
        seen[code] = number
        expected_parent = areas.parent_code(code)
        given_parent = row.get("parent_code") or None
        if given_parent and given_parent != expected_parent:
            report.errors.append((number, "上级代码",
                                  f"“{given_parent}”与区划代码不符，应为 {expected_parent or '空'}"))
        rows.append(row)
    return rows, report


def import_areas(session: Session, *, actor: Actor | None, text: str,
                 sample: bool = False) -> AreaImport:
    """Create or rename areas from CSV text. Any error: nothing is written.

    `actor` None means the command line (set-up), which needs no permission check.
    """
    if actor is not None:
        require(actor, "area.manage")
    rows, report = parse_csv(text)
    if not report.ok:
        return report
    existing = {a.code: a for a in session.exec(select(Area)).all()}
    in_file = {r["code"] for r in rows}
    for row in rows:
        parent = areas.parent_code(row["code"])
        if parent and parent not in in_file and parent not in existing:
            report.errors.append((row["_line"], "上级代码", f"上级区域 {parent} 不存在"))
    if not report.ok:
        return report
    # Parents first, so foreign keys hold at every insert.
    for row in sorted(rows, key=lambda r: (areas.significant_prefix(r["code"]).__len__(), r["code"])):
        code = row["code"]
        if code in existing:
            area = existing[code]
            if area.name != row["name"]:
                audit.record(session, actor=actor, action="update", entity="area", entity_id=code,
                             old={"name": area.name}, new={"name": row["name"]}, username="system")
                area.name = row["name"]
                session.add(area)
                report.updated += 1
            continue
        area = Area(code=code, name=row["name"], level=areas.level_of(code),
                    parent_code=areas.parent_code(code), is_sample=sample)
        session.add(area)
        session.flush()
        report.created += 1
    if report.created or report.updated:
        audit.record(session, actor=actor, action="import", entity="area", username="system",
                     new={"created": report.created, "updated": report.updated},
                     note="示例区划" if sample else "")
    return report


def area_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(session.exec(select(Area.code, Area.name).where(col(Area.code).in_(codes))).all())


def area_path(session: Session, code: str | None) -> str:
    """“垫江县 / 新民镇 / 龙井村” for a code, for headers and lists."""
    if not code:
        return ""
    chain, current = [], code
    while current:
        chain.append(current)
        current = areas.parent_code(current)
    names = area_names(session, set(chain))
    return " / ".join(names[c] for c in reversed(chain) if c in names)
