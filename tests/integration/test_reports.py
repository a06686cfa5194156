"""Monthly reports on both databases (docs/reporting.md): a small county built through the
services - tag periods starting, ending and held across October 2026, a member who left, three
applications (one overdue in its step, one fresh, one refused in the month), two warnings (one
handled and overdue for feedback, one fresh), two referrals (one completed with an amount, one
pooled past its claim deadline) and a joint meeting - gives the figures worked out by hand for
the county, 新民镇 and 沙坪镇; the past month comes out the same after today's changes; a
generation request runs to a row with the PDF and the workbook; refusals (another township, a
village clerk, a partner, the administrator, a month not begun, an unknown area) write nothing;
the archive is scoped by area; a download is audited; the leaders' summary carries no person.

Records written by the services carry created_at = now; the figures place applications,
referrals and members by that timestamp, so the helpers move it back to the day the test
pretends it happened (as it would be had the step really been taken then)."""

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import (
    ActionItem,
    Application,
    AuditEntry,
    Household,
    HouseholdTag,
    Member,
    MonthlyReport,
    Organisation,
    Referral,
    RiskWarning,
)
from lowincome_portal.db.timeutil import CHINA
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain import working_days
from lowincome_portal.domain.errors import NotFound, PermissionDenied, PortalError, ValidationError
from lowincome_portal.services import (
    household_records,
    households,
    intake,
    intake_notice,
    intake_submit,
    meetings,
    monitoring_rules,
    referrals,
    report_data,
    reports,
    warning_writer,
    warnings,
)
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id

COUNTY, XINMIN, SHAPING = "500231000000", "500231100000", "500231101000"
FENGHUANG, CHANGLING, HONGYAN = "500231100200", "500231100201", "500231101200"
OCTOBER = date(2026, 10, 1)
CISHAN = "垫江县慈善会"

_numbers = itertools.count(1)


# --- helpers ------------------------------------------------------------------------------------

def _at(day: date) -> datetime:
    """10 a.m. China time on `day`, in UTC (how created_at is stored)."""
    return datetime.combine(day, time(10), tzinfo=CHINA).astimezone(UTC)


def backdate(engine, table, ids, day: date) -> None:
    with engine.begin() as c:
        c.execute(sa.update(table.__table__).where(table.__table__.c.id.in_(list(ids))).values(created_at=_at(day)))


def add_household(engine, actor, area, name="张大山") -> int:
    n = next(_numbers)
    with unit_of_work(engine) as s:
        hid = households.create_household(
            s, actor=actor, household={"area_code": area, "address": "5组18号", "phone": "13812345678"},
            head={"id_number": make_id(birth=date(1960, 5, 6), seq=400 + n * 2 + 1), "name": name})
    # the family was on the register long before the month reported on
    with engine.begin() as c:
        c.execute(sa.update(Member.__table__).where(Member.__table__.c.household_id == hid)
                  .values(created_at=_at(date(2025, 1, 6))))
    return hid


def add_tag(engine, actor, household_id, tag, start, subtype="") -> int:
    with unit_of_work(engine) as s:
        return household_records.add_tag(s, actor=actor, household_id=household_id, tag=tag, start_date=start,
                                         decision_ref=f"垫民发〔2026〕{next(_numbers)}号", subtype=subtype)


def end_tag(engine, actor, tag_id, end) -> None:
    with unit_of_work(engine) as s:
        household_records.end_tag(s, actor=actor, tag_id=tag_id, end_date=end, reason="收入好转")


def station_application(engine, actor, area, day) -> int:
    n = next(_numbers)
    form = {"applicant_name": f"申请人{n}", "applicant_id_number": make_id(birth=date(1956, 3, 4), seq=600 + n * 2 + 1),
            "applicant_phone": "13800001111", "area_code": area, "address": "三组 12 号",
            "difficulty": "老两口无收入，老伴患病", "consent": True, "members": []}
    with unit_of_work(engine) as s:
        app_id = intake_submit.create_at_station(s, actor=actor, form=form, today=day)
    backdate(engine, Application, [app_id], day)
    return app_id


def step(engine, actor, app_id, action, day, comment=""):
    with unit_of_work(engine) as s:
        intake.take_step(s, actor=actor, application_id=app_id, action=action, comment=comment, today=day)


def investigate(engine, actor, app_id, day):
    with Session(engine) as s:
        household_id = s.get(Application, app_id).household_id
    with unit_of_work(engine) as s:
        household_records.record_visit(s, actor=actor, household_id=household_id, visited_on=day, findings="入户核实")
        household_records.record_economic_status(s, actor=actor, household_id=household_id, recorded_on=day,
                                                 values={"transfer_income": "0"}, source="visit")


