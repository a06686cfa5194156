"""The referral pages driven as the browser drives them: a township clerk records a need on
the household page and publishes it to the pool; two partners see it masked; one claims it,
the other sees it gone and is told when it tries anyway; the claimer completes it; bad
input and other organisations' calls are refused with nothing changed; the 不漏 list."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import (
    AuditEntry,
    Need,
    Notification,
    Organisation,
    Referral,
    ReferralEvent,
    User,
    UserRole,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.domain import referrals as rules
from lowincome_portal.domain.roles import PARTNER
from lowincome_portal.pages.household.needs import HouseholdNeedsState, needs_tab
from lowincome_portal.pages.partner import PartnerState, partner_page
from lowincome_portal.pages.referrals import (
    ReferralListState,
    ReferralState,
    referral_page,
    referrals_page,
)
from lowincome_portal.services import households, security
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id
from tests.page_states import state_for, settle

FENGHUANG = "500231100200"  # 新民镇凤凰村
DENIED = "您没有执行此操作的权限"
CHARITY, SOCIAL, MEDICAL = "垫江县慈善会", "垫江县启航社会工作服务中心", "垫江县医疗保障局"
TODAY = today_in_china()


def needs_page(engine, username, household_id):
    """The household page's 帮扶需求 tab, opened."""
    state = state_for(HouseholdNeedsState, engine, username)
    state._household_id = household_id
    settle(HouseholdNeedsState.load_needs.fn(state))
    return state


def portal(engine, username):
    state = state_for(PartnerState, engine, username)
    settle(PartnerState.on_enter.fn(state))
    assert state.page_access == "ok", username
    return state


def snapshot(engine):
    """Every referral row, need status, notification read mark and the audit count."""
    with Session(engine) as s:
        return (
            [tuple(r.model_dump(exclude={"created_at", "updated_at"}).values())
             for r in s.exec(select(Referral).order_by(Referral.id)).all()],
            [(n.id, n.status) for n in s.exec(select(Need).order_by(Need.id)).all()],
            s.exec(select(func.count()).select_from(ReferralEvent)).one(),
            [(n.id, n.read_at) for n in s.exec(select(Notification).order_by(Notification.id)).all()],
            s.exec(select(func.count()).select_from(AuditEntry)
                   .where(AuditEntry.action.not_in(["login", "login_failed"]))).one(),
        )


@pytest.fixture
def partners(engine):
    """The charity and the social organisation both offer 慈善救助 county-wide; the medical
    insurance bureau is the competent department for 医疗救助; 启航 gets a login (qihang)."""
    with unit_of_work(engine) as s:
        orgs = {o.name: o for o in s.exec(select(Organisation)).all()}
        orgs[CHARITY].assistance_kinds = rules.codes_text(["charity_aid", "temporary"])
        orgs[SOCIAL].assistance_kinds = rules.codes_text(["charity_aid", "social_service"])
        orgs[MEDICAL].assistance_kinds = rules.codes_text(["medical"])
        user = User(username="qihang", display_name="周洁（启航社工）", password_hash=security.hash_password(DEMO_PASSWORD),
                    org_id=orgs[SOCIAL].id, must_change_password=False)
        s.add(user)
        s.flush()
        s.add(UserRole(user_id=user.id, role=PARTNER))
        return {name: o.id for name, o in orgs.items()}


@pytest.fixture
def household(engine, actor_of, partners):
    with unit_of_work(engine) as s:
        return households.create_household(
            s, actor=actor_of("xinmin"),
            household={"area_code": FENGHUANG, "address": "凤凰村三组 12 号", "phone": "13900002222"},
            head={"name": "钱老汉", "id_number": make_id(birth=date(1948, 1, 1), seq=41)})


NEED = {"kind": "charity_aid", "description": "孙子上学缺少冬衣和学习用品", "amount": "800", "urgency": "urgent",
        "source": "visit", "source_ref": ""}


def pooled_referral(engine, household_id) -> int:
    """The clerk records the need on the household page and publishes it to the pool."""
    page = needs_page(engine, "xinmin", household_id)
    assert page.error == "" and page.can_record_need and page.can_dispatch_need
    settle(HouseholdNeedsState.toggle_need_form.fn(page))
    assert page.need_form_open
    settle(HouseholdNeedsState.record_need.fn(page, NEED))
    assert page.error == "" and page.info == "已登记帮扶需求" and not page.need_form_open
    need = next(r for r in page.need_rows if r["row"] == "need")
    assert need["kind_label"] == "慈善救助" and need["status"] == "open"
    settle(HouseholdNeedsState.open_dispatch.fn(page, need["id"]))
    assert page.error == "" and page.dispatch_need["id"] == need["id"]
    assert page.dispatch_mode == "pool"  # no department offers 慈善救助
    assert int(page.dispatch_pool_count) >= 2  # at least the charity and 启航
    settle(HouseholdNeedsState.dispatch_need_now.fn(page, {"higher_benefit_note": "", "justification": ""}))
    assert page.error == "", page.error
    assert "已发布到需求池" in page.info and page.dispatch_need == {}
    referral = next(r for r in page.need_rows if r["row"] == "referral")
    assert referral["status"] == "pooled"
    return int(referral["id"])


