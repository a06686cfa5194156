"""The whole intake path in a real browser: a resident applies online -> township staff
accept -> data check -> investigation on the pre-filled form -> preliminary review ->
notice PDF (rendered, text checked for masking) -> objection recorded and resolved ->
county confirms -> the household page shows the tag and the application's steps."""

import subprocess
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import Application
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.services import household_records, households
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id

from .conftest import ARTIFACTS, screenshot
from .test_registry_e2e import actor, choose, sign_in

pytestmark = pytest.mark.e2e

FENGHUANG = "500231100200"
TODAY = today_in_china()
HEAD_ID = make_id(birth=date(1950, 3, 3), seq=51)
GRANDSON_ID = make_id(birth=date(2014, 6, 1), seq=61)
PHONE = "13700002222"


@pytest.fixture(scope="module")
def known_family(portal_db):
    """A family the registry already knows (with an economic status), so the investigation
    form opens pre-filled when its head applies online."""
    engine = engine_for(portal_db)
    xinmin = actor(engine, "xinmin")
    with unit_of_work(engine) as s:
        household_id = households.create_household(
            s, actor=xinmin, household={"area_code": FENGHUANG, "address": "凤凰村八组1号", "phone": PHONE},
            head={"name": "何德明", "id_number": HEAD_ID})
        households.add_member(s, actor=xinmin, household_id=household_id,
                              member={"name": "何小军", "id_number": GRANDSON_ID, "relation": "孙子女",
                                      "schooling": "小学", "in_school": "是"})
        household_records.record_economic_status(
            s, actor=xinmin, household_id=household_id, recorded_on=TODAY - timedelta(days=200), source="manual",
            values={"transfer_income": "4800", "medical_expense": "3000"})
    return {"engine": engine, "household_id": household_id}


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def take(page, action: str, comment: str = "", state: str = "") -> None:
    page.locator(f"#action-{action}").click()
    if comment:
        page.locator("#step-comment").fill(comment)
    page.locator("#submit-step").click()
    if state:
        expect(page.locator("#app-state")).to_have_text(state)


def test_a_resident_applies_online_and_the_county_confirms(portal_url, new_page, known_family, tmp_path):
    engine = known_family["engine"]
    # 1. the resident, without an account
    resident = new_page()
    resident.goto(f"{portal_url}/apply")
    resident.locator("#apply-name").fill("何德明")
    resident.locator("#apply-id-number").fill(HEAD_ID)
    resident.locator("#apply-phone").fill(PHONE)
    choose(resident, "#apply-township", "新民镇")
    choose(resident, "#apply-village", "凤凰村")
    resident.locator("#apply-address").fill("凤凰村八组1号")
    resident.locator("#apply-difficulty").fill("本人年老多病，独自抚养上小学的孙子")
    resident.locator("#apply-add-member").click()
    resident.locator("#member-name-0").fill("何小军")
    resident.locator("#member-id-0").fill(GRANDSON_ID)
    choose(resident, "#member-relation-0", "孙子女")
    resident.locator("#apply-consent").click()
    resident.locator("#apply-submit").click()
    expect(resident.locator("#tracking-no")).to_contain_text("SQ")
    number = resident.locator("#tracking-no").inner_text().strip()
    screenshot(resident, "intake-1-applied")

    # 2. township staff find it on their work list and accept it
    staff = new_page()
    sign_in(staff, portal_url, "xinmin")
    staff.goto(f"{portal_url}/tasks")
    staff.get_by_role("link", name=number).click()
    expect(staff.locator("#app-tracking-no")).to_have_text(number)
    take(staff, "accept", state="信息比对")
    take(staff, "complete_check", "比对医保、不动产、车辆、工商数据，未见异常", state="入户调查")

    # 3. the investigation form opens with what the registry knows
    staff.locator("#open-investigation").click()
    expect(staff.locator("#inv-source-transfer_income")).to_contain_text("家庭档案")
    expect(staff.locator("#inv-field-transfer_income")).to_have_value("4800.00")
    staff.locator("#inv-field-medical_expense").fill("9000")
    staff.locator("#inv-findings").fill("祖孙二人，住房安全，孙子就读小学，本人患慢性病")
    staff.locator("#investigation-save").click()
    expect(staff.locator("#inv-result")).to_contain_text("新录入/修改 1 项")
    screenshot(staff, "intake-2-investigation")
    with Session(engine) as s:
        app = s.exec(select(Application).where(Application.tracking_no == number)).one()
    staff.goto(f"{portal_url}/applications/{app.id}")
    take(staff, "complete_investigation", state="乡镇初审")
    take(staff, "approve_preliminary", "经初审，拟按特困供养公示", state="公示")

    # a week and more passes: the case entered the notice step ten days ago
    with unit_of_work(engine) as s:
        row = s.get(Application, app.id)
        row.state_entered_on = TODAY - timedelta(days=10)
        s.add(row)

    # 4. the notice: posted nine days ago, the PDF masks what it must
    staff.goto(f"{portal_url}/notices")
    key = f"{FENGHUANG}-assistance"
    staff.locator(f"#notice-date-{key}").fill((TODAY - timedelta(days=9)).isoformat())
    staff.locator(f"#notice-contact-{key}").fill("新民镇民政办 023-74510000")
    with staff.expect_download() as download:
        staff.locator(f"#notice-post-{key}").click()
    pdf = tmp_path / "notice.pdf"
    download.value.save_as(pdf)
    text = pdf_text(pdf)
    assert "何德明" in text and f"{HEAD_ID[:6]}********{HEAD_ID[-4:]}" in text
    assert HEAD_ID not in text and "何小军" not in text and PHONE not in text
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", str(pdf), str(ARTIFACTS / "intake-3-notice")],
                   check=True)

    # 5. an objection blocks the county until it is resolved
    staff.goto(f"{portal_url}/applications/{app.id}")
    staff.locator("#add-objection").click()
    staff.locator("#objection-date").fill(TODAY.isoformat())
    staff.locator("#objection-by").fill("村民李某")
    staff.locator("#objection-content").fill("反映其儿子在外务工有收入")
    staff.locator("#submit-objection").click()
    expect(staff.locator("#objections-table")).to_contain_text("村民李某")
    expect(staff.locator("#app-actions")).to_contain_text("还有 1 条异议未处理完毕")
    staff.locator("#objections-table button").first.click()
    staff.locator("#resolution").fill("经核实，其子已于 2019 年去世，异议不成立")
    staff.locator("#submit-resolution").click()
    expect(staff.locator("#objections-table")).to_contain_text("异议不成立")
    take(staff, "end_notice", state="县级审核确认")

    # 6. the county confirms; the household carries the tag and the steps
    county = new_page()
    sign_in(county, portal_url, "minzheng")
    county.goto(f"{portal_url}/applications/{app.id}")
    expect(county.locator("#app-assessment")).to_contain_text("建议")
    take(county, "confirm", "经审核，符合条件", state="结果告知")
    expect(county.locator("#app-decision")).to_contain_text("认定")
    screenshot(county, "intake-4-confirmed")
    county.locator("#open-household").click()
    expect(county.locator("#tags-label")).not_to_be_empty()
    with Session(engine) as s:
        tags = s.get(Application, app.id).decision_tags
    assert tags in ("tekun", "dibao")
    expect(county.locator("#tags-label")).to_contain_text({"tekun": "特困", "dibao": "低保"}[tags])
    county.locator("#tab-timeline").click()
    expect(county.locator("#timeline")).to_contain_text(number)
    expect(county.locator("#timeline")).to_contain_text("申请办理")
    screenshot(county, "intake-5-household")
