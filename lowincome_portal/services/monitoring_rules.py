"""统一监测预警 declarations as the services read them: the seeded defaults, the rules in force
on a day (with their thresholds), a source's declared columns and its Excel template.

The declarations themselves are edited on the low-code pages (resources/data_sources.py,
source_columns.py, warning_rules.py, warning_thresholds.py); these functions only read them,
except `seed_defaults`, which adds the county's starting set where it is missing.
"""

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, col, select
from stdnum.cn import ric

from ..db.tables import DataSource, SourceColumn, WarningRule, WarningThreshold
from ..domain import monitoring as rules_domain
from ..domain.errors import NotFound
from ..domain.monitoring import RuleSpec
from ..domain.monitoring_defaults import DEFAULT_RULES, DEFAULT_SOURCES, DEFAULT_THRESHOLDS
from . import audit
from .workbook_writer import workbook_bytes

MSG_NO_SOURCE = "没有这个数据来源"


# --- the defaults -----------------------------------------------------------------------------

def seed_defaults(session: Session) -> int:
    """Add the default sources, their columns, the rules and their thresholds where missing;
    returns how many rows were added (0 when all are there: safe to run on every migrate).

    Missing means by key: a source or rule by code, a column by (source, header), a
    threshold by (rule, tag) at any date - so a county's own later thresholds are never
    doubled. A default the county deleted comes back on the next migrate; to switch one
    off, set it inactive (sources, rules) or make a column not required.
    One audit entry (no actor) records what was added.
    """
    sources = set(session.exec(select(DataSource.code)).all())
    columns = set(session.exec(select(SourceColumn.source_code, SourceColumn.header)).all())
    rules = set(session.exec(select(WarningRule.code)).all())
    thresholds = set(session.exec(select(WarningThreshold.rule_code, WarningThreshold.tag)).all())
    added = {"data_source": 0, "source_column": 0, "warning_rule": 0, "warning_threshold": 0}
    for source in DEFAULT_SOURCES:
        if source["code"] not in sources:
            session.add(DataSource(**{k: v for k, v in source.items() if k != "columns"}))
            added["data_source"] += 1
        for column in source["columns"]:
            if (source["code"], column["header"]) not in columns:
                session.add(SourceColumn(source_code=source["code"], **column))
                added["source_column"] += 1
    for rule in DEFAULT_RULES:
        if rule["code"] not in rules:
            session.add(WarningRule(**rule, note="系统默认规则"))
            added["warning_rule"] += 1
    for threshold in DEFAULT_THRESHOLDS:
        if (threshold["rule_code"], threshold["tag"]) not in thresholds:
            session.add(WarningThreshold(**threshold))
            added["warning_threshold"] += 1
    total = sum(added.values())
    if total:
        session.flush()
        audit.record(session, actor=None, action="create", entity="monitoring_defaults", username="system",
                     new=added, note="系统初始化监测预警默认数据来源、规则和阈值")
    return total


# --- rules in force ---------------------------------------------------------------------------

def thresholds_on(session: Session, on: date, rule_codes: Iterable[str] | None = None
                  ) -> dict[str, dict[str, float]]:
    """rule code -> {tag: value} in force on `on`: per (rule, tag) the latest effective_from <= on."""
    query = (select(WarningThreshold).where(WarningThreshold.effective_from <= on)
             .order_by(col(WarningThreshold.effective_from)))
    if rule_codes is not None:
        query = query.where(col(WarningThreshold.rule_code).in_(list(rule_codes)))
    found: dict[str, dict[str, float]] = {}
    for row in session.exec(query).all():  # ascending: a later row overwrites an earlier one
        found.setdefault(row.rule_code, {})[row.tag or ""] = float(row.value)
    return found


