"""The registry in a real browser: the generic pages manage a service station; the household
list filters and searches; the household page shows members, reveals a number (logged),
warns of a recent visit; an import with errors changes nothing and one without registers."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, func, select

from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import AuditEntry, Household, ServiceStation
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.import_columns import HEADERS
from lowincome_portal.services import household_records, households
from lowincome_portal.services.auth import actor_for
from lowincome_portal.services.workbook_writer import workbook_bytes
from tests.idnumbers import make_id, with_bad_checksum

from .conftest import screenshot
from .test_accounts_e2e import sign_in as _sign_in

pytestmark = pytest.mark.e2e

FENGHUANG = "500231100200"


def actor(engine, username):
    from lowincome_portal.db.tables import User

    with Session(engine) as s:
        return actor_for(s, s.exec(select(User).where(User.username == username)).one())


@pytest.fixture(scope="module")
def registry(portal_db):
    """Two households in 凤凰村 (新民镇), one with a visit last week, as the browser will find them."""
    engine = engine_for(portal_db)
    xinmin = actor(engine, "xinmin")
    minzheng = actor(engine, "minzheng")
    with unit_of_work(engine) as s:
        first = households.create_household(
            s, actor=xinmin, household={"area_code": FENGHUANG, "address": "凤凰村二组8号",
                                        "phone": "13912345678", "bank_name": "垫江农商行",
                                        "bank_account": "6228480000009876543"},
            head={"name": "周建国", "id_number": make_id(birth=date(1950, 5, 1), seq=31)})
        households.add_member(s, actor=xinmin, household_id=first,
                              member={"name": "周小梅", "id_number": make_id(birth=date(2013, 9, 1), seq=42),
                                      "relation": "孙子女", "schooling": "初中", "in_school": "是"})
        household_records.record_economic_status(
            s, actor=xinmin, household_id=first, values={"transfer_income": "4800", "medical_expense": "9000"},
            recorded_on=date.today(), source="visit")
        household_records.add_tag(s, actor=minzheng, household_id=first, tag="dibao",
                                  start_date=date(2025, 3, 1), decision_ref="垫民低〔2025〕12号")
        household_records.record_visit(s, actor=xinmin, household_id=first, visited_on=date.today(),
                                       findings="孙女上学费用负担重", purpose="定期走访")
        second = households.create_household(
            s, actor=xinmin, household={"area_code": FENGHUANG, "address": "凤凰村五组3号"},
            head={"name": "吴桂兰", "id_number": make_id(birth=date(1962, 2, 2), seq=24)})
    return {"engine": engine, "first": first, "second": second}


def sign_in(page, base, username):
    _sign_in(page, base, username)
    expect(page.locator("#welcome")).to_be_visible()


def choose(page, trigger: str, option: str) -> None:
    page.locator(trigger).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_generic_pages_manage_a_service_station(portal_url, new_page, portal_db):
    page = new_page()
    sign_in(page, portal_url, "admin")
    page.goto(f"{portal_url}/r/stations")
    page.locator("#new-button").click()
    expect(page.locator("#resource-form")).to_be_visible()
    page.locator("#field-name").fill("新民镇社会救助服务联合站")
    choose(page, "#field-level", "社会救助服务联合站（乡镇/街道）")
    choose(page, "#field-area_code", "新民镇")
    page.locator("#field-phone").fill("12ab")
    page.locator("#form-submit").click()
    expect(page.locator("#error-message")).to_contain_text("联系电话")
    page.locator("#field-phone").fill("02374512345")
    page.locator("#form-submit").click()
    expect(page.locator("#info-message")).to_contain_text("已保存")
    expect(page.locator("#value-area_code")).to_have_text("新民镇")
    screenshot(page, "station-record")
    page.locator("#edit-button").click()
    page.locator("#field-address").fill("新民镇便民服务中心一楼")
    page.locator("#form-submit").click()
    expect(page.locator("#value-address")).to_have_text("新民镇便民服务中心一楼")
    page.locator("#back-link").click()
    expect(page.locator("#resource-table")).to_contain_text("新民镇社会救助服务联合站")
    screenshot(page, "stations-list")
    with Session(engine_for(portal_db)) as s:
        station = s.exec(select(ServiceStation).where(ServiceStation.name == "新民镇社会救助服务联合站")).one()
        assert station.address == "新民镇便民服务中心一楼"
        assert s.exec(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "service_station")).one() == 2


def test_household_list_filters_searches_and_opens_the_household(portal_url, new_page, registry):
    page = new_page()
    sign_in(page, portal_url, "xinmin")
    page.goto(f"{portal_url}/r/households")
    table = page.locator("#resource-table")
    expect(table).to_contain_text("周建国")
    expect(table).to_contain_text("吴桂兰")
    expect(table).to_contain_text("500231********031X")  # masked in the list
    choose(page, "#filter-current_tags", "低保")
    expect(table).not_to_contain_text("吴桂兰")
    expect(table).to_contain_text("周建国")
    page.locator("#clear-filters").click()
    page.locator("#search-input").fill("周小梅")  # a member's name finds the household
    page.locator("#search-button").click()
    expect(table).not_to_contain_text("吴桂兰")
    screenshot(page, "households-search")
    page.get_by_role("link", name="周建国").click()
    expect(page.locator("#head-name")).to_have_text("周建国")
    expect(page.locator("#members-table")).to_contain_text("周小梅")
    expect(page.locator("#tags-label")).to_have_text("低保")
    expect(page.locator("#last-visit")).to_contain_text(date.today().isoformat())
    expect(page.locator("#value-phone")).to_have_text("139****5678")
    page.locator("#reveal-phone").click()
    expect(page.locator("#value-phone")).to_have_text("13912345678")
    screenshot(page, "household-page")
    page.reload()  # the timeline now lists the reveal too
    expect(page.locator("#head-name")).to_have_text("周建国")
    page.locator("#tab-timeline").click()
    expect(page.locator("#timeline")).to_contain_text("查看完整信息")
    expect(page.locator("#timeline")).to_contain_text("纳入低保")
    page.locator("#tab-assess").click()
    page.locator("#run-assessment").click()
    expect(page.locator("#assess-income")).to_have_text("200.00 元")
    screenshot(page, "household-assessment")
    with Session(registry["engine"]) as s:
        reveal = s.exec(select(AuditEntry).where(AuditEntry.action == "reveal",
                                                 AuditEntry.entity_id == str(registry["first"]))).one()
    assert reveal.username == "xinmin"


def test_recent_visit_warns_and_a_new_member_is_added(portal_url, new_page, registry):
    page = new_page()
    sign_in(page, portal_url, "xinmin")
    page.goto(f"{portal_url}/households/{registry['first']}")
    expect(page.locator("#head-name")).to_have_text("周建国")
    page.locator("#plan-visit").click()
    page.locator("#tab-visits").click()
    expect(page.locator("#visit-warning")).to_contain_text("一次走访各部门共用")
    page.locator("#input-findings").fill("核实孙女在校情况，已更新")
    page.locator("#submit-visit").click()
    expect(page.locator("#visits-table")).to_contain_text("核实孙女在校情况")
    # added in place, not read again: the timeline shows it first (today's, latest entered)
    page.locator("#tab-timeline").click()
    expect(page.locator("#timeline > *").first).to_contain_text("核实孙女在校情况")
    screenshot(page, "household-visit-in-timeline")
    page.locator("#tab-members").click()
    page.locator("#add-member").click()
    page.locator("#input-name").fill("周建军")
    page.locator("#input-id_number").fill(with_bad_checksum(make_id(birth=date(1985, 3, 3), seq=51)))
    choose(page, "#input-relation", "子女")
    page.locator("#submit-member").click()
    expect(page.locator("#error-message")).to_contain_text("校验码错误")
    page.locator("#input-id_number").fill(make_id(birth=date(1985, 3, 3), seq=51))
    page.locator("#submit-member").click()
    expect(page.locator("#members-table")).to_contain_text("周建军")
    expect(page.locator("#member-count")).to_have_text("3 人")
    screenshot(page, "household-member-added")
    row = page.locator("#members-table tr", has_text="周建军")
    row.locator("[id^=edit-member-]").click()
    expect(page.locator("#input-name")).to_have_value("周建军")
    choose(page, "#input-health", "长期慢性病")
    page.locator("#submit-edit_member").click()
    expect(row).to_contain_text("长期慢性病")


def test_village_staff_see_masked_numbers_and_partners_see_no_registry(portal_url, new_page, registry):
    page = new_page()
    sign_in(page, portal_url, "fenghuang")
    page.goto(f"{portal_url}/households/{registry['first']}")
    expect(page.locator("#value-phone")).to_have_text("139****5678")
    expect(page.locator("#reveal-phone")).to_have_count(0)
    partner = new_page()
    sign_in(partner, portal_url, "cishan")
    partner.goto(f"{portal_url}/r/households")
    expect(partner.locator("#access-denied")).to_be_visible()
    partner.goto(f"{portal_url}/households/{registry['first']}")
    expect(partner.locator("#access-denied")).to_be_visible()
    expect(partner.locator("#head-name")).to_have_count(0)


def _import_file(tmp_path, name: str, rows: list[dict]) -> str:
    body = [[row.get(h, "") for h in HEADERS] for row in rows]
    path = tmp_path / name
    path.write_bytes(workbook_bytes([("家庭成员", list(HEADERS), body)]))
    return str(path)


def _member_row(head_id: str, name: str, id_number: str, relation: str, **extra) -> dict:
    return {"乡镇（街道）": "新民镇", "村（社区）": "凤凰村", "家庭住址": "凤凰村七组1号",
            "户主身份证号": head_id, "姓名": name, "身份证号": id_number, "与户主关系": relation, **extra}


def test_import_with_errors_changes_nothing_and_a_good_file_registers(portal_url, new_page, tmp_path,
                                                                      registry):
    head = make_id(birth=date(1958, 8, 8), seq=71)
    good = [_member_row(head, "郑大山", head, "户主"),
            _member_row(head, "郑小雨", make_id(birth=date(2010, 6, 6), seq=82), "孙子女")]
    bad = [good[0], _member_row(head, "郑小雨", with_bad_checksum(good[1]["身份证号"]), "孙子女")]
    engine = registry["engine"]
    with Session(engine) as s:
        before = s.exec(select(func.count()).select_from(Household)).one()

    page = new_page()
    sign_in(page, portal_url, "xinmin")
    page.goto(f"{portal_url}/registry/import")
    page.set_input_files("#registry-upload input[type=file]", _import_file(tmp_path, "有错误.xlsx", bad))
    page.locator("#import-button").click()
    expect(page.locator("#import-result")).to_contain_text("未导入任何数据", timeout=60_000)
    expect(page.locator("#import-errors")).to_contain_text("校验码错误")
    expect(page.locator("#import-errors")).to_contain_text("身份证号")
    with page.expect_download() as download:
        page.locator("#error-report-button").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    screenshot(page, "import-errors")
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == before

    page.goto(f"{portal_url}/registry/import")
    page.set_input_files("#registry-upload input[type=file]", _import_file(tmp_path, "正确.xlsx", good))
    page.locator("#import-button").click()
    expect(page.locator("#import-result")).to_have_text(re.compile("导入成功：1 户、2 人"), timeout=60_000)
    screenshot(page, "import-ok")
    page.goto(f"{portal_url}/r/households")
    page.locator("#search-input").fill("郑大山")
    page.locator("#search-button").click()
    expect(page.locator("#resource-table")).to_contain_text("郑大山")
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == before + 1
