"""Demo warnings: last month's medical-insurance file (医保结算数据) compared with the demo
registry, so the inbox has real warnings - a 低保 household over 5,000 yuan of self-paid
medical costs in the year, a 特困 one over 1,000, a 低保边缘 one over 10,000, a monitored
household's hospital stay, a lapsed insurance, a month of outpatient costs - plus one row
nobody in the registry holds and one bad ID number, so the batch report shows both.

Then a few warnings are walked through the loop with the demo logins: one 核查中 (sent to
凤凰村's clerk), one 已处置 with a referral to the medical insurance bureau, one 已反馈; the
rest stay 待核查, past their deadline and escalated. Every status shows in the demo.

Built through the real services (services/department_import as 县民政局, services/warnings)
with past dates. Idempotent: skipped when any import batch or warning exists.
"""

import csv
import io
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from ..db.tables import Household, ImportBatch, Organisation, RiskWarning, User
from ..domain.reporting import previous_month
from ..services import department_import, monitoring_rules, warnings
from ..services.auth import actor_for
from ..services.households import today_in_china
from .households import HOUSEHOLDS, demo_id

SOURCE = "medical_insurance"
HEADER = ("身份证号", "姓名", "年度累计自付", "单次住院最高自付", "当月门诊自付", "参保状态", "数据月份")
INSURED = "正常参保"

# (household index in demo/households.HOUSEHOLDS, member index, year self-pay, largest stay,
#  month's outpatient, insurance status). What each one raises is in the comment.
ROWS = (
    (0, 0, "6850.00", "4200.00", "320.00", INSURED),    # 张德福, 低保: medical_annual (≥ 5,000)
    (0, 1, "0", "", "", INSURED),
    (1, 0, "1280.00", "", "150.00", INSURED),           # 李秀珍, 特困: medical_annual (≥ 1,000)
    (4, 0, "6200.00", "6200.00", "", INSURED),          # 刘永福, 监测对象: inpatient_stay (≥ 5,000)
    (5, 0, "8300.00", "8300.00", "", INSURED),          # 陈大勇, 低保边缘: medical_annual (household ≥ 10,000)
    (5, 2, "3100.00", "", "", INSURED),
    (6, 0, "5600.00", "", "260.00", INSURED),           # 赵桂英, 低保: medical_annual
    (7, 0, "800.00", "", "90.00", INSURED),             # 吴光明: nothing
    (8, 0, "3000.00", "", "", INSURED),
    (8, 2, "", "", "", "断保"),                          # 孙宇: uninsured
    (12, 0, "7300.00", "5100.00", "", INSURED),         # 蒋大海, 沙坪镇 低保: medical_annual
    (13, 0, "2000.00", "", "620.00", INSURED),          # 冯建军: outpatient_month (≥ 500)
)


def _actor(session: Session, username: str):
    return actor_for(session, session.exec(select(User).where(User.username == username)).one())


def medical_file(period: date) -> bytes:
    """The demo file as the medical insurance bureau sends it (CSV, UTF-8 with BOM)."""
    month = f"{period:%Y-%m}"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for household, member, year, stay, outpatient, insured in ROWS:
        person = HOUSEHOLDS[household].people[member]
        writer.writerow((person.id_number, person.name, year, stay, outpatient, insured, month))
    stranger = demo_id(date(1966, 1, 1), 997)  # valid, but nobody in the registry
    writer.writerow((stranger, "外县人员", "2000.00", "", "", INSURED, month))
    bad = demo_id(date(1971, 4, 8), 995)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # a wrong check digit: listed as invalid
    writer.writerow((bad, "号码有误", "100.00", "", "", INSURED, month))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _warning_of(session: Session, household: int, rule: str) -> RiskWarning | None:
    head = HOUSEHOLDS[household].people[0].id_number
    return session.exec(select(RiskWarning).join(Household, Household.id == RiskWarning.household_id)
                        .where(Household.head_id_number == head, RiskWarning.rule_code == rule)).first()


def seed_demo_warnings(session: Session, today: date | None = None) -> int:
    """Import the demo file, walk three warnings through the loop and escalate the overdue
    rest; returns how many warnings exist (0 when skipped)."""
    if session.exec(select(func.count()).select_from(ImportBatch)).one() or \
            session.exec(select(func.count()).select_from(RiskWarning)).one():
        return 0
    today = today or today_in_china()
    monitoring_rules.seed_defaults(session)
    period = previous_month(today)
    minzheng, xinmin = _actor(session, "minzheng"), _actor(session, "xinmin")
    report = department_import.import_department_file(
        session, actor=minzheng, source_code=SOURCE, period=period, filename=f"医保结算数据{period:%Y%m}.csv",
        data=medical_file(period), today=today - timedelta(days=14))
    if report.failed:
        raise RuntimeError(f"demo medical file does not import: {report.message}")
    session.flush()

    # 核查中: the township sends 凤凰村's clerk to 赵桂英's home
    sent = _warning_of(session, 6, "medical_annual")
    fenghuang = session.exec(select(User.id).where(User.username == "fenghuang")).one()
    if sent is not None:
        warnings.assign(session, actor=xinmin, warning_id=sent.id, assignee_id=fenghuang,
                        today=today - timedelta(days=12))
    # 已处置: 陈大勇's family is referred to the medical insurance bureau for 医疗救助
    referred = _warning_of(session, 5, "medical_annual")
    if referred is not None:
        medical = session.exec(select(Organisation.id).where(Organisation.name == "垫江县医疗保障局")).first()
        warnings.assign(session, actor=xinmin, warning_id=referred.id, today=today - timedelta(days=12))
        warnings.handle(session, actor=xinmin, warning_id=referred.id, verify_result="confirmed",
                        verify_note="入户核实：户主今年两次住院，家庭医疗自付合计超过 1.1 万元",
                        disposition="referral",
                        need={"kind": "medical", "description": "住院自付费用较大，申请医疗救助", "amount": "6000",
                              "urgency": "urgent", "mode": "assigned", "organisation_id": medical},
                        today=today - timedelta(days=11))
    # 已反馈: 孙宇's insurance had lapsed only in the bureau's data
    lapsed = _warning_of(session, 8, "uninsured")
    if lapsed is not None:
        warnings.assign(session, actor=xinmin, warning_id=lapsed.id, today=today - timedelta(days=12))
        warnings.handle(session, actor=xinmin, warning_id=lapsed.id, verify_result="not_confirmed",
                        verify_note="电话及入户核实：孙宇已在外地单位参加职工医保", disposition="no_action",
                        disposition_note="已在务工地参保，数据未同步", today=today - timedelta(days=11))
        warnings.feed_back(session, actor=xinmin, warning_id=lapsed.id,
                           feedback="核查不属实：已在务工地参加职工医保，请医保局更新数据", today=today - timedelta(days=10))
    session.flush()
    warnings.escalate_overdue(session, today=today)
    return session.exec(select(func.count()).select_from(RiskWarning)).one()
