"""Each demo role signs in, sees its own menu, is refused a page it may not use and signs
out; five wrong passwords lock an account; bad and dead sessions land on the sign-in page."""

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import User
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.services import auth, users

from .conftest import screenshot

pytestmark = pytest.mark.e2e

CASEWORKER_MENU = ["首页", "我的待办", "家庭档案", "救助申请", "窗口受理", "申请导入", "公示公开", "联席会议", "转介帮扶",
                   "监测预警", "批量导入", "服务站点", "合作机构", "政策参数", "区划管理", "修改密码"]
# township staff read their township's monthly report
TOWNSHIP_MENU = [*CASEWORKER_MENU[:10], "月度报告", *CASEWORKER_MENU[10:]]
# the county imports the departments' files for 数据比对, and sees the leaders' summary too
COUNTY_MENU = [*CASEWORKER_MENU[:10], "数据比对", "月度报告", "领导驾驶舱", *CASEWORKER_MENU[10:]]
MENUS = {
    "admin": ["首页", "服务站点", "合作机构", "政策参数", "预警规则", "预警阈值", "数据来源", "数据列映射", "区划管理",
              "账号管理", "审计日志", "修改密码"],
    "minzheng": COUNTY_MENU,
    "nongye": COUNTY_MENU,
    "xinmin": TOWNSHIP_MENU,
    "fenghuang": ["首页", "我的待办", "家庭档案", "救助申请", "窗口受理", "公示公开", "联席会议", "转介帮扶", "监测预警",
                  "服务站点", "合作机构", "政策参数", "区划管理", "修改密码"],
    "cishan": ["首页", "机构工作台", "修改密码"],
    "lingdao": ["首页", "月度报告", "领导驾驶舱", "服务站点", "政策参数", "区划管理", "修改密码"],
}
ROLE_NAMES = {"admin": "系统管理员", "minzheng": "县级民政", "nongye": "县级农业农村",
              "xinmin": "乡镇工作人员", "fenghuang": "村级工作人员", "cishan": "合作机构",
              "lingdao": "县领导"}
PLACES = {"xinmin": "新民镇", "fenghuang": "凤凰村", "cishan": "垫江县慈善会", "admin": "垫江县"}


def sign_in(page, base, username, password=DEMO_PASSWORD):
    page.goto(f"{base}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-button").click()


@pytest.mark.parametrize("username", list(MENUS))
def test_role_signs_in_sees_its_menu_is_refused_and_signs_out(portal_url, new_page, username):
    page = new_page()
    sign_in(page, portal_url, username)
    expect(page.locator("#welcome")).to_be_visible()
    expect(page.locator("#header-roles")).to_have_text(ROLE_NAMES[username])
    if username in PLACES:
        expect(page.locator("#header-area")).to_contain_text(PLACES[username])
    expect(page.locator("#nav a")).to_have_text(MENUS[username])
    screenshot(page, f"home-{username}")

    if username != "admin":  # the admin may use every page there is
        page.goto(f"{portal_url}/admin/users")
        expect(page.locator("#access-denied")).to_be_visible()
        expect(page.locator("#users-table")).to_have_count(0)
        screenshot(page, f"denied-{username}")
    else:
        page.goto(f"{portal_url}/admin/users")
        expect(page.locator("#users-table")).to_contain_text("fenghuang")
        screenshot(page, "admin-users")
        page.goto(f"{portal_url}/admin/audit")
        expect(page.locator("#audit-table")).to_contain_text("登录")
        screenshot(page, "admin-audit")

    page.locator("#logout-button").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#login-notice")).to_have_text("您已安全退出")
    page.goto(f"{portal_url}/")
    expect(page).to_have_url(re.compile(r"/login$"))


def _as_admin(portal_db, change, username: str) -> None:
    """Put a demo account back for the later tests (they share one database): change(session,
    admin actor, the account's User) in one transaction."""
    engine = engine_for(portal_db)
    with unit_of_work(engine) as s:
        admin_user = s.exec(select(User).where(User.username == "admin")).one()
        target = s.exec(select(User).where(User.username == username)).one()
        change(s, auth.actor_for(s, admin_user), target)


