"""Monitoring in a real browser: the county imports the medical-insurance file -> a warning
appears in the township's inbox -> township staff take it, verify it and hand it to a
referral -> they feed the result back -> the agriculture officer sees the same result."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import Need, Referral, RiskWarning
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.services import household_records, households
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id

from .conftest import screenshot
from .test_registry_e2e import actor, choose, sign_in

pytestmark = pytest.mark.e2e

FENGHUANG = "500231100200"   # 新民镇凤凰村
TODAY = today_in_china()
LAST_MONTH = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
DIBAO_HEAD = make_id(birth=date(1968, 3, 3), seq=171)
OTHER_HEAD = make_id(birth=date(1970, 5, 5), seq=173)
FEEDBACK = "医疗救助已由红十字会承接，家庭已知晓报销和救助流程"


@pytest.fixture(scope="module")
def families(portal_db):
    """Two families in 凤凰村 with the same medical self-pay: one holds 低保 (threshold 5,000),
    the other no tag (threshold 15,000)."""
    engine = engine_for(portal_db)
    xinmin, minzheng = actor(engine, "xinmin"), actor(engine, "minzheng")
    with unit_of_work(engine) as s:
        dibao = households.create_household(
            s, actor=xinmin, household={"area_code": FENGHUANG, "address": "凤凰村三组8号", "phone": "13600007777"},
            head={"name": "蒋德明", "id_number": DIBAO_HEAD})
        household_records.add_tag(s, actor=minzheng, household_id=dibao, tag="dibao",
                                  start_date=date(2025, 3, 1), decision_ref="垫民发〔2025〕12号")
        households.create_household(
            s, actor=xinmin, household={"area_code": FENGHUANG, "address": "凤凰村三组9号", "phone": "13600008888"},
            head={"name": "蒋德亮", "id_number": OTHER_HEAD})
    return {"engine": engine, "household_id": dibao}


def _medical_file(tmp_path) -> str:
    month = f"{LAST_MONTH:%Y-%m}"
    rows = ["身份证号,姓名,数据月份,年度累计自付,单次住院最高自付,当月门诊自付,参保状态",
            f"{DIBAO_HEAD},蒋德明,{month},5000,3000,0,正常参保",
            f"{OTHER_HEAD},蒋德亮,{month},5000,3000,0,正常参保"]
    path = tmp_path / "医保结算.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def test_a_department_file_raises_a_warning_that_is_verified_handled_and_fed_back(
        portal_url, new_page, families, tmp_path):
    engine = families["engine"]
    # 1. the county's civil-affairs officer compares last month's medical-insurance file
    county = new_page()
    sign_in(county, portal_url, "minzheng")
    county.goto(f"{portal_url}/monitoring/import")
    choose(county, "#mon-import-source", "医保结算数据")
    county.locator("#mon-import-month").fill(f"{LAST_MONTH:%Y-%m}")
    county.set_input_files("#mon-import-upload input[type=file]", _medical_file(tmp_path))
    county.locator("#mon-import-button").click()
    expect(county.locator("#mon-import-matched")).to_have_text("2")
    expect(county.locator("#mon-import-warnings_raised")).to_have_text("1")
    screenshot(county, "monitoring-1-import")
    with Session(engine) as s:
        warning = s.exec(select(RiskWarning).where(RiskWarning.household_id == families["household_id"])).one()
        assert warning.rule_code == "medical_annual" and warning.status == "pending"

    # 2. it is in the township's inbox; township staff take it and verify it on foot
    staff = new_page()
    sign_in(staff, portal_url, "xinmin")
    staff.goto(f"{portal_url}/warnings")
    row = staff.locator(f"#warning-{warning.id}")
    expect(row).to_contain_text("蒋德明")
    expect(row).to_contain_text("凤凰村")
    expect(staff.locator("#warnings-table")).not_to_contain_text("蒋德亮")
    screenshot(staff, "monitoring-2-inbox")
    staff.locator(f"#warning-link-{warning.id}").click()
    expect(staff.locator("#warning-evidence")).to_contain_text("5,000.00")
    staff.locator("#assign-me").click()
    expect(staff.locator("#warning-status")).to_contain_text("核查中")

    # 3. handled by creating a referral: a medical-aid need offered to the partners' pool
    staff.locator("#handle-verify-note").fill("入户核实：户主今年两次住院，自付费用属实，家庭收入无法承担")
    staff.locator("#handle-kind").click()
    staff.get_by_role("option", name=re.compile("^医疗救助")).click()  # “医疗救助（2 家单位）”
    staff.locator("#handle-mode-pool").click()
    staff.locator("#handle-amount").fill("3000")
    staff.locator("#handle-submit").click()
    expect(staff.locator("#warning-status")).to_contain_text("已处置")
    expect(staff.locator("#warning-referral")).to_be_visible()
    with Session(engine) as s:
        handled = s.get(RiskWarning, warning.id)
        referral = s.get(Referral, handled.referral_id)
        assert referral.status == "pooled" and referral.kind == "medical"
        assert s.get(Need, handled.need_id).source == "warning"

    # 4. the result is fed back and the loop closes
    staff.locator("#feedback-text").fill(FEEDBACK)
    staff.locator("#feedback-submit").click()
    expect(staff.locator("#warning-status")).to_contain_text("已反馈")
    screenshot(staff, "monitoring-3-fed-back")

    # 5. the agriculture officer sees the same warning and the same result
    agri = new_page()
    sign_in(agri, portal_url, "nongye")
    agri.goto(f"{portal_url}/warnings/{warning.id}")
    expect(agri.locator("#warning-status")).to_contain_text("已反馈")
    expect(agri.locator("#warning-feedback")).to_contain_text(FEEDBACK)
    expect(agri.locator("#warning-steps")).to_contain_text("核查")
    screenshot(agri, "monitoring-4-agriculture")

    # 6. the county's inbox has the township table; the household's timeline has the warning
    agri.goto(f"{portal_url}/warnings")
    expect(agri.locator("#township-table")).to_contain_text("新民镇")
    screenshot(agri, "monitoring-5-county-inbox")
    staff.goto(f"{portal_url}/households/{families['household_id']}")
    staff.locator("#tab-timeline").click()
    expect(staff.locator("#timeline")).to_contain_text("年度医疗自付费用过高")
    expect(staff.locator("#timeline")).to_contain_text(FEEDBACK)