def test_a_need_goes_to_the_pool_one_partner_claims_and_completes_it(engine, household, monkeypatch):
    rid = pooled_referral(engine, household)
    key = str(rid)

    cishan, qihang = portal(engine, "cishan"), portal(engine, "qihang")
    for partner in (cishan, qihang):
        assert partner.unread >= 1 and partner.notifications
        row = next(p for p in partner.pool if p["id"] == key)
        assert row["head_name"] == "钱**" and row["member_count"] == "1" and row["village"] == "新民镇 凤凰村"
        assert row["kind_label"] == "慈善救助" and row["urgency_label"] == "紧急"
        assert "钱老汉" not in str(partner.pool) and "13900002222" not in str(partner.pool)
        assert "凤凰村三组" not in str(partner.pool)
        assert partner.mine == []
    settle(PartnerState.mark_all_read.fn(cishan))
    assert cishan.error == "" and cishan.unread == 0

    settle(PartnerState.claim.fn(cishan, key))
    assert cishan.error == "" and cishan.info.startswith("认领成功")
    assert all(p["id"] != key for p in cishan.pool)
    mine = next(m for m in cishan.mine if m["id"] == key)
    assert mine["head_name"] == "钱老汉" and mine["phone"] == "13900002222" and mine["status"] == "claimed"

    # 启航's page still shows the item; its claim loses, is told so, and the item disappears
    assert any(p["id"] == key for p in qihang.pool)
    before = snapshot(engine)
    settle(PartnerState.claim.fn(qihang, key))
    assert qihang.error == rules.MSG_CLAIMED
    assert all(p["id"] != key for p in qihang.pool) and qihang.mine == []
    assert snapshot(engine) == before

    settle(PartnerState.start_service.fn(cishan, key))
    assert cishan.error == "" and next(m for m in cishan.mine if m["id"] == key)["status"] == "in_service"
    # a negative amount is refused with the message and saves nothing
    before = snapshot(engine)
    form = {"referral_id": key, "outcome": "送去冬衣两套、书包文具一套", "amount": "-50",
            "delivered_on": TODAY.isoformat(), "attachments": "签收单.jpg"}
    settle(PartnerState.complete.fn(cishan, form))
    assert cishan.error == "救助金额不能为负数" and cishan.info == ""
    assert snapshot(engine) == before
    # no outcome, a future date: clear messages, nothing saved
    settle(PartnerState.complete.fn(cishan, form | {"amount": "600", "outcome": " "}))
    assert cishan.error == rules.MSG_OUTCOME
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    settle(PartnerState.complete.fn(cishan, form | {"amount": "600", "delivered_on": tomorrow}))
    assert cishan.error == rules.MSG_DELIVERED_FUTURE.format(day=tomorrow)
    assert snapshot(engine) == before

    settle(PartnerState.complete.fn(cishan, form | {"amount": "600"}))
    assert cishan.error == "" and cishan.info
    done = next(m for m in cishan.mine if m["id"] == key)
    assert done["status"] == "completed" and done["outcome"] == "送去冬衣两套、书包文具一套"
    assert cishan.figures["completed"] == "1" and cishan.figures["amount"] == "600.00"

    # the clerk sees the outcome on the household's needs and on the referral page
    page = needs_page(engine, "xinmin", household)
    assert next(r for r in page.need_rows if r["row"] == "need")["status"] == "met"
    assert next(r for r in page.need_rows if r["row"] == "referral")["outcome"] == "送去冬衣两套、书包文具一套"
    listing = state_for(ReferralListState, engine, "xinmin")
    settle(ReferralListState.on_enter.fn(listing))
    assert listing.page_access == "ok" and [r["status"] for r in listing.rows if r["id"] == key] == ["completed"]
    settle(ReferralListState.pick_status.fn(listing, "pooled"))
    assert all(r["id"] != key for r in listing.rows)
    detail = opened_referral(engine, "xinmin", rid, monkeypatch)
    assert detail.referral["status"] == "completed" and detail.referral["organisation_name"] == CHARITY
    assert [s["action"] for s in detail.steps] == ["dispatch", "claim", "start", "complete"]


def opened_referral(engine, username, rid, monkeypatch):
    """The referral page entered at /referrals/<rid>."""
    monkeypatch.setattr(ReferralState, "_route_arg", lambda self, name: str(rid) if name == "referral_id" else "")
    state = state_for(ReferralState, engine, username)
    settle(ReferralState.on_enter.fn(state))
    return state