def test_five_wrong_passwords_lock_the_account(portal_url, portal_db, new_page):
    page = new_page()
    page.goto(f"{portal_url}/login")
    for attempt in range(1, 6):
        page.locator("#username").fill("nongye")
        page.locator("#password").fill(f"wrong-{attempt}x")
        page.locator("#login-button").click()
        if attempt < 5:
            expect(page.locator("#login-error")).to_contain_text(f"再错 {5 - attempt} 次")
    expect(page.locator("#login-error")).to_contain_text("已锁定")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#login-button").click()
    expect(page.locator("#login-error")).to_contain_text("账号已锁定")
    screenshot(page, "locked")
    expect(page).to_have_url(re.compile(r"/login$"))
    _as_admin(portal_db, lambda s, admin, target: users.unlock(s, actor=admin, user_id=target.id), "nongye")


def test_unknown_user_gets_the_same_message(portal_url, new_page):
    page = new_page()
    sign_in(page, portal_url, "nobody")
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误")


def test_tampered_cookie_is_refused(portal_url, new_page):
    page = new_page()
    sign_in(page, portal_url, "minzheng")
    expect(page.locator("#welcome")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "portal_session")
    page.context.add_cookies([{**cookie, "value": cookie["value"][:-2] + "zz"}])
    page.reload()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#login-notice")).to_have_text("登录状态无效，请重新登录")


def test_disabled_users_live_session_ends(portal_url, portal_db, new_page):
    victim = new_page()
    sign_in(victim, portal_url, "shaping")
    expect(victim.locator("#welcome")).to_be_visible()

    admin = new_page()
    sign_in(admin, portal_url, "admin")
    expect(admin.locator("#welcome")).to_be_visible()
    admin.goto(f"{portal_url}/admin/users")
    admin.locator("#user-row-shaping").get_by_role("button", name="停用").click()
    expect(admin.locator("#info-message")).to_contain_text("已停用")
    expect(admin.locator("#user-row-shaping")).to_contain_text("已停用")

    victim.locator("#nav a", has_text="区划管理").click()
    expect(victim).to_have_url(re.compile(r"/login$"))
    expect(victim.locator("#login-notice")).to_have_text("账号已停用，请联系系统管理员")

    # Put the account back for any later test.
    _as_admin(portal_db, lambda s, admin, target: users.set_disabled(s, actor=admin, user_id=target.id,
                                                                     disabled=False), "shaping")


def test_admin_creates_an_account_and_the_user_must_change_the_password(portal_url, new_page):
    admin = new_page()
    sign_in(admin, portal_url, "admin")
    expect(admin.locator("#welcome")).to_be_visible()
    admin.goto(f"{portal_url}/admin/users")
    admin.locator("#new-user-button").click()
    admin.locator("#form-username").fill("gaofeng")
    admin.locator("#form-display-name").fill("高峰镇 周敏")
    admin.locator("#account-form").get_by_text("乡镇工作人员", exact=True).click()
    admin.locator("#form-area").click()
    admin.get_by_role("option", name=re.compile("高峰镇")).click()
    admin.locator("#form-submit").click()
    expect(admin.locator("#info-message")).to_contain_text("账号 gaofeng 已创建")
    password = admin.locator("#issued-password").inner_text()
    screenshot(admin, "admin-created-user")

    user = new_page()
    sign_in(user, portal_url, "gaofeng", password)
    expect(user).to_have_url(re.compile(r"/account/password$"))
    user.goto(f"{portal_url}/")  # everything else waits for the new password
    expect(user).to_have_url(re.compile(r"/account/password$"))
    user.locator("#old-password").fill(password)
    user.locator("#new-password").fill("Zhoumin2026x")
    user.locator("#confirm-password").fill("Zhoumin2026x")
    user.locator("#change-password-button").click()
    expect(user).to_have_url(re.compile(r"/$"))
    expect(user.locator("#header-area")).to_contain_text("高峰镇")