def active_rules(session: Session, on: date, source_code: str | None = None,
                 indicators: Iterable[str] | None = None) -> list[RuleSpec]:
    """The active rules, each with its thresholds in force on `on` (the first day of the
    batch's month). `source_code` (a data source code, or "registry" for registry changes)
    keeps the rules that take any source or that source; `indicators` keeps the rules on one
    of those indicators. Ordered by rule code."""
    query = select(WarningRule).where(col(WarningRule.active).is_(True)).order_by(col(WarningRule.code))
    if source_code is not None:
        query = query.where(col(WarningRule.source_code).in_(["", source_code]))
    if indicators is not None:
        query = query.where(col(WarningRule.indicator).in_(list(indicators)))
    rows = session.exec(query).all()
    thresholds = thresholds_on(session, on, [r.code for r in rows])
    return [rules_domain.spec_from(r, thresholds.get(r.code, {})) for r in rows]


# --- sources ----------------------------------------------------------------------------------

def source_columns(session: Session, source_code: str) -> tuple[DataSource, list[SourceColumn]]:
    """An active source and its declared columns (in the order declared), or NotFound."""
    source = session.exec(select(DataSource).where(DataSource.code == (source_code or ""))).first()
    if source is None or not source.active:
        raise NotFound(MSG_NO_SOURCE)
    columns = session.exec(select(SourceColumn).where(SourceColumn.source_code == source.code)
                           .order_by(col(SourceColumn.id))).all()
    return source, list(columns)


# Example cells of the template: by header for known columns, else by indicator, else by kind.
_EXAMPLE_BY_HEADER = {
    "姓名": "张三", "残疾等级": "二级", "参保状态": "正常参保", "在校状态": "在校", "鉴定等级": "B级",
    "死亡日期": "2025-01-15", "残疾类别": "肢体残疾", "失业登记日期": "2025-01-10",
    "主体名称": "垫江县某某农家乐", "号牌号码": "渝D12345", "不动产单元号": "500231001001GB00001F00010001",
}
_EXAMPLE_BY_INDICATOR = {
    "medical_self_pay_year": "12345.60", "inpatient_self_pay": "8000.00",
    "outpatient_self_pay_month": "320.50", "education_self_pay_year": "4500.00",
    "income_drop_pct": "35",
}
EXAMPLE_ID = "500231198001010" + "11"
EXAMPLE_ID += ric.calc_check_digit(EXAMPLE_ID + "0")


def _example(column: SourceColumn) -> str:
    if column.header in _EXAMPLE_BY_HEADER:
        return _EXAMPLE_BY_HEADER[column.header]
    if column.indicator in _EXAMPLE_BY_INDICATOR:
        return _EXAMPLE_BY_INDICATOR[column.indicator]
    if column.kind == "number":
        return "0"
    if column.kind == "flag":
        values = column.true_values.split()
        return "有" if not values or values == ["*"] else values[0]
    return ""


def _column_note(column: SourceColumn) -> str:
    indicator = rules_domain.INDICATORS.get(column.indicator)
    if column.kind == "ignore" or indicator is None:
        return "仅供核对，不参与比对"
    if column.kind == "number":
        return f"{indicator.label}（{indicator.unit or '数值'}），填数字"
    values = column.true_values.split()
    if not values or values == ["*"]:
        return f"{indicator.label}：有内容即视为“是”，空白为“否”"
    return f"{indicator.label}：填“{'、'.join(values)}”之一视为“是”，其他或空白为“否”"


def template_bytes(session: Session, source_code: str, today: date | None = None) -> bytes:
    """An .xlsx for a department: sheet 1 the declared headers (ID, month, the columns) over one
    example row, sheet 2 what each column means. The ID column is text so Excel keeps every digit."""
    from .households import today_in_china

    source, columns = source_columns(session, source_code)
    month = (today or today_in_china()).strftime("%Y-%m")
    headers = [source.id_header] + ([source.period_header] if source.period_header else [])
    example = [EXAMPLE_ID] + ([month] if source.period_header else [])
    notes = [[source.id_header, "必填", "18 位居民身份证号码，末位可为 X"]]
    if source.period_header:
        notes.append([source.period_header, "必填", f"数据所属月份，例：{month}，须与导入时选择的月份一致"])
    for column in columns:
        headers.append(column.header)
        example.append(_example(column))
        notes.append([column.header, "必填" if column.required else "选填", _column_note(column)])
    return workbook_bytes(
        [(source.name, headers, [example]),
         ("填写说明", ["列名", "是否必填", "填写要求"], notes)],
        text_headers=frozenset({source.id_header}))