def raise_warning(engine, household_id, day, period=date(2026, 9, 1)) -> int:
    with unit_of_work(engine) as s:
        spec = next(r for r in monitoring_rules.active_rules(s, period) if r.code == "medical_annual")
        hits = pd.DataFrame({"household_id": [household_id], "member_id": [None], "value": [12345.0],
                             "threshold": [5000.0], "evidence": ["年度累计医疗自付费用较高"]})
        assert warning_writer.write(s, hits=hits, rule=spec, period=period, source="medical_insurance",
                                    batch_id=None, actor=None, today=day) == 1
        return s.exec(select(RiskWarning.id).where(RiskWarning.household_id == household_id)).one()


def pooled_referral(engine, actor, household_id, day) -> int:
    with unit_of_work(engine) as s:
        need = referrals.record_need(s, actor=actor, household_id=household_id, kind="charity_aid",
                                     description="因病致贫，生活困难", amount="2000", source="visit", today=day)
    with unit_of_work(engine) as s:
        ref = referrals.dispatch(s, actor=actor, need_id=need, mode="pool", today=day)
    backdate(engine, Referral, [ref], day)
    return ref


@pytest.fixture
def county(engine, actor_of):
    """The small county of October 2026 (see the module's docstring); returns what the tests need."""
    xinmin, shaping, minzheng, nongye = (actor_of(u) for u in ("xinmin", "shaping", "minzheng", "nongye"))
    h1 = add_household(engine, xinmin, FENGHUANG, "户主甲")
    h2 = add_household(engine, xinmin, FENGHUANG, "户主乙")
    h3 = add_household(engine, xinmin, CHANGLING, "户主丙")
    h4 = add_household(engine, shaping, HONGYAN, "户主丁")
    h5 = add_household(engine, shaping, HONGYAN, "户主戊")
    # H1: a second member who leaves in the month
    with unit_of_work(engine) as s:
        spouse = households.add_member(s, actor=xinmin, household_id=h1, member={
            "id_number": make_id(birth=date(1962, 7, 8), seq=902), "name": "配偶甲", "relation": "spouse"})
    with engine.begin() as c:
        c.execute(sa.update(Member.__table__).where(Member.__table__.c.id == spouse)
                  .values(created_at=_at(date(2025, 1, 6))))
    with unit_of_work(engine) as s:
        households.remove_member(s, actor=xinmin, member_id=spouse, left_on=date(2026, 10, 15), reason="外出务工迁出")

    add_tag(engine, minzheng, h1, "dibao", date(2026, 9, 15))          # held before and at the end
    add_tag(engine, minzheng, h2, "dibao", date(2026, 10, 1))          # new on the 1st
    t3 = add_tag(engine, minzheng, h3, "tekun", date(2026, 8, 1))      # ends on the 1st: exited
    end_tag(engine, minzheng, t3, date(2026, 10, 1))
    t4 = add_tag(engine, nongye, h4, "monitoring", date(2026, 6, 1), subtype="unstable")
    end_tag(engine, nongye, t4, date(2026, 10, 20))                    # exits in the month
    add_tag(engine, minzheng, h5, "dibao_edge", date(2026, 10, 10))    # new

    # A3: received in September, refused on 12 October
    a3 = station_application(engine, xinmin, FENGHUANG, date(2026, 9, 1))
    step(engine, xinmin, a3, "complete_check", date(2026, 9, 2))
    investigate(engine, xinmin, a3, date(2026, 9, 3))
    step(engine, xinmin, a3, "complete_investigation", date(2026, 9, 3))
    step(engine, xinmin, a3, "approve_preliminary", date(2026, 9, 4))
    with unit_of_work(engine) as s:
        intake_notice.post_notice(s, actor=xinmin, area_code=FENGHUANG, track="assistance",
                                  posted_on=date(2026, 9, 7), contact="新民镇民政办", today=date(2026, 9, 7))
    step(engine, xinmin, a3, "end_notice", date(2026, 9, 15))
    step(engine, minzheng, a3, "refuse", date(2026, 10, 12), comment="家庭收入超过标准")
    # A1: received 9 October, investigated 14 October, in 乡镇初审 past its 5 working days at the end
    a1 = station_application(engine, xinmin, FENGHUANG, date(2026, 10, 9))
    step(engine, xinmin, a1, "complete_check", date(2026, 10, 12))
    investigate(engine, xinmin, a1, date(2026, 10, 14))
    step(engine, xinmin, a1, "complete_investigation", date(2026, 10, 14))
    # A2: received 28 October, its 信息比对 due in November
    a2 = station_application(engine, xinmin, CHANGLING, date(2026, 10, 28))

    # W1 (凤凰村): raised 9 Oct, verified 12 Oct, handled 20 Oct, feedback due 27 Oct: overdue at the end
    w1 = raise_warning(engine, h1, date(2026, 10, 9))
    with unit_of_work(engine) as s:
        warnings.assign(s, actor=xinmin, warning_id=w1, today=date(2026, 10, 12))
    with unit_of_work(engine) as s:
        warnings.handle(s, actor=xinmin, warning_id=w1, verify_result="not_confirmed", verify_note="已入户核实",
                        disposition="no_action", disposition_note="医疗费用已由医保报销", today=date(2026, 10, 20))
    # W2 (红岩村): raised 29 Oct, due 3 Nov
    raise_warning(engine, h4, date(2026, 10, 29))

    # R1 (凤凰村): pooled 12 Oct, claimed 13 Oct, completed 20 Oct with 2,000 yuan
    r1 = pooled_referral(engine, xinmin, h1, date(2026, 10, 12))
    with unit_of_work(engine) as s:
        referrals.claim(s, actor=actor_of("cishan"), referral_id=r1, today=date(2026, 10, 13))
    with unit_of_work(engine) as s:
        referrals.complete(s, actor=actor_of("cishan"), referral_id=r1, outcome="发放临时救助金", amount="2000",
                           delivered_on=date(2026, 10, 20), today=date(2026, 10, 20))
    # R2 (红岩村): pooled 26 Oct, nobody claims it by its claim deadline
    pooled_referral(engine, shaping, h4, date(2026, 10, 26))

    # 新民镇's October meeting, held on 27 October
    with unit_of_work(engine) as s:
        meeting = meetings.create_meeting(s, actor=xinmin, area_code=XINMIN, month=OCTOBER,
                                          planned_on=date(2026, 10, 27), place="镇政府会议室", chair_name="李镇长",
                                          unit_ids=[], today=date(2026, 10, 20))
    with unit_of_work(engine) as s:
        meetings.mark_held(s, actor=xinmin, meeting_id=meeting, held_on=date(2026, 10, 27), today=date(2026, 10, 27))
    return {"households": [h1, h2, h3, h4, h5], "apps": [a1, a2, a3], "w1": w1}