def test_partners_are_refused_on_referrals_they_do_not_hold(engine, household, monkeypatch):
    rid = pooled_referral(engine, household)
    key = str(rid)
    cishan = portal(engine, "cishan")
    settle(PartnerState.claim.fn(cishan, key))
    assert cishan.error == ""

    before = snapshot(engine)
    qihang = portal(engine, "qihang")
    calls = [
        (PartnerState.start_service, (key,)),
        (PartnerState.complete, ({"referral_id": key, "outcome": "冒领", "amount": "1",
                                  "delivered_on": TODAY.isoformat(), "attachments": ""},)),
        (PartnerState.return_referral, ({"referral_id": key, "reason": "不想做"},)),
        (PartnerState.claim, (key,)),
    ]
    for handler, args in calls:
        settle(handler.fn(qihang, *args))
        assert qihang.error, handler.fn.__name__
        assert "钱老汉" not in str(qihang.mine) and "13900002222" not in str(qihang.mine)
    # the referral page does not open for them either
    detail = opened_referral(engine, "qihang", rid, monkeypatch)
    assert detail.error and detail.referral == {}
    assert "钱老汉" not in str(detail.steps)
    # staff cannot act as a partner, partners cannot record or dispatch needs
    clerk = state_for(PartnerState, engine, "xinmin")
    settle(PartnerState.claim.fn(clerk, key))
    assert clerk.error == DENIED
    outsider = state_for(HouseholdNeedsState, engine, "cishan")
    outsider._household_id = household
    settle(HouseholdNeedsState.record_need.fn(outsider, NEED))
    assert outsider.error == DENIED
    settle(HouseholdNeedsState.load_needs.fn(outsider))
    assert outsider.error == DENIED and outsider.need_rows == []
    # another township's clerk sees nothing of this household's needs
    shaping = needs_page(engine, "shaping", household)
    assert shaping.error and shaping.need_rows == []
    assert snapshot(engine) == before

    # the holder opens its own referral page; it shows the household
    own = opened_referral(engine, "cishan", rid, monkeypatch)
    assert own.page_access == "ok" and own.is_partner and own.referral["head_name"] == "钱老汉"
    # and may return it with a reason, which puts it back in the pool
    settle(PartnerState.return_referral.fn(cishan, {"referral_id": key, "reason": " "}))
    assert cishan.error == rules.MSG_RETURN_REASON
    settle(PartnerState.return_referral.fn(cishan, {"referral_id": key, "reason": "超出本会本月服务能力"}))
    assert cishan.error == "" and all(m["id"] != key for m in cishan.mine)
    qihang = portal(engine, "qihang")
    assert any(p["id"] == key for p in qihang.pool)


def test_the_missed_list_and_dispatch_to_the_competent_department(engine, household):
    page = needs_page(engine, "xinmin", household)
    settle(HouseholdNeedsState.record_need.fn(page, NEED | {"kind": "medical", "description": "慢性病门诊费用负担重",
                                                     "amount": "", "urgency": "normal"}))
    assert page.error == ""
    need_id = int(next(r for r in page.need_rows if r["row"] == "need")["id"])
    with unit_of_work(engine) as s:  # recorded long ago and never answered
        s.get(Need, need_id).recorded_on = TODAY - timedelta(days=60)

    listing = state_for(ReferralListState, engine, "xinmin")
    settle(ReferralListState.on_enter.fn(listing))
    assert listing.can_report and listing.rows == []
    missed = next(m for m in listing.missed if m["kind"] == "need")
    assert missed["need_id"] == str(need_id) and missed["kind_label"] == "医疗救助"
    other = state_for(ReferralListState, engine, "shaping")
    settle(ReferralListState.on_enter.fn(other))
    assert other.missed == [] and other.rows == []

    settle(ReferralListState.open_dispatch.fn(listing, str(need_id)))
    assert listing.error == "" and listing.dispatch_mode == "assigned"
    assert [d["label"] for d in listing.dispatch_departments] == [MEDICAL]
    department = listing.dispatch_departments[0]["value"]
    # assigned without a department: refused, nothing saved
    before = snapshot(engine)
    settle(ReferralListState.dispatch_need_now.fn(listing, {"organisation_id": "", "higher_benefit_note": ""}))
    assert listing.error == rules.MSG_NO_ASSIGNEE and snapshot(engine) == before
    settle(ReferralListState.dispatch_need_now.fn(listing, {"organisation_id": department, "higher_benefit_note": ""}))
    assert listing.error == "" and listing.info == f"已派给{MEDICAL}"
    assert all(m["kind"] != "need" for m in listing.missed)
    assert [r["status"] for r in listing.rows] == ["assigned"]

    # 不重: a second medical referral this month is refused for the township clerk
    settle(HouseholdNeedsState.record_need.fn(page, NEED | {"kind": "medical", "description": "住院自付部分"}))
    second = max(int(r["id"]) for r in page.need_rows if r["row"] == "need")
    settle(HouseholdNeedsState.open_dispatch.fn(page, str(second)))
    assert page.dispatch_duplicate != "" and not page.can_justify
    before = snapshot(engine)
    settle(HouseholdNeedsState.dispatch_need_now.fn(page, {"organisation_id": department, "higher_benefit_note": ""}))
    assert page.error.startswith("不重复转介") and snapshot(engine) == before


def test_every_referral_page_builds():
    for page in (referrals_page, referral_page, partner_page, needs_tab):
        assert page() is not None
