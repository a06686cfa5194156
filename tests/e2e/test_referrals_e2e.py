"""Referrals in a real browser: the coordinator dispatches a need to the pool -> partners A
and B both see it (name masked) -> A claims -> B sees it gone -> A completes with an outcome
-> the household page shows the aid in its timeline."""

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import Need, Referral
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.services import households, referrals
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id

from .conftest import screenshot
from .test_registry_e2e import actor, sign_in

pytestmark = pytest.mark.e2e

TUANJIE = "500231100001"   # 新民镇团结社区
TODAY = today_in_china()
PHONE = "13500005555"


@pytest.fixture(scope="module")
def need(portal_db):
    """A household in 团结社区 whose visit found a need for temporary aid."""
    engine = engine_for(portal_db)
    xinmin = actor(engine, "xinmin")
    with unit_of_work(engine) as s:
        household_id = households.create_household(
            s, actor=xinmin, household={"area_code": TUANJIE, "address": "团结社区四组6号", "phone": PHONE},
            head={"name": "冯长顺", "id_number": make_id(birth=date(1957, 4, 4), seq=95)})
        need_id = referrals.record_need(s, actor=xinmin, household_id=household_id, kind="temporary",
                                        description="冬季取暖和口粮困难", amount="800", urgency="urgent",
                                        source="visit", today=TODAY)
    return {"engine": engine, "household_id": household_id, "need_id": need_id}


def test_a_pooled_need_is_claimed_by_one_partner_and_delivered(portal_url, new_page, need):
    engine = need["engine"]
    # 1. the township dispatches the need to the pool from the household page
    staff = new_page()
    sign_in(staff, portal_url, "xinmin")
    staff.goto(f"{portal_url}/households/{need['household_id']}")
    staff.locator("#tab-needs").click()
    staff.locator(f"#dispatch-need-{need['need_id']}").click()
    staff.locator("#dispatch-mode-pool").click()
    staff.locator("#dispatch-submit").click()
    expect(staff.locator("#needs-table")).to_contain_text("待认领")
    with Session(engine) as s:
        referral = s.exec(select(Referral).where(Referral.need_id == need["need_id"])).one()
    row = f"#pool-{referral.id}"

    # 2. both partners see it, masked
    partner_a, partner_b = new_page(), new_page()
    sign_in(partner_a, portal_url, "cishan")
    sign_in(partner_b, portal_url, "hongshizi")
    for partner in (partner_a, partner_b):
        partner.goto(f"{portal_url}/partner")
        expect(partner.locator(row)).to_contain_text("团结社区")
        expect(partner.locator(row)).to_contain_text("冯**")
        expect(partner.locator("#pool-table")).not_to_contain_text(PHONE)
    expect(partner_a.locator("#notification-count")).not_to_have_text("0")
    screenshot(partner_b, "referral-1-pool")

    # 3. A claims; B's claim is refused and the item leaves B's pool
    partner_a.locator(f"#claim-{referral.id}").click()
    expect(partner_a.locator("#mine-table")).to_contain_text("冯长顺")
    expect(partner_a.locator("#mine-table")).to_contain_text(PHONE)
    partner_b.locator(f"#claim-{referral.id}").click()
    expect(partner_b.locator("#error-message")).to_contain_text("已被其他机构认领")
    expect(partner_b.locator(row)).to_have_count(0)

    # 4. A delivers and reports back
    partner_a.locator(f"#start-{referral.id}").click()
    partner_a.locator(f"#outcome-{referral.id}").fill("发放临时救助金和米面油")
    partner_a.locator(f"#amount-{referral.id}").fill("-5")
    partner_a.locator(f"#delivered-{referral.id}").fill(TODAY.isoformat())
    partner_a.locator(f"#complete-{referral.id}").click()
    expect(partner_a.locator("#error-message")).to_contain_text("不能为负数")
    partner_a.locator(f"#amount-{referral.id}").fill("800")
    partner_a.locator(f"#complete-{referral.id}").click()
    expect(partner_a.locator("#mine-table")).to_contain_text("已办结")
    expect(partner_a.locator("#mine-table")).to_contain_text("800.00")
    screenshot(partner_a, "referral-2-partner")
    with Session(engine) as s:
        assert s.get(Need, need["need_id"]).status == "met"

    # 5. the household's timeline shows the aid
    staff.goto(f"{portal_url}/households/{need['household_id']}")
    staff.locator("#tab-timeline").click()
    expect(staff.locator("#timeline")).to_contain_text("救助帮扶")
    expect(staff.locator("#timeline")).to_contain_text("发放临时救助金和米面油")
    screenshot(staff, "referral-3-household")