def figures(engine, area):
    with Session(engine) as s:
        return report_data.month_figures(s, area_code=area, period=OCTOBER)


def tag_row(report, tag):
    return next(r for r in report["tags"] if r["tag"] == tag)


def counts(row):
    return tuple(row[k] for k in ("households_start", "households_new", "households_exited", "households_end",
                                  "persons_start", "persons_new", "persons_exited", "persons_end"))


# --- the figures --------------------------------------------------------------------------------

def test_month_figures_for_the_county_and_its_townships(engine, county):
    report = figures(engine, COUNTY)
    assert (report["period"], report["period_text"], report["area_name"]) == ("2026-10-01", "2026年10月", "垫江县")
    # H1: 2 members on 30 Sep, 1 on 31 Oct (the spouse left on 15 Oct)
    assert counts(tag_row(report, "dibao")) == (1, 1, 0, 2, 2, 1, 0, 2)
    assert counts(tag_row(report, "tekun")) == (1, 0, 1, 0, 1, 0, 1, 0)
    assert counts(tag_row(report, "monitoring")) == (1, 0, 1, 0, 1, 0, 1, 0)
    assert counts(tag_row(report, "dibao_edge")) == (0, 1, 0, 1, 0, 1, 0, 1)
    assert counts(tag_row(report, "total")) == (3, 2, 2, 3, 4, 2, 2, 3)

    apps = report["applications"]
    refused_days = working_days.working_days_between(date(2026, 9, 1), date(2026, 10, 12))
    assert (apps["received"], apps["decided"], apps["approved"], apps["refused"], apps["overdue"]) == (2, 1, 0, 1, 1)
    assert apps["median_working_days"] == refused_days

    w = report["warnings"]
    assert (w["raised"], w["handled"], w["fed_back"], w["overdue"]) == (2, 1, 0, 1)
    medical = next(r for r in w["by_rule"] if r["rule"] == "medical_annual")
    assert (medical["raised"], medical["overdue"]) == (2, 1)

    r = report["referrals"]
    assert (r["dispatched"], r["claimed"], r["completed"], r["overdue"], r["amount"]) == (2, 1, 1, 1, 2000.0)
    partner = next(p for p in r["by_partner"] if p["label"] == CISHAN)
    assert (partner["completed"], partner["amount"]) == (1, 2000.0)
    assert report["meetings"]["held"] == 1

    burden = report["burden"]
    with Session(engine) as s:
        a1 = s.get(Application, county["apps"][0])
    assert (burden["fields_prefilled"], burden["fields_typed"]) == (a1.fields_prefilled, a1.fields_typed)
    # one visit (A1's investigation, 14 Oct); W1's verification needed a visit nobody recorded
    assert (burden["visits"], burden["visits_avoided"]) == (1, 1)

    xinmin = figures(engine, XINMIN)
    assert counts(tag_row(xinmin, "total")) == (2, 1, 1, 2, 3, 1, 1, 2)
    assert (xinmin["applications"]["received"], xinmin["applications"]["overdue"]) == (2, 1)
    assert (xinmin["warnings"]["raised"], xinmin["warnings"]["overdue"]) == (1, 1)
    assert (xinmin["referrals"]["completed"], xinmin["referrals"]["overdue"], xinmin["referrals"]["amount"]) == (1, 0, 2000.0)
    assert xinmin["meetings"]["held"] == 1

    shaping = figures(engine, SHAPING)
    assert counts(tag_row(shaping, "total")) == (1, 1, 1, 1, 1, 1, 1, 1)
    assert (shaping["applications"]["received"], shaping["warnings"]["raised"], shaping["referrals"]["overdue"],
            shaping["meetings"]["held"]) == (0, 1, 1, 0)

    with Session(engine) as s:
        rows = report_data.township_rows(s, area_code=COUNTY, period=OCTOBER)
        starts = report_data._month_starts(OCTOBER, 12)
        by_month = report_data.main_by_month(s, area_code=COUNTY, months=starts)
    months = [{"period": m.isoformat(), **by_month[m]} for m in starts]
    by_code = {row["area_code"]: row for row in rows}
    # 新民镇: A1 and W1 overdue, A2 open (A3 decided, R1 completed); 沙坪镇: R2 overdue, W2 open
    assert (by_code[XINMIN]["overdue"], by_code[XINMIN]["open"], by_code[XINMIN]["overdue_rate"]) == (2, 3, 0.6667)
    assert (by_code[SHAPING]["overdue"], by_code[SHAPING]["open"], by_code[SHAPING]["overdue_rate"]) == (1, 2, 0.5)
    assert [r["area_code"] for r in rows[:2]] == [XINMIN, SHAPING] and rows[0]["rank"] == 1
    assert by_code[XINMIN]["households_end"] == 2 and by_code[XINMIN]["referral_amount"] == 2000.0
    assert [m["period"] for m in months][-1] == "2026-10-01" and len(months) == 12
    # the trend's light queries count the month as the report does
    from lowincome_portal.domain import reporting
    main = reporting.main_figures(report)
    assert {k: months[-1][k] for k in main} == main
    assert months[-2]["households_end"] == 3 and months[-2]["applications_received"] == 1  # September: H1, H3, H4; A3


