"""统一监测预警 declarations: the seeded defaults, their low-code pages, the rules in force on a
day with their thresholds, a source's columns and its Excel template."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from lowincome_portal.db import migrations
from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import (AuditEntry, DataSource, RiskWarning, SourceColumn, WarningRule,
                                        WarningThreshold)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain import monitoring as m
from lowincome_portal.domain.errors import NotFound, PermissionDenied, ValidationError
from lowincome_portal.domain.monitoring_defaults import DEFAULT_RULES, DEFAULT_SOURCES, DEFAULT_THRESHOLDS
from lowincome_portal.services import households, monitoring_rules
from lowincome_portal.services import resources as svc
from lowincome_portal.services.resources import ListQuery
from tests.idnumbers import make_id

FENGHUANG = "500231100200"
NEXT_MONTH = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
N_COLUMNS = sum(len(s["columns"]) for s in DEFAULT_SOURCES)

RULE = {"code": "big_hospital", "name": "住院自付较高（试行）", "indicator": "inpatient_self_pay",
        "source_code": "medical_insurance", "aggregate": "member", "comparison": "ge",
        "applies_to_tags": ["dibao", "tekun"], "member_filter": "", "severity": "high",
        "department": "civil", "active": "true", "note": ""}


def counts(engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(s.exec(select(func.count()).select_from(t)).one()
                     for t in (DataSource, SourceColumn, WarningRule, WarningThreshold))


# --- seeding ------------------------------------------------------------------------------

def test_seed_defaults_is_idempotent(empty_db_url):
    migrations.upgrade(empty_db_url)
    engine = engine_for(empty_db_url)
    with unit_of_work(engine) as s:
        added = monitoring_rules.seed_defaults(s)
    assert added == len(DEFAULT_SOURCES) + N_COLUMNS + len(DEFAULT_RULES) + len(DEFAULT_THRESHOLDS)
    assert counts(engine) == (9, N_COLUMNS, 15, 9)
    with unit_of_work(engine) as s:
        assert monitoring_rules.seed_defaults(s) == 0
    assert counts(engine) == (9, N_COLUMNS, 15, 9)
    with Session(engine) as s:
        [entry] = s.exec(select(AuditEntry).where(AuditEntry.entity == "monitoring_defaults")).all()
        assert entry.user_id is None and entry.username == "system"
        # a default removed is added back, and only it
        s.delete(s.exec(select(WarningThreshold).where(WarningThreshold.rule_code == "income_drop")).one())
        s.commit()
    with unit_of_work(engine) as s:
        assert monitoring_rules.seed_defaults(s) == 1


def test_the_demo_seed_carries_the_defaults(engine):
    assert counts(engine) == (9, N_COLUMNS, 15, 9)
    with Session(engine) as s:
        medical = s.exec(select(WarningThreshold).where(WarningThreshold.rule_code == "medical_annual",
                                                        WarningThreshold.tag == "tekun")).one()
        assert medical.value == Decimal("1000.00") and medical.effective_from == date(2025, 1, 1)


# --- rules in force -----------------------------------------------------------------------

def test_active_rules_pick_the_thresholds_in_force(engine):
    with unit_of_work(engine) as s:
        s.add(WarningThreshold(rule_code="medical_annual", tag="", value=Decimal("12000"),
                               effective_from=date(2026, 1, 1)))
        s.add(WarningThreshold(rule_code="medical_annual", tag="dibao", value=Decimal("4000"),
                               effective_from=date(2026, 7, 1)))
    with Session(engine) as s:
        before = {r.code: r for r in monitoring_rules.active_rules(s, date(2025, 12, 1))}
        mid = {r.code: r for r in monitoring_rules.active_rules(s, date(2026, 1, 1))}
        after = {r.code: r for r in monitoring_rules.active_rules(s, date(2026, 8, 1))}
        early = monitoring_rules.active_rules(s, date(2024, 12, 1))
    assert len(before) == 15
    assert before["medical_annual"].thresholds == {"tekun": 1000, "dibao": 5000, "dibao_edge": 10000, "": 15000}
    assert mid["medical_annual"].thresholds[""] == 12000 and mid["medical_annual"].thresholds["dibao"] == 5000
    assert after["medical_annual"].thresholds == {"tekun": 1000, "dibao": 4000, "dibao_edge": 10000, "": 12000}
    assert next(r for r in early if r.code == "medical_annual").thresholds == {}  # nothing in force yet
    spec = after["business_found"]
    assert spec.applies_to_tags == frozenset({"dibao", "tekun"}) and spec.comparison == "flag"
    assert spec.thresholds == {} and spec.department == "civil"
    assert after["working_member_died"].member_filter == "working_age"


def test_active_rules_by_source_and_indicator(engine):
    with unit_of_work(engine) as s:
        s.add(WarningRule(code="vehicles_only", name="仅车辆来源", indicator="vehicle", source_code="vehicles",
                          comparison="flag"))
        s.add(WarningRule(code="old_rule", name="停用", indicator="vehicle", comparison="flag", active=False))
    on = date(2026, 11, 1)
    with Session(engine) as s:
        for_vehicles = {r.code for r in monitoring_rules.active_rules(s, on, "vehicles", {"vehicle"})}
        for_registry = {r.code for r in monitoring_rules.active_rules(s, on, "registry", {"vehicle"})}
        registry_fed = {r.code for r in monitoring_rules.active_rules(
            s, on, "registry", {"died", "water_unsafe", "income_drop_pct"})}
    assert for_vehicles == {"vehicle_found", "vehicles_only"}
    assert for_registry == {"vehicle_found"}
    assert registry_fed == {"working_member_died", "water_unsafe", "income_drop"}


def test_source_columns(engine):
    with Session(engine) as s:
        source, columns = monitoring_rules.source_columns(s, "medical_insurance")
        assert source.name == "医保结算数据" and source.id_header == "身份证号"
        assert source.period_header == "数据月份" and source.department == "县医疗保障局"
        assert [(c.header, c.indicator, c.kind) for c in columns] == [
            ("姓名", "", "ignore"), ("年度累计自付", "medical_self_pay_year", "number"),
            ("单次住院最高自付", "inpatient_self_pay", "number"),
            ("当月门诊自付", "outpatient_self_pay_month", "number"), ("参保状态", "uninsured", "flag")]
        assert columns[4].true_values == "未参保 断保 中止" and not columns[2].required
        with pytest.raises(NotFound, match="没有这个数据来源"):
            monitoring_rules.source_columns(s, "weather")
    with unit_of_work(engine) as s:
        s.exec(select(DataSource).where(DataSource.code == "vehicles")).one().active = False
    with Session(engine) as s, pytest.raises(NotFound, match="没有这个数据来源"):
        monitoring_rules.source_columns(s, "vehicles")


@pytest.mark.parametrize("code", [s["code"] for s in DEFAULT_SOURCES])
def test_template_has_the_declared_headers_and_an_example(engine, code):
    with Session(engine) as s:
        data = monitoring_rules.template_bytes(s, code, today=date(2026, 11, 15))
        source, columns = monitoring_rules.source_columns(s, code)
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["身份证号", "数据月份"] + [c.header for c in columns]
    assert len(rows) == 2
    example = dict(zip(rows[0], rows[1]))
    assert m.valid_id_mask(pd.Series([example["身份证号"]])).all()
    assert m.parse_month(example["数据月份"]) == date(2026, 11, 1)
    assert book.worksheets[1].title == "填写说明"


# --- the low-code pages -------------------------------------------------------------------

def test_admin_lists_creates_and_edits_a_rule_and_its_threshold(engine, actor_of):
    admin = actor_of("admin")
    with Session(engine) as s:
        page = svc.list_page(s, actor=admin, name="warning_rules", query=ListQuery(page_size=100))
        assert page.total == 15
        medical = next(r for r in page.rows if r["code"] == "medical_annual")
        assert medical["indicator"] == "年度累计医疗自付费用" and medical["severity"] == "高"
        business = next(r for r in page.rows if r["code"] == "business_found")
        assert business["applies_to_tags"] == "低保、特困"
        sources = svc.list_page(s, actor=actor_of("xinmin"), name="data_sources", query=ListQuery())
        assert sources.total == 9  # staff read the declarations
        thresholds = svc.list_page(s, actor=admin, name="warning_thresholds",
                                   query=ListQuery(filters={"rule_code": "medical_annual"}))
        assert {(r["tag"], r["value"]) for r in thresholds.rows} == {
            ("特困", "1000"), ("低保", "5000"), ("低保边缘", "10000"), ("", "15000")}  # blank: 其他家庭
    with unit_of_work(engine) as s:
        key = svc.create(s, actor=admin, name="warning_rules", raw=RULE)
    with unit_of_work(engine) as s:
        svc.update(s, actor=admin, name="warning_rules", key=key,
                   raw={**RULE, "severity": "medium", "has_applies_to_tags": "1"})
        tkey = svc.create(s, actor=admin, name="warning_thresholds",
                          raw={"rule_code": "big_hospital", "tag": "", "value": "8000",
                               "effective_from": NEXT_MONTH.isoformat(), "note": "试行"})
    with unit_of_work(engine) as s:
        svc.update(s, actor=admin, name="warning_thresholds", key=tkey, raw={"value": "9000", "note": "试行"})
    with Session(engine) as s:
        rule = s.get(WarningRule, int(key))
        assert rule.severity == "medium" and rule.applies_to_tags == " dibao tekun "
        spec = next(r for r in monitoring_rules.active_rules(s, NEXT_MONTH, "medical_insurance")
                    if r.code == "big_hospital")
        assert spec.thresholds == {"": 9000}
        entities = {e.entity for e in s.exec(select(AuditEntry)).all()}
        assert {"warning_rule", "warning_threshold"} <= entities


@pytest.mark.parametrize("change, message", [
    ({"code": "Bad Code"}, "代码须以小写英文字母开头"),
    ({"comparison": "flag"}, "“出现即预警”只适用于是否标记类指标"),
    ({"indicator": "died"}, "比较方式应为“出现即预警”"),
    ({"indicator": "uninsured", "comparison": "flag", "aggregate": "household_sum"}, "只适用于数值类指标"),
    ({"source_code": "vehicles"}, "数据来源“机动车登记”没有对应“单次住院自付费用”的数据列"),
    ({"source_code": "registry"}, "没有对应"),
    ({"applies_to_tags": ["rich"]}, "适用家庭“rich”不在可选范围内"),
    ({"severity": "extreme"}, "不在可选范围内"),
    ({"code": "medical_annual"}, "重复"),
])
def test_bad_rules_are_refused(engine, actor_of, change, message):
    before = counts(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        svc.create(s, actor=actor_of("admin"), name="warning_rules", raw={**RULE, **change})
    assert message in err.value.message
    assert counts(engine) == before


def test_only_the_admin_changes_declarations(engine, actor_of):
    for login in ("minzheng", "xinmin"):
        with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
            svc.create(s, actor=actor_of(login), name="warning_rules", raw=RULE)
    with pytest.raises(PermissionDenied), Session(engine) as s:
        svc.list_page(s, actor=actor_of("lingdao"), name="warning_rules", query=ListQuery())


def test_thresholds_are_dated_and_kept_once_used(engine, actor_of):
    admin = actor_of("admin")
    raw = {"rule_code": "medical_annual", "tag": "dibao", "value": "4500", "note": ""}
    with pytest.raises(ValidationError, match="生效日期不能早于本月 1 日"), unit_of_work(engine) as s:
        svc.create(s, actor=admin, name="warning_thresholds", raw={**raw, "effective_from": "2025-06-01"})
    with pytest.raises(ValidationError, match="生效日期须为某月 1 日"), unit_of_work(engine) as s:
        svc.create(s, actor=admin, name="warning_thresholds",
                   raw={**raw, "effective_from": NEXT_MONTH.replace(day=15).isoformat()})
    with pytest.raises(ValidationError, match="“uninsured”不在可选范围内"), unit_of_work(engine) as s:
        svc.create(s, actor=admin, name="warning_thresholds",
                   raw={**raw, "rule_code": "uninsured", "effective_from": NEXT_MONTH.isoformat()})
    with Session(engine) as s:
        default_key = str(s.exec(select(WarningThreshold.id).where(
            WarningThreshold.rule_code == "medical_annual", WarningThreshold.tag == "dibao")).one())
    # not used yet: may be corrected
    with unit_of_work(engine) as s:
        svc.update(s, actor=admin, name="warning_thresholds", key=default_key, raw={"value": "5000", "note": "核对"})
    # once a warning quotes it, it stays as it is
    with unit_of_work(engine) as s:
        hid = households.create_household(
            s, actor=actor_of("fenghuang"), household={"area_code": FENGHUANG, "address": "凤凰村3组"},
            head={"id_number": make_id(birth=date(1960, 1, 1), seq=301), "name": "陈大"})
        s.add(RiskWarning(household_id=hid, area_code=FENGHUANG, rule_code="medical_annual",
                          period=date(2026, 10, 1), severity="high", department="both", source="medical_insurance",
                          raised_on=date(2026, 10, 20)))
    with pytest.raises(ValidationError, match="已用于生成预警，不能修改或删除"), unit_of_work(engine) as s:
        svc.update(s, actor=admin, name="warning_thresholds", key=default_key, raw={"value": "6000"})
    with pytest.raises(ValidationError, match="已用于生成预警"), unit_of_work(engine) as s:
        svc.delete(s, actor=admin, name="warning_thresholds", key=default_key)


def test_source_and_column_pages(engine, actor_of):
    admin = actor_of("admin")
    with unit_of_work(engine) as s:
        svc.create(s, actor=admin, name="data_sources",
                   raw={"code": "civil_pension", "name": "养老金发放", "department": "县人力社保局",
                        "id_header": "证件号码", "period_header": "月份", "active": "true"})
        key = svc.create(s, actor=admin, name="source_columns",
                         raw={"source_code": "civil_pension", "header": "停发标志", "indicator": "lost_job",
                              "kind": "flag", "true_values": "停发", "required": "true"})
    with Session(engine) as s:
        source, columns = monitoring_rules.source_columns(s, "civil_pension")
        assert source.id_header == "证件号码" and [c.header for c in columns] == ["停发标志"]
        page = svc.list_page(s, actor=admin, name="source_columns",
                             query=ListQuery(filters={"source_code": "civil_pension"}))
        assert page.rows[0]["source_code"] == "养老金发放" and page.rows[0]["indicator"] == "失业"
        assert int(page.rows[0]["_key"]) == int(key)
    bad = [
        ({"code": "registry"}, "data_sources", "保留给登记信息变更"),
        ({"kind": "number"}, "source_columns", "列类型应为“是否标记”"),
        ({"indicator": ""}, "source_columns", "请选择该列对应的指标"),
        ({"true_values": ""}, "source_columns", "请填写表示“是”的取值"),
        ({"header": "证件号码"}, "source_columns", "已是该数据来源的身份证号列"),
        ({"header": "停发标志"}, "source_columns", "重复"),
        ({"source_code": "nowhere"}, "source_columns", "不在可选范围内"),
    ]
    base = {"data_sources": {"code": "x_src", "name": "某来源", "id_header": "身份证号", "period_header": ""},
            "source_columns": {"source_code": "civil_pension", "header": "新列", "indicator": "lost_job",
                               "kind": "flag", "true_values": "是"}}
    for change, name, message in bad:
        with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
            svc.create(s, actor=admin, name=name, raw={**base[name], **change})
        assert message in err.value.message, (change, err.value.message)
    # a column not used keeps no indicator
    with unit_of_work(engine) as s:
        key = svc.create(s, actor=admin, name="source_columns",
                         raw={"source_code": "civil_pension", "header": "备注", "indicator": "lost_job",
                              "kind": "ignore", "true_values": "x"})
    with Session(engine) as s:
        row = s.get(SourceColumn, int(key))
        assert (row.indicator, row.true_values) == ("", "")
