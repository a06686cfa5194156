"""The monthly joint meeting in a real browser: the coordinator creates this month's meeting
-> the agenda lists the pending work seeded here -> decisions are recorded -> the minutes PDF
(rendered to PNG, text checked) contains them -> next month's agenda lists the open action
item and omits the done one."""

import subprocess
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import AgendaItem, Application, Meeting, Organisation, Referral
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.services import household_records, households, intake, intake_submit, meetings
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id

from .conftest import ARTIFACTS, screenshot
from .test_registry_e2e import actor, choose, sign_in

pytestmark = pytest.mark.e2e

XINMIN = "500231100000"
CHANGLING = "500231100201"   # 新民镇长岭村
TODAY = today_in_china()
MONTH = TODAY.replace(day=1)
NEXT_MONTH = (MONTH + timedelta(days=32)).replace(day=1)
HARD_ID = make_id(birth=date(1961, 8, 8), seq=91)
APPLICANT_ID = make_id(birth=date(1948, 2, 2), seq=93)


@pytest.fixture(scope="module")
def township_work(portal_db):
    """新民镇's pending work: a hard case raised from a household, and an application waiting
    for the township's preliminary review."""
    engine = engine_for(portal_db)
    xinmin = actor(engine, "xinmin")
    with unit_of_work(engine) as s:
        household_id = households.create_household(
            s, actor=xinmin, household={"area_code": CHANGLING, "address": "长岭村九组2号", "phone": "13600003333"},
            head={"name": "钱有福", "id_number": HARD_ID})
        meetings.raise_hard_case(s, actor=xinmin, household_id=household_id,
                                 note="房屋垮塌后借住亲戚家，<b>急需</b>安置", today=TODAY)
    form = {"applicant_name": "孙桂芝", "applicant_id_number": APPLICANT_ID, "applicant_phone": "13600004444",
            "area_code": CHANGLING, "address": "长岭村三组7号", "difficulty": "独居老人，无收入", "consent": True,
            "members": []}
    with unit_of_work(engine) as s:
        app_id = intake_submit.create_at_station(s, actor=xinmin, form=form, today=TODAY)
        intake.take_step(s, actor=xinmin, application_id=app_id, action="complete_check", today=TODAY)
    with unit_of_work(engine) as s:
        applicant_household = s.get(Application, app_id).household_id
        household_records.record_visit(s, actor=xinmin, household_id=applicant_household, visited_on=TODAY,
                                       findings="入户核实")
        household_records.record_economic_status(s, actor=xinmin, household_id=applicant_household,
                                                 recorded_on=TODAY, values={"transfer_income": "1200"})
        intake.take_step(s, actor=xinmin, application_id=app_id, action="complete_investigation", today=TODAY)
    return {"engine": engine, "household_id": household_id}


def item_of(engine, meeting_id: int, text: str) -> int:
    with Session(engine) as s:
        items = s.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                       .order_by(col(AgendaItem.position))).all()
    return next(i.id for i in items if text in i.title or text in i.detail)


def org_id(engine, name: str) -> str:
    with Session(engine) as s:
        return str(s.exec(select(Organisation.id).where(Organisation.name == name)).one())


def record(page, item_id: int, decision: str, unit: str, deadline: date, discussion: str) -> None:
    page.locator(f"#minutes-discussion-{item_id}").fill(discussion)
    page.locator(f"#minutes-decision-{item_id}").select_option(decision)
    page.locator(f"#minutes-unit-{item_id}").select_option(unit)
    page.locator(f"#minutes-deadline-{item_id}").fill(deadline.isoformat())
    page.locator(f"#minutes-save-{item_id}").click()