def test_members_entered_with_their_household_count_from_the_start(engine, actor_of):
    # Registered today (not backdated) with its head and a child: a household on 低保 since
    # September is counted in October with both people - they belonged to it before the
    # portal knew it. A member added a day after registration would count from that day.
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        hid = households.create_household(
            s, actor=xinmin, household={"area_code": FENGHUANG, "address": "7组2号", "phone": "13812340000"},
            head={"id_number": make_id(birth=date(1970, 1, 2), seq=811), "name": "新录入户"})
        households.add_member(s, actor=xinmin, household_id=hid, member={
            "id_number": make_id(birth=date(2012, 3, 4), seq=812), "name": "新录入子", "relation": "child"})
    add_tag(engine, actor_of("minzheng"), hid, "dibao", date(2026, 9, 1))
    row = tag_row(figures(engine, FENGHUANG), "dibao")
    assert (row["households_end"], row["persons_end"]) == (1, 2)


def test_a_past_month_comes_out_the_same_after_todays_changes(engine, actor_of, county):
    before_county, before_xinmin = figures(engine, COUNTY), figures(engine, XINMIN)
    today = today_in_china()
    xinmin, minzheng = actor_of("xinmin"), actor_of("minzheng")
    h6 = add_household(engine, xinmin, FENGHUANG, "户主己")
    add_tag(engine, minzheng, h6, "dibao", today)
    h1 = county["households"][0]
    tag = Session(engine).exec(select(HouseholdTag.id).where(HouseholdTag.household_id == h1)).one()
    end_tag(engine, minzheng, tag, today)
    with unit_of_work(engine) as s:
        intake_submit.create_at_station(s, actor=xinmin, today=today, form={
            "applicant_name": "新申请人", "applicant_id_number": make_id(birth=date(1950, 1, 2), seq=991),
            "applicant_phone": "13800002222", "area_code": FENGHUANG, "address": "一组 1 号",
            "difficulty": "因病", "consent": True, "members": []})
    with unit_of_work(engine) as s:
        warnings.feed_back(s, actor=xinmin, warning_id=county["w1"], feedback="已反馈医保局", today=today)
    assert figures(engine, COUNTY) == before_county
    assert figures(engine, XINMIN) == before_xinmin


