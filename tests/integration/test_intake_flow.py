"""The intake services end to end on both databases: an online application walks every step
to a decision, with the household's tag, review date and timeline set; refusals move a
household to 低保边缘; wrong steps, roles and areas change nothing."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import (
    Application,
    Household,
    ApplicationEvent,
    AuditEntry,
    HouseholdTag,
    Member,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import FormErrors, PermissionDenied, ValidationError
from lowincome_portal.services import household_records as records
from lowincome_portal.services import intake, intake_notice, intake_submit
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id

FENGHUANG = "500231100200"   # 新民镇凤凰村
TODAY = today_in_china()
START = TODAY - timedelta(days=40)
APPLICANT = make_id(birth=TODAY.replace(year=TODAY.year - 70) - timedelta(days=3), seq=11)
WIFE = make_id(birth=TODAY.replace(year=TODAY.year - 68) - timedelta(days=3), seq=22)


def form(**changes) -> dict:
    values = {
        "applicant_name": "周大山", "applicant_id_number": APPLICANT, "applicant_phone": "13800001111",
        "area_code": FENGHUANG, "address": "凤凰村三组 12 号", "difficulty": "老两口无收入，老伴患病",
        "consent": True, "members": [{"name": "吴小花", "id_number": WIFE, "relation": "spouse"}],
    }
    values.update(changes)
    return values


def submit(engine, key="k1", client="c1", **changes) -> str:
    with unit_of_work(engine) as s:
        return intake_submit.submit_online(s, form=form(**changes), client_key=client, submission_key=key,
                                           today=START)


def app_of(engine, tracking_no) -> Application:
    with Session(engine) as s:
        return s.exec(select(Application).where(Application.tracking_no == tracking_no)).one()


def step(engine, actor, app_id, action, day, comment="", **kw):
    with unit_of_work(engine) as s:
        return intake.take_step(s, actor=actor, application_id=app_id, action=action, comment=comment,
                                today=day, **kw)


def investigate(engine, actor, household_id, day, income="0"):
    with unit_of_work(engine) as s:
        records.record_visit(s, actor=actor, household_id=household_id, visited_on=day, findings="入户核实")
        records.record_economic_status(s, actor=actor, household_id=household_id, recorded_on=day,
                                       values={"transfer_income": income}, source="visit")


def walk_to_county_review(engine, actor_of, tracking_no, income="0") -> Application:
    xinmin = actor_of("xinmin")
    app = app_of(engine, tracking_no)
    step(engine, xinmin, app.id, "accept", START)
    step(engine, xinmin, app.id, "complete_check", START + timedelta(days=1))
    app = app_of(engine, tracking_no)
    investigate(engine, xinmin, app.household_id, START + timedelta(days=3), income)
    step(engine, xinmin, app.id, "complete_investigation", START + timedelta(days=3))
    step(engine, xinmin, app.id, "approve_preliminary", START + timedelta(days=4))
    with unit_of_work(engine) as s:
        intake_notice.post_notice(s, actor=xinmin, area_code=FENGHUANG, track="assistance",
                                  posted_on=START + timedelta(days=5), contact="新民镇民政办 023-7451xxxx",
                                  today=START + timedelta(days=5))
    step(engine, xinmin, app.id, "end_notice", START + timedelta(days=12))
    return app_of(engine, tracking_no)


def test_online_application_walks_to_a_dibao_decision(engine, actor_of):
    number = submit(engine)
    app = app_of(engine, number)
    assert app.state == "submitted" and app.channel == "online" and app.due_on > START
    # the household joins the registry on acceptance, with the members the applicant listed
    app = walk_to_county_review(engine, actor_of, number)
    assert app.state == "county_review"
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Member).where(
            Member.household_id == app.household_id)).one() == 2
    assert step(engine, actor_of("minzheng"), app.id, "confirm", START + timedelta(days=14),
                comment="符合条件") == "result_notice"
    app = app_of(engine, number)
    assert app.decision == "approved" and app.decision_tags == "tekun"
    with Session(engine) as s:
        tag = s.exec(select(HouseholdTag).where(HouseholdTag.household_id == app.household_id)).one()
    assert tag.application_id == app.id and tag.decision_ref == number
    assert tag.review_due_on == START + timedelta(days=14) + relativedelta(months=12)  # 特困: yearly
    assert step(engine, actor_of("xinmin"), app.id, "notify_approval", START + timedelta(days=15)) == "assisting"
    with Session(engine) as s:
        events = s.exec(select(ApplicationEvent.action).where(ApplicationEvent.application_id == app.id)
                        .order_by(ApplicationEvent.id)).all()
    assert events == ["submit", "accept", "complete_check", "complete_investigation", "approve_preliminary",
                      "end_notice", "confirm", "notify_approval"]
    with Session(engine) as s:
        status = intake_submit.public_status(s, tracking_no=number, id_number=APPLICANT)
    assert status["state"] == "救助帮扶" and "特困" in status["decision"]


def test_a_double_click_makes_one_application_and_the_rate_limit_holds(engine):
    first = submit(engine, key="same")
    assert submit(engine, key="same") == first
    for i in range(4):
        submit(engine, key=f"k{i}", applicant_id_number=make_id(seq=100 + i * 2 + 1), members=[])
    with pytest.raises(ValidationError, match="频繁"):
        submit(engine, key="k9", applicant_id_number=make_id(seq=301), members=[])
    submit(engine, key="k10", client="other", applicant_id_number=make_id(seq=303), members=[])


def test_an_online_form_reports_every_wrong_field(engine):
    future = make_id(birth=TODAY + timedelta(days=30), seq=11)
    with pytest.raises(FormErrors) as caught:
        submit(engine, applicant_id_number=future, consent=False,
               members=[{"name": "", "id_number": "500231", "relation": "spouse"}])
    fields = caught.value.fields
    assert "出生日期" in fields["applicant_id_number"] and "授权" in fields["consent"]
    assert {"members.0.name", "members.0.id_number"} <= set(fields)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Application)).one() == 0


def test_confirmation_waits_for_the_notice_period_and_objections(engine, actor_of):
    number = submit(engine)
    xinmin = actor_of("xinmin")
    app = app_of(engine, number)
    step(engine, xinmin, app.id, "accept", START)
    step(engine, xinmin, app.id, "complete_check", START)
    app = app_of(engine, number)
    investigate(engine, xinmin, app.household_id, START)
    step(engine, xinmin, app.id, "complete_investigation", START)
    step(engine, xinmin, app.id, "approve_preliminary", START)
    with pytest.raises(ValidationError, match="公示"):
        step(engine, xinmin, app.id, "end_notice", START + timedelta(days=1))
    with unit_of_work(engine) as s:
        intake_notice.post_notice(s, actor=xinmin, area_code=FENGHUANG, track="assistance",
                                  posted_on=START + timedelta(days=1), contact="镇民政办", today=START + timedelta(days=1))
    with unit_of_work(engine) as s:
        objection = intake_notice.add_objection(s, actor=xinmin, application_id=app.id, raised_on=START + timedelta(days=2),
                                                raised_by="村民李某", content="该户有子女在外务工", today=START + timedelta(days=2))
    with pytest.raises(ValidationError, match="公示期至"):
        step(engine, xinmin, app.id, "end_notice", START + timedelta(days=7))
    with pytest.raises(ValidationError, match="异议未处理"):
        step(engine, xinmin, app.id, "end_notice", START + timedelta(days=8))
    with unit_of_work(engine) as s:
        intake_notice.resolve_objection(s, actor=xinmin, objection_id=objection, resolution="经核实子女无赡养能力",
                                        today=START + timedelta(days=8))
    assert step(engine, xinmin, app.id, "end_notice", START + timedelta(days=8)) == "county_review"


def test_refused_for_dibao_but_marginal_is_moved_without_applying_again(engine, actor_of):
    number = submit(engine)
    # 2 people, 17,000 a year: 708 a month each - above 630, below 1.5 x 630
    app = walk_to_county_review(engine, actor_of, number, income="17000")
    step(engine, actor_of("minzheng"), app.id, "refuse", START + timedelta(days=14), comment="人均收入高于低保标准")
    app = app_of(engine, number)
    assert app.decision == "refused" and app.decision_tags == "dibao_edge"
    with Session(engine) as s:
        tag = s.exec(select(HouseholdTag).where(HouseholdTag.household_id == app.household_id)).one()
    assert tag.tag == "dibao_edge" and tag.application_id == app.id


def test_wrong_step_role_area_or_stale_page_changes_nothing(engine, actor_of):
    number = submit(engine)
    app = app_of(engine, number)
    with Session(engine) as s:
        audits = s.exec(select(func.count()).select_from(AuditEntry)).one()
    with pytest.raises(ValidationError, match="当前环节为“待受理”"):
        step(engine, actor_of("xinmin"), app.id, "confirm", START)
    with pytest.raises(PermissionDenied):
        step(engine, actor_of("shaping"), app.id, "accept", START)
    with pytest.raises(ValidationError, match="须由"):
        step(engine, actor_of("fenghuang"), app.id, "accept", START)
    with pytest.raises(ValidationError, match="须填写"):
        step(engine, actor_of("xinmin"), app.id, "not_accept", START, comment="  ")
    with pytest.raises(ValidationError, match="已由他人办理"):
        step(engine, actor_of("xinmin"), app.id, "accept", START, expected_version=app.version + 1)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(AuditEntry)).one() == audits
    assert app_of(engine, number).state == "submitted"


def test_a_village_clerks_entry_waits_for_the_township_to_accept(engine, actor_of):
    with unit_of_work(engine) as s:
        app_id = intake_submit.create_at_station(s, actor=actor_of("fenghuang"), form=form(), today=START)
    with Session(engine) as s:
        app = s.get(Application, app_id)
    assert (app.state, app.channel, app.household_id) == ("submitted", "station", None)
    assert step(engine, actor_of("xinmin"), app_id, "accept", START) == "data_check"


def test_station_entry_accepts_at_once_and_a_lead_reaches_monitoring(engine, actor_of):
    with unit_of_work(engine) as s:
        app_id = intake_submit.create_at_station(s, actor=actor_of("xinmin"), form=form(), today=START)
    with Session(engine) as s:
        app = s.get(Application, app_id)
    assert app.state == "data_check" and app.channel == "station" and app.household_id
    lead_form = form(applicant_id_number=make_id(seq=501), members=[])
    with unit_of_work(engine) as s:
        lead = intake_submit.create_at_station(s, actor=actor_of("fenghuang"), form=lead_form, today=START,
                                               track="monitoring", options={"monitoring_type": "sudden"})
    village, nongye = actor_of("fenghuang"), actor_of("nongye")
    with Session(engine) as s:
        household_id = s.get(Application, lead).household_id
    investigate(engine, village, household_id, START)
    step(engine, village, lead, "complete_check", START)
    with unit_of_work(engine) as s:
        intake_notice.post_notice(s, actor=village, area_code=FENGHUANG, track="monitoring", posted_on=START,
                                  contact="凤凰村村委会", today=START)
    step(engine, village, lead, "end_appraisal", START + timedelta(days=5))
    step(engine, actor_of("xinmin"), lead, "approve", START + timedelta(days=6))
    assert step(engine, nongye, lead, "include", START + timedelta(days=7)) == "included"
    with Session(engine) as s:
        tag = s.exec(select(HouseholdTag).where(HouseholdTag.household_id == household_id)).one()
    assert (tag.tag, tag.subtype) == ("monitoring", "sudden")


def test_public_status_needs_the_matching_id_number(engine):
    number = submit(engine)
    with Session(engine) as s:
        with pytest.raises(ValidationError, match="未找到"):
            intake_submit.public_status(s, tracking_no=number, id_number=WIFE)
        with pytest.raises(ValidationError, match="未找到"):
            intake_submit.public_status(s, tracking_no="SQ00000000-000000", id_number=APPLICANT)
        assert intake_submit.public_status(s, tracking_no=number.lower(), id_number=APPLICANT)["state"] == "待受理"



@pytest.mark.parametrize("empty_db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_users_acting_at_once_exactly_one_succeeds(engine, actor_of):
    """Two township staff click 受理 on the same page at the same moment (PostgreSQL, two
    connections): one moves the case, the other is told it has moved, and it moved once."""
    import threading

    number = submit(engine)
    app = app_of(engine, number)
    xinmin, county = actor_of("xinmin"), actor_of("minzheng")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click(actor):
        with unit_of_work(engine) as s:
            barrier.wait()
            try:
                intake.take_step(s, actor=actor, application_id=app.id, action="accept", today=START,
                                 expected_version=app.version)
                outcomes.append("moved")
            except ValidationError as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=click, args=(a,)) for a in (xinmin, county)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes)[0] == "moved" and outcomes.count("moved") == 1, outcomes
    assert "已由他人办理" in [o for o in outcomes if o != "moved"][0]
    with Session(engine) as s:
        accepts = s.exec(select(func.count()).select_from(ApplicationEvent).where(
            ApplicationEvent.application_id == app.id, ApplicationEvent.action == "accept")).one()
        households = s.exec(select(func.count()).select_from(Member).where(
            Member.id_number == APPLICANT)).one()
    assert accepts == 1 and households == 1


def test_a_case_sent_back_from_notice_needs_a_new_notice(engine, actor_of):
    number = submit(engine)
    app = walk_to_county_review(engine, actor_of, number)
    step(engine, actor_of("minzheng"), app.id, "return", START + timedelta(days=13), comment="收入需重新核实")
    app = app_of(engine, number)
    assert app.state == "investigation" and app.notice_id is None
    # sent back for re-investigation: the old visit and status no longer count
    with pytest.raises(ValidationError, match="退回）后的入户调查"):
        step(engine, actor_of("xinmin"), app.id, "complete_investigation", START + timedelta(days=14))
    investigate(engine, actor_of("xinmin"), app.household_id, START + timedelta(days=14))
    step(engine, actor_of("xinmin"), app.id, "complete_investigation", START + timedelta(days=14))
    step(engine, actor_of("xinmin"), app.id, "approve_preliminary", START + timedelta(days=14))
    with pytest.raises(ValidationError, match="尚未登记公示张贴日期"):
        step(engine, actor_of("xinmin"), app.id, "end_notice", START + timedelta(days=30))
    with unit_of_work(engine) as s:
        assert [a.id for a in intake_notice.awaiting_notice(s, FENGHUANG, "assistance")] == [app.id]


def test_a_notice_never_carries_an_applicants_phone(engine, actor_of):
    number = submit(engine)
    xinmin = actor_of("xinmin")
    app = app_of(engine, number)
    step(engine, xinmin, app.id, "accept", START)
    step(engine, xinmin, app.id, "complete_check", START)
    investigate(engine, xinmin, app_of(engine, number).household_id, START)
    step(engine, xinmin, app.id, "complete_investigation", START)
    step(engine, xinmin, app.id, "approve_preliminary", START)
    with pytest.raises(ValidationError, match="办公电话"):
        with unit_of_work(engine) as s:
            intake_notice.post_notice(s, actor=xinmin, area_code=FENGHUANG, track="assistance", posted_on=START,
                                      contact="周大山 138-0000-1111", today=START)


def test_a_monitoring_lead_not_included_records_the_reasons(engine, actor_of):
    with unit_of_work(engine) as s:
        lead = intake_submit.create_at_station(s, actor=actor_of("fenghuang"), form=form(members=[]), today=START,
                                               track="monitoring")
    village = actor_of("fenghuang")
    with Session(engine) as s:
        household_id = s.get(Application, lead).household_id
    investigate(engine, village, household_id, START, income="30000")
    step(engine, village, lead, "complete_check", START)
    with unit_of_work(engine) as s:
        intake_notice.post_notice(s, actor=village, area_code=FENGHUANG, track="monitoring", posted_on=START,
                                  contact="凤凰村村委会", today=START)
    step(engine, village, lead, "end_appraisal", START + timedelta(days=5))
    step(engine, actor_of("xinmin"), lead, "approve", START + timedelta(days=6))
    step(engine, actor_of("nongye"), lead, "exclude", START + timedelta(days=7), comment="收入高于监测线")
    with Session(engine) as s:
        app = s.get(Application, lead)
    assert (app.state, app.decision, app.decision_reasons) == ("not_included", "refused", "收入高于监测线")


def test_status_lookups_that_keep_failing_are_stopped(engine):
    number = submit(engine)
    for _ in range(10):
        with pytest.raises(intake_submit.LookupFailed):
            with Session(engine) as s:
                intake_submit.public_status(s, tracking_no="SQ20260101-000000", id_number=APPLICANT, client_key="ip1")
        with unit_of_work(engine) as s:
            intake_submit.note_failed_lookup(s, client_key="ip1")
    with Session(engine) as s:
        with pytest.raises(ValidationError, match="失败次数过多"):
            intake_submit.public_status(s, tracking_no=number, id_number=APPLICANT, client_key="ip1")
        assert intake_submit.public_status(s, tracking_no=number, id_number=APPLICANT, client_key="ip2")


def test_rigid_hardship_lapses_after_twelve_months_unless_renewed(engine, actor_of):
    from lowincome_portal.services import reviews

    number = submit(engine)
    # 2 people, 17,000 a year: 708 a month each, above 低保 (630), under 边缘 (1.5 x 630); with
    # 20,000 of medical spending (over 70% of income) also 刚性支出困难: the refusal moves it to both.
    app = walk_to_county_review(engine, actor_of, number, income="17000")
    with unit_of_work(engine) as s:
        records.record_economic_status(s, actor=actor_of("xinmin"), household_id=app.household_id,
                                       recorded_on=START + timedelta(days=13), source="visit",
                                       values={"transfer_income": "17000", "medical_expense": "20000"})
    step(engine, actor_of("minzheng"), app.id, "refuse", START + timedelta(days=14), comment="不符合低保")
    with Session(engine) as s:
        rigid = s.exec(select(HouseholdTag).where(HouseholdTag.household_id == app.household_id,
                                                  HouseholdTag.tag == "rigid_hardship")).one()
    lapse = START + timedelta(days=14) + relativedelta(months=12)
    assert rigid.review_due_on == lapse
    with unit_of_work(engine) as s:
        assert reviews.end_lapsed_recognitions(s, today=lapse - timedelta(days=1)) == 0
    with unit_of_work(engine) as s:
        assert reviews.end_lapsed_recognitions(s, today=lapse) == 1
    with unit_of_work(engine) as s:
        assert reviews.end_lapsed_recognitions(s, today=lapse + timedelta(days=5)) == 0
    with Session(engine) as s:
        rigid = s.get(HouseholdTag, rigid.id)
        assert rigid.end_date == lapse and "rigid_hardship" not in s.get(Household, app.household_id).current_tags