def test_the_coordinator_runs_this_months_meeting(portal_url, new_page, township_work, tmp_path):
    engine = township_work["engine"]
    page = new_page()
    sign_in(page, portal_url, "minzheng")

    # 1. this month's meeting for 新民镇: the agenda drafts itself from pending work
    page.goto(f"{portal_url}/meetings/new")
    choose(page, "#meeting-area", "新民镇")
    page.locator("#meeting-planned-on").fill(TODAY.isoformat())
    page.locator("#meeting-place").fill("新民镇便民服务中心会议室")
    page.locator("#meeting-chair").fill("王芳")
    charity, medical = org_id(engine, "垫江县慈善会"), org_id(engine, "垫江县医疗保障局")
    page.locator(f"#unit-{charity}").click()
    page.locator(f"#unit-{medical}").click()
    page.locator("#meeting-submit").click()
    expect(page.locator("#agenda")).to_contain_text("钱有福")
    expect(page.locator("#agenda")).to_contain_text("孙桂芝")
    expect(page.locator("#agenda")).to_contain_text("<b>急需</b>")  # typed markup shows as text
    with Session(engine) as s:
        meeting = s.exec(select(Meeting).where(Meeting.area_code == XINMIN, Meeting.month == MONTH)).one()
    hard, waiting = item_of(engine, meeting.id, "钱有福"), item_of(engine, meeting.id, "孙桂芝")
    screenshot(page, "meeting-1-agenda")

    # 2. decisions: a deadline before the meeting is refused, then both items decided
    record(page, hard, "assign", charity, TODAY - timedelta(days=3), "慈善会先行安置")
    expect(page.locator("#error-message")).to_contain_text("办理期限不能早于会议日期")
    deadline = NEXT_MONTH + timedelta(days=9)
    record(page, hard, "assign", charity, deadline, "慈善会先行安置，村委协助租房")
    expect(page.locator(f"#item-decision-{hard}")).to_contain_text("交办")
    page.locator(f"#minutes-kind-{waiting}").select_option("medical")   # a referral to 医保局 is dispatched
    record(page, waiting, "refer", medical, deadline, "大病医疗费用转医保局核实")
    expect(page.locator(f"#item-decision-{waiting}")).to_contain_text("转介")
    with Session(engine) as s:  # the decision became a referral assigned to 医保局
        referral = s.exec(select(Referral).join(AgendaItem, col(AgendaItem.household_id) == Referral.household_id)
                          .where(AgendaItem.id == waiting)).one()
    assert (referral.kind, referral.mode, str(referral.organisation_id)) == ("medical", "assigned", medical)
    for other in _undecided(engine, meeting.id):
        page.locator(f"#minutes-decision-{other}").select_option("approve")
        page.locator(f"#minutes-save-{other}").click()
        expect(page.locator(f"#item-decision-{other}")).to_contain_text("同意")

    # the 医保局 referral is carried out at once; the 慈善会 task stays open
    with Session(engine) as s:
        actions = {a["title"]: a["id"] for a in meetings.open_actions(s, actor=actor(engine, "minzheng"),
                                                                       meeting_id=meeting.id)}
    done = next(i for t, i in actions.items() if "孙桂芝" in t)
    page.locator(f"#action-note-{done}").fill("医保局已核实并完成大病救助")
    page.locator(f"#action-done-{done}").click()
    expect(page.locator("#meeting-actions")).to_contain_text("已办结")

    page.locator("#held-on").fill(TODAY.isoformat())
    page.locator("#mark-held").click()
    expect(page.locator("#meeting-status")).to_contain_text("已召开")
    page.locator("#approve-minutes").click()
    expect(page.locator("#meeting-status")).to_contain_text("纪要已审定")
    expect(page.locator("#meeting-read-only")).to_be_visible()

    # 3. the minutes PDF carries the decisions, with the ID masked
    with page.expect_download() as download:
        page.locator("#download-minutes").click()
    pdf = tmp_path / "minutes.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.replace(" ", "")
    assert "新民镇困难群众联席会议纪要" in text and "交办" in text and "转介" in text
    assert "垫江县慈善会" in text and "垫江县医疗保障局" in text
    assert f"{HARD_ID[:6]}********{HARD_ID[-4:]}" in text and HARD_ID not in text
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-singlefile", str(pdf),
                    str(ARTIFACTS / "meeting-2-minutes")], check=True)

    # 4. next month's agenda follows up the open task and leaves out the done one
    page.goto(f"{portal_url}/meetings/new")
    choose(page, "#meeting-area", "新民镇")
    page.locator("#meeting-month").fill(NEXT_MONTH.strftime("%Y-%m"))
    page.locator("#meeting-planned-on").fill((NEXT_MONTH + timedelta(days=14)).isoformat())
    page.locator("#meeting-place").fill("新民镇便民服务中心会议室")
    page.locator("#meeting-chair").fill("王芳")
    page.locator("#meeting-submit").click()
    agenda = page.locator("#agenda")
    expect(agenda).to_contain_text("督办：疑难个案：钱有福")
    expect(agenda).to_contain_text("1 项已办结")
    # the done referral is not followed up (孙桂芝's case itself is still waiting for review)
    expect(agenda).not_to_contain_text("督办：待审核：孙桂芝")
    screenshot(page, "meeting-3-next-month")


def _undecided(engine, meeting_id: int) -> list[int]:
    with Session(engine) as s:
        return list(s.exec(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id, AgendaItem.decision == "",
                                                       col(AgendaItem.dropped).is_(False))).all())