def test_a_referral_returned_later_leaves_the_earlier_month_as_it_was(engine, actor_of):
    # R1: assigned to 垫江县慈善会 on 2 February (urgent: due in 3 working days), overdue at the
    # end of February; R2: pooled on 3 February and claimed on 4 February. Both are returned on
    # 10 March, which clears the holder and the claim day and resets the deadlines on the rows:
    # February's figures must not move.
    xinmin, cishan = actor_of("xinmin"), actor_of("cishan")
    february, march = date(2026, 2, 1), date(2026, 3, 1)
    with Session(engine) as s:
        org = s.exec(select(Organisation.id).where(Organisation.name == CISHAN)).one()
    h1, h2 = add_household(engine, xinmin, FENGHUANG, "户主庚"), add_household(engine, xinmin, FENGHUANG, "户主辛")
    with unit_of_work(engine) as s:
        need = referrals.record_need(s, actor=xinmin, household_id=h1, kind="charity_aid", description="急需生活费",
                                     urgency="urgent", source="visit", today=date(2026, 2, 2))
    with unit_of_work(engine) as s:
        r1 = referrals.dispatch(s, actor=xinmin, need_id=need, mode="assigned", organisation_id=org,
                                today=date(2026, 2, 2))
    backdate(engine, Referral, [r1], date(2026, 2, 2))
    r2 = pooled_referral(engine, xinmin, h2, date(2026, 2, 3))
    with unit_of_work(engine) as s:
        referrals.claim(s, actor=cishan, referral_id=r2, today=date(2026, 2, 4))

    def month(period):
        with Session(engine) as s:
            return report_data.month_figures(s, area_code=XINMIN, period=period)["referrals"]

    before = month(february)
    assert {k: before[k] for k in ("dispatched", "claimed", "open", "overdue")} == {
        "dispatched": 2, "claimed": 1, "open": 2, "overdue": 1}
    partner = next(p for p in before["by_partner"] if p["label"] == CISHAN)
    assert (partner["dispatched"], partner["claimed"], partner["open"], partner["overdue"]) == (2, 1, 2, 1)
    assert [p["label"] for p in before["by_partner"]] == [CISHAN]

    for ref in (r1, r2):
        with unit_of_work(engine) as s:
            referrals.return_referral(s, actor=cishan, referral_id=ref, reason="超出本机构服务能力",
                                      today=date(2026, 3, 10))
    with Session(engine) as s:
        returned = s.get(Referral, r1)
        assert (returned.organisation_id, returned.claim_due_on is not None) == (None, True)
    assert month(february) == before
    # March: both back in the pool since the 10th, unclaimed past their 3-working-day claim deadline
    after = month(march)
    assert {k: after[k] for k in ("dispatched", "claimed", "open", "overdue")} == {
        "dispatched": 0, "claimed": 0, "open": 2, "overdue": 2}
    assert [(p["label"], p["open"]) for p in after["by_partner"]] == [("待认领", 2)]


def test_cancelled_and_superseded_action_items(engine, actor_of):
    # Three 交办 decisions of 新民镇's October meeting, due 25 October: A's decision is changed
    # to 同意 (its action item is cancelled), B is superseded by a later meeting on 28 October,
    # C stays open. October: nothing done, only C open and overdue; B is not done work.
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        meeting = meetings.create_meeting(s, actor=xinmin, area_code=XINMIN, month=OCTOBER,
                                          planned_on=date(2026, 10, 20), place="镇政府会议室", chair_name="李镇长",
                                          unit_ids=[], today=date(2026, 10, 10))
    items = {}
    for name in "ABC":
        with unit_of_work(engine) as s:
            items[name] = meetings.add_item(s, actor=xinmin, meeting_id=meeting, title=f"交办事项{name}")
        with unit_of_work(engine) as s:
            meetings.record_minutes(s, actor=xinmin, item_id=items[name], discussion="会议研究", decision="assign",
                                    responsible_user_id=xinmin.user_id, deadline=date(2026, 10, 25),
                                    today=date(2026, 10, 20))
    with unit_of_work(engine) as s:
        meetings.record_minutes(s, actor=xinmin, item_id=items["A"], discussion="改为同意", decision="approve",
                                today=date(2026, 10, 20))
    with Session(engine) as s:
        actions = {a.agenda_item_id: a.id for a in s.exec(select(ActionItem)).all()}
    backdate(engine, ActionItem, actions.values(), date(2026, 10, 20))
    # as services/meetings._close_followed leaves it when a later meeting decides again
    with engine.begin() as c:
        c.execute(sa.update(ActionItem.__table__).where(ActionItem.__table__.c.id == actions[items["B"]])
                  .values(status="superseded", done_on=date(2026, 10, 28)))
    with Session(engine) as s:
        assert s.get(ActionItem, actions[items["A"]]).status == "cancelled"
        october = report_data.month_figures(s, area_code=XINMIN, period=OCTOBER)["meetings"]
        november = report_data.month_figures(s, area_code=XINMIN, period=date(2026, 11, 1))["meetings"]
    assert (october["actions_done"], october["actions_open"], october["actions_overdue"]) == (0, 1, 1)
    assert (november["actions_done"], november["actions_open"], november["actions_overdue"]) == (0, 1, 1)


# --- generation, archive, downloads -------------------------------------------------------------

