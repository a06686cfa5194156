"""Security in a real browser: script and markup typed into free-text fields render as text on
the registry list, the household page and its timeline; a signed-out session's cookie, replayed
in another browser, opens nothing."""

from datetime import date

import pytest
from playwright.sync_api import expect

from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.services import household_records, households
from tests.idnumbers import make_id

from .conftest import screenshot
from .test_registry_e2e import actor, sign_in

pytestmark = pytest.mark.e2e

FENGHUANG = "500231100200"
NAME = '<img src=x onerror="window.__xss=1">'
ADDRESS = "<script>window.__xss=2</script>凤凰村九组"
FINDINGS = '"><svg onload="window.__xss=3"></svg>&lt;b&gt;{{7*7}}'


@pytest.fixture(scope="module")
def hostile_household(portal_db):
    engine = engine_for(portal_db)
    xinmin = actor(engine, "xinmin")
    with unit_of_work(engine) as s:
        household_id = households.create_household(
            s, actor=xinmin, household={"area_code": FENGHUANG, "address": ADDRESS},
            head={"name": NAME, "id_number": make_id(birth=date(1958, 3, 3), seq=77)})
        household_records.record_visit(s, actor=xinmin, household_id=household_id, visited_on=date.today(),
                                       findings=FINDINGS, purpose="<b>定期走访</b>")
    return household_id


def _assert_inert(page):
    assert page.evaluate("() => window.__xss") is None
    # No element the payloads would have created exists: they are text nodes.
    assert page.locator("img[src='x'], svg[onload], script:has-text('__xss')").count() == 0


def test_markup_in_free_text_renders_as_text(portal_url, new_page, hostile_household):
    page = new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, portal_url, "xinmin")
    page.goto(f"{portal_url}/r/households")
    page.locator("#search-input").fill(NAME)  # markup in a search box is a search, nothing more
    page.locator("#search-button").click()
    expect(page.locator("#resource-table")).to_contain_text(NAME)
    _assert_inert(page)
    screenshot(page, "security-markup-in-list")
    page.get_by_role("link", name=NAME).click()
    expect(page.locator("#head-name")).to_have_text(NAME)
    expect(page.get_by_text(ADDRESS).first).to_be_visible()
    page.get_by_role("tab", name="走访记录").click()
    expect(page.get_by_text(FINDINGS).first).to_be_visible()
    _assert_inert(page)
    screenshot(page, "security-markup-as-text")
    assert dialogs == []


def test_a_signed_out_cookie_opens_nothing(portal_url, new_page, chromium_browser):
    page = new_page()
    sign_in(page, portal_url, "xinmin")
    token = next(c for c in page.context.cookies() if c["name"] == "portal_session")
    assert token["value"]
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{portal_url}/login")
    # Another browser presents the old cookie, as a thief who copied it would.
    thief = new_page()
    thief.context.add_cookies([{k: token[k] for k in ("name", "value", "domain", "path")}])
    thief.goto(f"{portal_url}/r/households")
    thief.wait_for_url(f"{portal_url}/login")
    expect(thief.get_by_text("您已退出登录，请重新登录").first).to_be_visible()
    screenshot(thief, "security-replayed-cookie")