def _renderers_ready() -> bool:
    try:
        from lowincome_portal.documents import report_pdf  # noqa: F401
        from lowincome_portal.services import report_workbook  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _renderers_ready(), reason="documents/report_pdf or services/report_workbook not there yet")
def test_a_request_runs_to_a_done_row_with_the_pdf_and_the_workbook(engine, actor_of, county):
    minzheng = actor_of("minzheng")
    with unit_of_work(engine) as s:
        report_id = reports.request(s, actor=minzheng, area_code=COUNTY, period="2026-10")
    with Session(engine) as s:
        row = s.get(MonthlyReport, report_id)
        assert (row.status, row.progress, row.period, row.requested_by) == ("queued", 0, OCTOBER, minzheng.user_id)
    assert reports.run(report_id, engine=engine) == "done"
    with Session(engine) as s:
        row = s.get(MonthlyReport, report_id)
    assert (row.status, row.progress, row.error) == ("done", 100, "")
    assert row.pdf.startswith(b"%PDF") and row.xlsx.startswith(b"PK") and row.finished_at is not None
    assert '"households_end": 3' in row.figures and '"townships"' in row.figures
    assert reports.run(report_id, engine=engine) == "done"  # a finished report is left alone
    with unit_of_work(engine) as s:
        name, data = reports.report_file(s, actor=actor_of("lingdao"), report_id=report_id, kind="pdf")
    assert name == "垫江县2026年10月月度报告.pdf" and data == row.pdf
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "monthly_report", AuditEntry.action == "download")).one()
    assert entry.username == "lingdao" and entry.entity_id == str(report_id)
    # 新民镇's staff may not download the county's report
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        reports.report_file(s, actor=actor_of("xinmin"), report_id=report_id, kind="xlsx")


def test_a_failed_generation_keeps_a_chinese_reason(engine, actor_of, monkeypatch):
    with unit_of_work(engine) as s:
        report_id = reports.request(s, actor=actor_of("xinmin"), area_code=XINMIN, period=OCTOBER)

    def broken(*_a, **_k):
        raise ValidationError("模拟的数据错误")

    monkeypatch.setattr(reports, "compose", broken)
    assert reports.run(report_id, engine=engine) == "failed"
    with Session(engine) as s:
        row = s.get(MonthlyReport, report_id)
    assert row.status == "failed" and "模拟的数据错误" in row.error and row.pdf is None
    with pytest.raises(ValidationError), unit_of_work(engine) as s:
        reports.report_file(s, actor=actor_of("xinmin"), report_id=report_id, kind="pdf")


def _fast_renderers(monkeypatch) -> None:
    """Stand-in PDF and workbook: these tests are about the row's state, not the documents."""
    from lowincome_portal.documents import report_pdf
    from lowincome_portal.services import report_workbook

    monkeypatch.setattr(report_pdf, "render", lambda report: b"%PDF-test")
    monkeypatch.setattr(report_workbook, "workbook", lambda report: b"PK-test")


def _set_row(engine, report_id, **values) -> None:
    with engine.begin() as c:
        c.execute(sa.update(MonthlyReport.__table__).where(MonthlyReport.__table__.c.id == report_id).values(**values))


def _minutes_ago(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def test_a_report_being_generated_is_not_requested_twice_until_it_turns_stale(engine, actor_of):
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        first = reports.request(s, actor=xinmin, area_code=XINMIN, period=OCTOBER)
    before = _rows_and_audit(engine)
    for status in ("queued", "running"):
        _set_row(engine, first, status=status)
        with pytest.raises(ValidationError) as refused, unit_of_work(engine) as s:
            reports.request(s, actor=xinmin, area_code=XINMIN, period="2026-10")
        assert refused.value.message == reports.MSG_IN_PROGRESS == "该月度报告正在生成，请稍候"
        assert _rows_and_audit(engine) == before
    with unit_of_work(engine) as s:  # another month, or the county's report of the month, may go ahead
        reports.request(s, actor=xinmin, area_code=XINMIN, period=date(2026, 9, 1))
        reports.request(s, actor=actor_of("minzheng"), area_code=COUNTY, period=OCTOBER)

    # lost (the server restarted mid-run): shown as interrupted, and a new request is taken
    _set_row(engine, first, requested_at=_minutes_ago(20))
    with Session(engine) as s:
        row = next(r for r in reports.archive(s, actor=xinmin) if r["id"] == str(first))
        assert (row["status"], row["status_text"], row["stale"]) == ("running", "生成中断（请重新生成）", "1")
        assert reports.status(s, actor=xinmin, report_id=first)["status_text"] == "生成中断（请重新生成）"
        fresh = next(r for r in reports.archive(s, actor=xinmin) if r["id"] != str(first))
        assert (fresh["status_text"], fresh["stale"]) == ("排队中", "")
    with unit_of_work(engine) as s:
        again = reports.request(s, actor=xinmin, area_code=XINMIN, period=OCTOBER)
    assert again != first
    # a finished or failed generation of the month does not hold up a new one either
    for status in ("done", "failed"):
        _set_row(engine, again, status=status)
        with unit_of_work(engine) as s:
            again = reports.request(s, actor=xinmin, area_code=XINMIN, period=OCTOBER)


def test_a_stale_generation_is_taken_over_and_a_live_one_left_alone(engine, actor_of, monkeypatch):
    _fast_renderers(monkeypatch)
    with unit_of_work(engine) as s:
        report_id = reports.request(s, actor=actor_of("xinmin"), area_code=XINMIN, period=OCTOBER)
    _set_row(engine, report_id, status="running", progress=40, requested_at=_minutes_ago(2))
    assert reports.run(report_id, engine=engine) == "running"  # another worker is on it
    with Session(engine) as s:
        assert (s.get(MonthlyReport, report_id).status, s.get(MonthlyReport, report_id).progress) == ("running", 40)

    for status in ("running", "queued"):  # left by a restart, before or after it started
        _set_row(engine, report_id, status=status, progress=40, requested_at=_minutes_ago(20))
        assert reports.run(report_id, engine=engine) == "done"
        with Session(engine) as s:
            row = s.get(MonthlyReport, report_id)
        assert (row.status, row.progress, row.pdf, row.xlsx) == ("done", 100, b"%PDF-test", b"PK-test")
        # started again: the staleness is counted from the take-over
        assert datetime.now(UTC) - (row.requested_at.replace(tzinfo=UTC) if row.requested_at.tzinfo is None
                                    else row.requested_at) < timedelta(minutes=1)
        _set_row(engine, report_id, pdf=None, xlsx=None)


@pytest.mark.parametrize("path", ["done", "failed"])
def test_a_final_write_that_fails_leaves_the_row_failed_not_running(engine, actor_of, monkeypatch, path):
    """A lock timeout or a dropped connection in the last write: the row still ends failed (a
    bare status update), so the page stops waiting and the report can be generated again."""
    _fast_renderers(monkeypatch)
    with unit_of_work(engine) as s:
        report_id = reports.request(s, actor=actor_of("xinmin"), area_code=XINMIN, period=OCTOBER)
    if path == "failed":
        def broken(*_a, **_k):
            raise ValidationError("模拟的数据错误")

        monkeypatch.setattr(reports, "compose", broken)

    def locked(*_a, **_k):
        raise sa.exc.OperationalError("UPDATE monthly_report", {}, Exception("database is locked"))

    monkeypatch.setattr(reports.audit, "record", locked)
    assert reports.run(report_id, engine=engine) == "failed"
    with Session(engine) as s:
        row = s.get(MonthlyReport, report_id)
    assert row.status == "failed" and row.finished_at is not None and row.pdf is None and row.xlsx is None
    if path == "done":
        assert row.error == reports.MSG_NOT_SAVED and row.figures == ""
    else:
        assert "模拟的数据错误" in row.error
    monkeypatch.undo()
    _fast_renderers(monkeypatch)
    with unit_of_work(engine) as s:  # not stuck: a new request for the month is taken
        assert reports.request(s, actor=actor_of("xinmin"), area_code=XINMIN, period=OCTOBER) != report_id
    assert reports.run(report_id, engine=engine) == "done"  # and the failed row itself may be run again


def test_a_failed_progress_write_does_not_fail_the_generation(engine, actor_of, monkeypatch):
    _fast_renderers(monkeypatch)
    with unit_of_work(engine) as s:
        report_id = reports.request(s, actor=actor_of("xinmin"), area_code=XINMIN, period=OCTOBER)
    real_set = reports._set

    def flaky(engine_, rid, **values):
        if set(values) == {"progress"}:
            raise sa.exc.OperationalError("UPDATE monthly_report", {}, Exception("database is locked"))
        real_set(engine_, rid, **values)

    monkeypatch.setattr(reports, "_set", flaky)
    assert reports.run(report_id, engine=engine) == "done"


def _rows_and_audit(engine):
    with Session(engine) as s:
        return (s.exec(select(func.count()).select_from(MonthlyReport)).one(),
                s.exec(select(func.count()).select_from(AuditEntry)).one())


@pytest.mark.parametrize("who, area, period, error", [
    ("xinmin", SHAPING, OCTOBER, PermissionDenied),       # another township
    ("xinmin", COUNTY, OCTOBER, PermissionDenied),        # the county
    ("fenghuang", FENGHUANG, OCTOBER, PermissionDenied),  # village staff: no reports
    ("fenghuang", XINMIN, OCTOBER, PermissionDenied),
    ("cishan", COUNTY, OCTOBER, PermissionDenied),        # a partner
    ("admin", COUNTY, OCTOBER, PermissionDenied),         # the administrator
    ("minzheng", COUNTY, date(2099, 1, 1), ValidationError),  # not begun
    ("minzheng", FENGHUANG, OCTOBER, ValidationError),    # a village
    ("minzheng", "500231199000", OCTOBER, NotFound),      # no such township
    ("minzheng", COUNTY, "十月", ValidationError),
])
def test_refusals_write_nothing(engine, actor_of, who, area, period, error):
    before = _rows_and_audit(engine)
    with pytest.raises(error) as raised, unit_of_work(engine) as s:
        reports.request(s, actor=actor_of(who), area_code=area, period=period)
    assert raised.value.message and any("\u4e00" <= ch <= "\u9fff" for ch in raised.value.message)
    with pytest.raises(PortalError), Session(engine) as s:
        reports.build_report(s, actor=actor_of(who), area_code=area, period=period)
    assert _rows_and_audit(engine) == before


def test_the_month_not_yet_begun_is_refused_but_the_current_one_is_allowed(engine, actor_of):
    today = today_in_china()
    following = (today.replace(day=28) + timedelta(days=5)).replace(day=1)
    with pytest.raises(ValidationError) as err, Session(engine) as s:
        reports.build_report(s, actor=actor_of("minzheng"), area_code=COUNTY, period=following)
    assert "尚未开始" in err.value.message
    with Session(engine) as s:
        report = reports.build_report(s, actor=actor_of("xinmin"), area_code=XINMIN, period=today)
    assert report["area_name"] == "新民镇" and "townships" not in report and len(report["changes"]) == 9


def test_the_archive_is_scoped_by_area(engine, actor_of):
    with unit_of_work(engine) as s:
        county_id = reports.request(s, actor=actor_of("minzheng"), area_code=COUNTY, period=OCTOBER)
        xinmin_id = reports.request(s, actor=actor_of("xinmin"), area_code=XINMIN, period=OCTOBER)
        shaping_id = reports.request(s, actor=actor_of("shaping"), area_code=SHAPING, period=OCTOBER)
    with Session(engine) as s:
        assert [r["id"] for r in reports.archive(s, actor=actor_of("xinmin"))] == [str(xinmin_id)]
        everything = {r["id"] for r in reports.archive(s, actor=actor_of("lingdao"))}
        assert everything == {str(county_id), str(xinmin_id), str(shaping_id)}
        assert [r["id"] for r in reports.archive(s, actor=actor_of("minzheng"), area_code=SHAPING)] == [str(shaping_id)]
        row = reports.archive(s, actor=actor_of("minzheng"), area_code=SHAPING)[0]
        assert (row["status_text"], row["area_name"], row["period_text"]) == ("排队中", "沙坪镇", "2026年10月")
        with pytest.raises(PermissionDenied):
            reports.archive(s, actor=actor_of("xinmin"), area_code=COUNTY)
        with pytest.raises(PermissionDenied):
            reports.archive(s, actor=actor_of("cishan"))
    with Session(engine) as s:
        audit = s.exec(select(AuditEntry).where(AuditEntry.entity == "monthly_report",
                                                AuditEntry.action == "create")).all()
    assert {a.entity_id for a in audit} == {str(county_id), str(xinmin_id), str(shaping_id)}


# --- the leaders' summary -----------------------------------------------------------------------

def _strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif value is not None:
        yield str(value)


def test_the_leaders_summary_holds_counts_and_amounts_only(engine, actor_of, county):
    with Session(engine) as s:
        summary = reports.leader_summary(s, actor=actor_of("lingdao"), period=OCTOBER)
        people = s.exec(select(Household.head_name, Household.head_id_number, Household.phone, Household.address)).all()
        members = s.exec(select(Member.name, Member.id_number)).all()
        apps = s.exec(select(Application.applicant_name, Application.applicant_id_number,
                             Application.applicant_phone, Application.address)).all()
    assert summary["area_name"] == "垫江县" and summary["period_text"] == "2026年10月"
    figures_by_key = {f["key"]: f for f in summary["figures"]}
    assert figures_by_key["households_end"]["value"] == 3 and figures_by_key["households_end"]["previous"] == 3
    assert figures_by_key["referral_amount"]["value"] == 2000.0
    assert len(summary["trend"]) == 12 and summary["townships"][0]["area_code"] == XINMIN
    text = " ".join(_strings(summary))
    secrets = {v for row in [*people, *members, *apps] for v in row if v}
    assert secrets and not [v for v in secrets if v in text]

    with Session(engine) as s:
        township = reports.leader_summary(s, actor=actor_of("minzheng"), area_code=XINMIN, period=OCTOBER)
        assert township["townships"] == [] and township["parent_code"] == COUNTY
        for who in ("xinmin", "fenghuang", "cishan", "admin"):
            with pytest.raises(PermissionDenied):
                reports.leader_summary(s, actor=actor_of(who))
