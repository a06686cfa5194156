"""分类救助帮扶 on both databases: a need is recorded and dispatched; the pool reaches the partners
that offer the kind; one partner claims, the other is refused and sees it gone; completion
with an outcome; bad completions, outsiders and other organisations are refused with nothing
changed; 不重 and the coordinator's reason; the 不漏 list; 就高不就低 on the dispatch screen;
masking in the partner portal; the joint meeting's agenda; and, on PostgreSQL, two partners
claiming at the same moment with exactly one winner."""

import itertools
import json
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import (
    AgendaItem,
    AuditEntry,
    Need,
    Notification,
    Organisation,
    Referral,
    ReferralEvent,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import NotFound, PermissionDenied, ValidationError
from lowincome_portal.services import households, meetings, referral_views, referrals
from lowincome_portal.services import resources as resource_service
from tests.idnumbers import make_id

FENGHUANG, XINMIN, SHAPING = "500231100200", "500231100000", "500231101000"
HONGYAN = "500231101200"  # 沙坪镇红岩村
CISHAN, HONGSHIZI = "垫江县慈善会", "重庆市垫江县红十字会"
YIBAO, JIAOWEI, QIHANG = "垫江县医疗保障局", "垫江县教育委员会", "垫江县启航社会工作服务中心"

DAY = date(2026, 11, 2)  # a Monday: the need is recorded and dispatched
LATER = date(2026, 11, 9)
PHONE, ADDRESS = "13812345678", "凤凰村5组18号"

_numbers = itertools.count(1)


# --- helpers ------------------------------------------------------------------------------------

def orgs(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {o.name: o.id for o in s.exec(select(Organisation)).all()}


def add_household(engine, actor, area=FENGHUANG, name="张大山") -> tuple[int, str]:
    n = next(_numbers)
    number = make_id(birth=date(1958, 3, 4), seq=200 + n * 2 + 1)
    with unit_of_work(engine) as s:
        hid = households.create_household(
            s, actor=actor, household={"area_code": area, "address": ADDRESS, "phone": PHONE},
            head={"id_number": number, "name": name})
    return hid, number


def record(engine, actor, household_id, kind="charity_aid", urgency="normal", today=DAY, **extra) -> int:
    with unit_of_work(engine) as s:
        return referrals.record_need(s, actor=actor, household_id=household_id, kind=kind,
                                     description=extra.pop("description", "因病致贫，生活困难"),
                                     amount=extra.pop("amount", "2000"), urgency=urgency, source="visit",
                                     today=today, **extra)


def dispatch(engine, actor, need_id, mode="pool", today=DAY, **extra) -> int:
    with unit_of_work(engine) as s:
        return referrals.dispatch(s, actor=actor, need_id=need_id, mode=mode, today=today, **extra)


def pooled(engine, actor_of, kind="charity_aid", today=DAY, name="张大山") -> tuple[int, int, str]:
    """A household of 凤凰村 with a need dispatched to the pool: (household, referral, id number)."""
    hid, number = add_household(engine, actor_of("xinmin"), name=name)
    need = record(engine, actor_of("xinmin"), hid, kind=kind, today=today)
    return hid, dispatch(engine, actor_of("xinmin"), need, today=today), number


def claim(engine, actor, referral_id, today=DAY):
    with unit_of_work(engine) as s:
        referrals.claim(s, actor=actor, referral_id=referral_id, today=today)


def referral(engine, referral_id) -> Referral:
    with Session(engine) as s:
        return s.get(Referral, referral_id)


def snapshot(engine):
    """Row counts (audit included) and every referral's and need's state: a refusal leaves it as it was."""
    with Session(engine) as s:
        counts = tuple(s.exec(select(func.count()).select_from(t)).one()
                       for t in (Need, Referral, ReferralEvent, Notification, AuditEntry))
        rows = s.exec(select(Referral.id, Referral.status, Referral.organisation_id, Referral.version,
                             Referral.outcome, Referral.amount).order_by(Referral.id)).all()
        needs = s.exec(select(Need.id, Need.status).order_by(Need.id)).all()
    return counts, [tuple(r) for r in rows], [tuple(n) for n in needs]


def notified(engine, referral_id) -> set[str]:
    names = {v: k for k, v in orgs(engine).items()}
    with Session(engine) as s:
        return {names[n.organisation_id] for n in s.exec(select(Notification).where(
            Notification.referral_id == referral_id)).all()}


# --- needs and dispatch -------------------------------------------------------------------------

def test_a_need_is_recorded_and_the_pool_notifies_matching_partners_only(engine, actor_of):
    hid, _ = add_household(engine, actor_of("xinmin"))
    need_id = record(engine, actor_of("fenghuang"), hid, kind="charity_aid", urgency="urgent")
    with Session(engine) as s:
        need = s.get(Need, need_id)
        assert (need.area_code, need.status, need.amount, need.recorded_on) == (FENGHUANG, "open", Decimal("2000.00"), DAY)
    referral_id = dispatch(engine, actor_of("xinmin"), need_id)
    row = referral(engine, referral_id)
    assert (row.status, row.mode, row.organisation_id, row.period) == ("pooled", "pool", None, date(2026, 11, 1))
    assert row.claim_due_on == date(2026, 11, 5)  # 3 working days
    assert row.delivery_due_on == date(2026, 11, 10)  # urgent: 3 working days after the claim deadline
    # both charities offer 慈善救助; the departments and the social organisation do not
    assert notified(engine, referral_id) == {CISHAN, HONGSHIZI}
    with Session(engine) as s:
        assert s.get(Need, need_id).status == "referred"
        [event] = s.exec(select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)).all()
        assert (event.action, event.status, event.on_day) == ("dispatch", "pooled", DAY)
        actions = s.exec(select(AuditEntry.entity, AuditEntry.action).where(
            AuditEntry.entity.in_(("need", "referral")))).all()
    assert sorted(actions) == [("need", "create"), ("referral", "dispatch")]


def test_assigned_goes_to_the_competent_department(engine, actor_of):
    hid, _ = add_household(engine, actor_of("xinmin"))
    need_id = record(engine, actor_of("xinmin"), hid, kind="medical")
    ids = orgs(engine)
    with Session(engine) as s:
        options = referral_views.dispatch_options(s, actor=actor_of("xinmin"), need_id=need_id, today=DAY)
    assert [d["name"] for d in options["departments"]] == [YIBAO]
    assert options["pool_names"] == [YIBAO, HONGSHIZI] and options["pool_count"] == 2
    before = snapshot(engine)
    for bad, message in ((None, "须选择承办单位"), (ids[JIAOWEI], "不提供“医疗救助”"), ("x", "不提供")):
        with pytest.raises(ValidationError, match=message), unit_of_work(engine) as s:
            referrals.dispatch(s, actor=actor_of("xinmin"), need_id=need_id, mode="assigned",
                               organisation_id=bad, today=DAY)
    assert snapshot(engine) == before
    referral_id = dispatch(engine, actor_of("xinmin"), need_id, mode="assigned", organisation_id=ids[YIBAO])
    row = referral(engine, referral_id)
    assert (row.status, row.organisation_id, row.claim_due_on) == ("assigned", ids[YIBAO], None)
    assert row.delivery_due_on == date(2026, 11, 23)  # 15 working days
    assert notified(engine, referral_id) == {YIBAO}


def test_a_pool_nobody_could_claim_and_outsiders_are_refused(engine, actor_of):
    hid, _ = add_household(engine, actor_of("xinmin"))
    need_id = record(engine, actor_of("xinmin"), hid, kind="housing")
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="没有提供“住房救助（危房改造）”"), unit_of_work(engine) as s:
        referrals.dispatch(s, actor=actor_of("xinmin"), need_id=need_id, mode="pool", today=DAY)
    for who in ("shaping", "fenghuang", "cishan", "lingdao"):  # another township, a village, a partner, a leader
        with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
            referrals.dispatch(s, actor=actor_of(who), need_id=need_id, mode="pool", today=DAY)
    for who in ("shaping", "cishan", "lingdao"):
        with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
            referrals.record_need(s, actor=actor_of(who), household_id=hid, kind="medical", description="x",
                                  today=DAY)
    with pytest.raises(NotFound), unit_of_work(engine) as s:
        referrals.dispatch(s, actor=actor_of("xinmin"), need_id=99999, mode="pool", today=DAY)
    assert snapshot(engine) == before


@pytest.mark.parametrize("change, message", [
    ({"kind": "lottery"}, "救助类别"), ({"description": ""}, "需求说明不能为空"), ({"amount": "-10"}, "不能为负数"),
])
def test_bad_need_is_refused_with_nothing_saved(engine, actor_of, change, message):
    hid, _ = add_household(engine, actor_of("xinmin"))
    before = snapshot(engine)
    values = {"kind": "medical", "description": "住院", "amount": "100", "urgency": "normal", "source": "visit"}
    with pytest.raises(ValidationError, match=message), unit_of_work(engine) as s:
        referrals.record_need(s, actor=actor_of("xinmin"), household_id=hid, today=DAY, **{**values, **change})
    assert snapshot(engine) == before


# --- claim, the partner portal, completion -------------------------------------------------------

def test_partner_a_claims_and_partner_b_is_told_and_sees_it_gone(engine, actor_of):
    _, referral_id, _ = pooled(engine, actor_of)
    a, b = actor_of("cishan"), actor_of("hongshizi")
    with Session(engine) as s:
        assert [r["id"] for r in referral_views.partner_pool(s, actor=a, today=DAY)] == [referral_id]
        assert [r["id"] for r in referral_views.partner_pool(s, actor=b, today=DAY)] == [referral_id]
    claim(engine, a, referral_id, today=date(2026, 11, 3))
    row = referral(engine, referral_id)
    assert (row.status, row.organisation_id, row.claimed_on, row.claimed_by, row.version) == (
        "claimed", orgs(engine)[CISHAN], date(2026, 11, 3), a.user_id, 2)
    assert row.delivery_due_on == date(2026, 11, 24)  # 15 working days from the claim
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        referrals.claim(s, actor=b, referral_id=referral_id, today=date(2026, 11, 3))
    assert err.value.message == "该事项已被其他机构认领"
    with pytest.raises(ValidationError, match="本机构已认领"), unit_of_work(engine) as s:
        referrals.claim(s, actor=a, referral_id=referral_id, today=date(2026, 11, 3))
    assert snapshot(engine) == before
    with Session(engine) as s:
        assert referral_views.partner_pool(s, actor=b, today=DAY) == []
        assert referral_views.partner_pool(s, actor=a, today=DAY) == []
        assert [r["id"] for r in referral_views.partner_mine(s, actor=a, today=DAY)] == [referral_id]
        assert referral_views.partner_mine(s, actor=b, today=DAY) == []
    with Session(engine) as s:
        [event] = s.exec(select(ReferralEvent).where(ReferralEvent.action == "claim")).all()
        assert event.organisation_id == orgs(engine)[CISHAN]
        assert s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "claim")).one() == 1


def test_claimer_completes_with_an_outcome(engine, actor_of):
    hid, referral_id, _ = pooled(engine, actor_of)
    a = actor_of("cishan")
    claim(engine, a, referral_id)
    with unit_of_work(engine) as s:
        referrals.start_service(s, actor=a, referral_id=referral_id, today=date(2026, 11, 4))
    assert referral(engine, referral_id).status == "in_service"
    with unit_of_work(engine) as s:
        referrals.complete(s, actor=a, referral_id=referral_id, outcome="发放慈善救助金并送米面油",
                           amount="1500.5", delivered_on="2026-11-06", attachments=["签收单.jpg"],
                           today=date(2026, 11, 6))
    row = referral(engine, referral_id)
    assert (row.status, row.outcome, row.amount, row.delivered_on, row.completed_on, row.attachments) == (
        "completed", "发放慈善救助金并送米面油", Decimal("1500.50"), date(2026, 11, 6), date(2026, 11, 6), "签收单.jpg")
    with Session(engine) as s:
        assert s.get(Need, row.need_id).status == "met"
        figures = referral_views.partner_figures(s, actor=a, today=date(2026, 11, 6))
        [need] = referral_views.household_needs(s, actor=actor_of("fenghuang"), household_id=hid)
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "complete")).one()
    assert (figures["taken"], figures["completed"], figures["in_service"], figures["overdue"], figures["amount"]) == (
        1, 1, 0, 0, "1500.50")
    assert need["status_label"] == "已解决" and need["referrals"][0]["outcome"] == "发放慈善救助金并送米面油"
    assert need["referrals"][0]["organisation_name"] == CISHAN and need["referrals"][0]["delivered_amount"] == "1500.50"
    assert json.loads(entry.new_values)["household_id"] == hid
    # done is done: no second completion, no return
    before = snapshot(engine)
    for call in (lambda s: referrals.complete(s, actor=a, referral_id=referral_id, outcome="再次", amount="1",
                                              delivered_on="2026-11-06", today=date(2026, 11, 6)),
                 lambda s: referrals.return_referral(s, actor=a, referral_id=referral_id, reason="x",
                                                     today=date(2026, 11, 6))):
        with pytest.raises(ValidationError, match="已办结"), unit_of_work(engine) as s:
            call(s)
    assert snapshot(engine) == before


@pytest.mark.parametrize("change, message", [
    ({"outcome": "  "}, "请填写服务结果"),
    ({"amount": "-100"}, "救助金额不能为负数"),
    ({"delivered_on": "2026-11-07"}, "交付日期 2026-11-07 不能晚于今天"),
    ({"delivered_on": "2026-11-01"}, "不能早于认领日期（2026-11-02）"),
    ({"delivered_on": ""}, "交付日期不能为空"),
])
def test_bad_completion_is_refused_with_nothing_changed(engine, actor_of, change, message):
    _, referral_id, _ = pooled(engine, actor_of)
    claim(engine, actor_of("cishan"), referral_id)
    before = snapshot(engine)
    values = {"outcome": "发放救助金", "amount": "100", "delivered_on": "2026-11-05", "attachments": ""}
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        referrals.complete(s, actor=actor_of("cishan"), referral_id=referral_id, today=date(2026, 11, 6),
                           **{**values, **change})
    assert message in err.value.message
    assert snapshot(engine) == before


def test_return_puts_it_back_in_the_pool(engine, actor_of):
    _, referral_id, _ = pooled(engine, actor_of)
    a, b = actor_of("cishan"), actor_of("hongshizi")
    claim(engine, a, referral_id)
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="退回须说明原因"), unit_of_work(engine) as s:
        referrals.return_referral(s, actor=a, referral_id=referral_id, reason=" ", today=DAY)
    assert snapshot(engine) == before
    with unit_of_work(engine) as s:
        referrals.return_referral(s, actor=a, referral_id=referral_id, reason="本月救助资金已用完", today=LATER)
    row = referral(engine, referral_id)
    assert (row.status, row.organisation_id, row.claimed_on, row.return_reason) == (
        "pooled", None, None, "本月救助资金已用完")
    assert row.claim_due_on == date(2026, 11, 12)  # a new claim deadline from the return
    with Session(engine) as s:
        again = s.exec(select(Notification).where(Notification.referral_id == referral_id)
                       .order_by(Notification.id.desc())).first()
        assert again.organisation_id == orgs(engine)[HONGSHIZI]  # the returner is not told again
        assert [r["id"] for r in referral_views.partner_pool(s, actor=b, today=LATER)] == [referral_id]
        assert referral_views.partner_mine(s, actor=a, today=LATER) == []
    claim(engine, b, referral_id, today=LATER)
    assert referral(engine, referral_id).organisation_id == orgs(engine)[HONGSHIZI]


def test_an_assigned_referral_returned_goes_to_the_pool(engine, actor_of):
    """The demo partners' logins are charities; the education bureau has none, so the charity
    (which offers 教育救助 too) is assigned directly here."""
    hid, _ = add_household(engine, actor_of("xinmin"))
    need_id = record(engine, actor_of("xinmin"), hid, kind="education")
    referral_id = dispatch(engine, actor_of("xinmin"), need_id, mode="assigned", organisation_id=orgs(engine)[CISHAN])
    a = actor_of("cishan")
    with Session(engine) as s:
        [mine] = referral_views.partner_mine(s, actor=a, today=DAY)
    assert mine["status"] == "assigned" and mine["can_start"] and mine["can_return"]
    with unit_of_work(engine) as s:
        referrals.return_referral(s, actor=a, referral_id=referral_id, reason="应由教委办理", today=DAY)
    row = referral(engine, referral_id)
    assert (row.status, row.mode, row.organisation_id) == ("pooled", "pool", None)
    assert notified(engine, referral_id) == {CISHAN, JIAOWEI}  # assigned to the charity, then the pool


# --- refusals: other organisations, kinds, staff -----------------------------------------------------

def test_another_organisations_partner_is_refused_on_every_command(engine, actor_of):
    _, referral_id, _ = pooled(engine, actor_of)
    a, b = actor_of("cishan"), actor_of("hongshizi")
    claim(engine, a, referral_id)
    before = snapshot(engine)
    commands = (
        lambda s: referrals.start_service(s, actor=b, referral_id=referral_id, today=DAY),
        lambda s: referrals.complete(s, actor=b, referral_id=referral_id, outcome="冒领", amount="1",
                                     delivered_on=DAY, today=DAY),
        lambda s: referrals.return_referral(s, actor=b, referral_id=referral_id, reason="x", today=DAY),
        lambda s: referral_views.referral_detail(s, actor=b, referral_id=referral_id, today=DAY),
        # staff are not partners: they may not take a partner's steps
        lambda s: referrals.claim(s, actor=actor_of("xinmin"), referral_id=referral_id, today=DAY),
        lambda s: referrals.complete(s, actor=actor_of("minzheng"), referral_id=referral_id, outcome="x",
                                     amount="1", delivered_on=DAY, today=DAY),
        lambda s: referral_views.partner_pool(s, actor=actor_of("xinmin"), today=DAY),
        lambda s: referral_views.referral_detail(s, actor=actor_of("shaping"), referral_id=referral_id, today=DAY),
        lambda s: referral_views.referral_list(s, actor=actor_of("cishan"), today=DAY),
        lambda s: referral_views.missed_needs(s, actor=actor_of("fenghuang"), today=DAY),
    )
    for call in commands:
        with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
            call(s)
    with pytest.raises(ValidationError, match="已被其他机构认领"), unit_of_work(engine) as s:
        referrals.claim(s, actor=b, referral_id=referral_id, today=DAY)
    with pytest.raises(NotFound), unit_of_work(engine) as s:
        referrals.claim(s, actor=b, referral_id=424242, today=DAY)
    assert snapshot(engine) == before
    with Session(engine) as s:  # the holder and the township see it
        assert referral_views.referral_detail(s, actor=a, referral_id=referral_id, today=DAY)["is_holder"]
        assert referral_views.referral_detail(s, actor=actor_of("xinmin"), referral_id=referral_id,
                                              today=DAY)["organisation_name"] == CISHAN


def test_a_claim_outside_the_partners_kinds_or_areas_is_refused(engine, actor_of, session):
    _, referral_id, _ = pooled(engine, actor_of, kind="medical")  # 医保局 and 红十字会 offer it, 慈善会 not
    before = snapshot(engine)
    with pytest.raises(PermissionDenied, match="不在本机构提供的救助类别或服务区域内"), unit_of_work(engine) as s:
        referrals.claim(s, actor=actor_of("cishan"), referral_id=referral_id, today=DAY)
    assert snapshot(engine) == before
    # the red cross limited to 沙坪镇 no longer reaches 新民镇凤凰村
    with unit_of_work(engine) as s:
        red_cross = s.get(Organisation, orgs(engine)[HONGSHIZI])
        red_cross.areas_served = f" {SHAPING} "
        s.add(red_cross)
    with Session(engine) as s:
        assert referral_views.partner_pool(s, actor=actor_of("hongshizi"), today=DAY) == []
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        referrals.claim(s, actor=actor_of("hongshizi"), referral_id=referral_id, today=DAY)
    assert snapshot(engine) == before


def test_capacity_limits_claims_in_a_month(engine, actor_of):
    _, first, _ = pooled(engine, actor_of)
    _, second, _ = pooled(engine, actor_of, name="李二妹")
    with unit_of_work(engine) as s:
        charity = s.get(Organisation, orgs(engine)[CISHAN])
        charity.capacity = 1
        s.add(charity)
    claim(engine, actor_of("cishan"), first)
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="已达承接能力上限"), unit_of_work(engine) as s:
        referrals.claim(s, actor=actor_of("cishan"), referral_id=second, today=DAY)
    assert snapshot(engine) == before


def test_a_stopped_organisation_takes_nothing_new_but_finishes_what_it_holds(engine, actor_of):
    _, held, _ = pooled(engine, actor_of)
    _, other, _ = pooled(engine, actor_of, name="李二妹")
    claim(engine, actor_of("cishan"), held)
    with unit_of_work(engine) as s:
        charity = s.get(Organisation, orgs(engine)[CISHAN])
        charity.active = False
        s.add(charity)
    before = snapshot(engine)
    with pytest.raises(ValidationError, match="已停用"), unit_of_work(engine) as s:
        referrals.claim(s, actor=actor_of("cishan"), referral_id=other, today=DAY)
    assert snapshot(engine) == before
    with Session(engine) as s:
        assert referral_views.partner_pool(s, actor=actor_of("cishan"), today=DAY) == []
    with unit_of_work(engine) as s:
        referrals.complete(s, actor=actor_of("cishan"), referral_id=held, outcome="已发放", amount="",
                           delivered_on=DAY, today=DAY)
    assert referral(engine, held).status == "completed" and referral(engine, held).amount is None


# --- masking ---------------------------------------------------------------------------------------

def test_pool_items_are_masked_and_contact_is_for_the_claimer_only(engine, actor_of):
    hid, referral_id, number = pooled(engine, actor_of, name="张大山")
    a, b = actor_of("cishan"), actor_of("hongshizi")
    with Session(engine) as s:
        [item] = referral_views.partner_pool(s, actor=b, today=DAY)
    shown = json.dumps(item, ensure_ascii=False)
    for secret in ("张大山", number, PHONE, ADDRESS, "5组"):
        assert secret not in shown
    assert item["head_name"] == "张**" and item["village"] == "新民镇 凤凰村" and item["member_count"] == 1
    assert (item["kind_label"], item["urgency_label"], item["claim_due_on"]) == ("慈善救助", "一般", "2026-11-05")
    claim(engine, a, referral_id)
    with Session(engine) as s:
        [mine] = referral_views.partner_mine(s, actor=a, today=DAY)
        detail = referral_views.referral_detail(s, actor=a, referral_id=referral_id, today=DAY)
        staff = referral_views.referral_detail(s, actor=actor_of("xinmin"), referral_id=referral_id, today=DAY)
        assert referral_views.partner_mine(s, actor=b, today=DAY) == []
    assert (mine["head_name"], mine["phone"], mine["address"]) == ("张大山", PHONE, ADDRESS)
    assert number not in json.dumps(mine, ensure_ascii=False)  # the ID number is never needed to help
    assert detail["phone"] == PHONE and detail["events"][-1]["action_label"] == "认领"
    assert staff["phone"] != PHONE and staff["household_href"] == f"/households/{hid}"


def test_a_need_that_names_the_family_is_masked_in_the_pool(engine, actor_of):
    """Staff write needs in their own words; before a claim the pool shows neither the name
    nor a phone typed into the description."""
    hid, number = add_household(engine, actor_of("xinmin"), name="张大山")
    need = record(engine, actor_of("xinmin"), hid, description=f"张大山户房屋漏雨，联系其子 {PHONE}")
    dispatch(engine, actor_of("xinmin"), need)
    with Session(engine) as s:
        [item] = referral_views.partner_pool(s, actor=actor_of("cishan"), today=DAY)
    assert item["description"].startswith("张**户房屋漏雨")
    assert "张大山" not in item["description"] and PHONE not in item["description"]


def test_notifications_count_and_mark_read(engine, actor_of):
    _, referral_id, _ = pooled(engine, actor_of)
    a = actor_of("cishan")
    with Session(engine) as s:
        box = referral_views.notifications(s, actor=a, today=DAY)
        assert referral_views.notifications(s, actor=actor_of("xinmin"), today=DAY) == {"unread": 0, "items": []}
    assert box["unread"] == 1 and box["items"][0]["href"] == "/partner" and "慈善救助" in box["items"][0]["text"]
    with unit_of_work(engine) as s:
        assert referrals.mark_notifications_read(s, actor=a) == 1
    with Session(engine) as s:
        assert referral_views.notifications(s, actor=a, today=DAY)["unread"] == 0
        # the other charity's message is untouched
        assert referral_views.notifications(s, actor=actor_of("hongshizi"), today=DAY)["unread"] == 1
    claim(engine, a, referral_id)
    with Session(engine) as s:  # near the delivery deadline a reminder counts until the work is done
        box = referral_views.notifications(s, actor=a, today=date(2026, 11, 20))  # due Monday 11-23
    assert box["unread"] == 1 and box["items"][0]["kind"] == "deadline" and "还有 1 个工作日" in box["items"][0]["text"]


# --- 不重, 不漏, 就高不就低 --------------------------------------------------------------------------------

def test_a_second_referral_of_a_kind_in_a_month_needs_a_coordinators_reason(engine, actor_of):
    hid, _ = add_household(engine, actor_of("xinmin"))
    first = dispatch(engine, actor_of("xinmin"), record(engine, actor_of("xinmin"), hid, kind="temporary"))
    second_need = record(engine, actor_of("xinmin"), hid, kind="temporary", description="再次申请临时救助")
    with Session(engine) as s:
        options = referral_views.dispatch_options(s, actor=actor_of("xinmin"), need_id=second_need, today=DAY)
    assert options["needs_justification"] and not options["can_justify"]
    assert options["duplicates"] == [{"id": first, "status_label": "待认领", "period": "2026年11月"}]
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        referrals.dispatch(s, actor=actor_of("xinmin"), need_id=second_need, mode="pool", today=date(2026, 11, 30))
    assert "不重复转介" in err.value.message and f"编号 {first}" in err.value.message
    with pytest.raises(PermissionDenied, match="县级"), unit_of_work(engine) as s:
        referrals.dispatch(s, actor=actor_of("xinmin"), need_id=second_need, mode="pool", today=DAY,
                           justification="火灾后再次受灾")
    assert snapshot(engine) == before
    second = dispatch(engine, actor_of("minzheng"), second_need, justification="火灾后再次受灾")
    assert referral(engine, second).duplicate_justification == "火灾后再次受灾"
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "dispatch", AuditEntry.entity_id == str(second))).one()
    assert "火灾后再次受灾" in entry.note
    # next month is another period: no reason needed
    third = dispatch(engine, actor_of("xinmin"), record(engine, actor_of("xinmin"), hid, kind="temporary"),
                     today=date(2026, 12, 1))
    assert referral(engine, third).duplicate_justification == ""


def test_the_missed_list_shows_unanswered_needs_and_unclaimed_pool_items(engine, actor_of):
    xinmin = actor_of("xinmin")
    old_hid, _ = add_household(engine, xinmin, name="王老汉")
    old_need = record(engine, xinmin, old_hid, kind="medical", today=date(2026, 11, 2))
    new_hid, _ = add_household(engine, xinmin, name="刘新")
    record(engine, xinmin, new_hid, kind="medical", today=date(2026, 11, 8))
    _, late_referral, _ = pooled(engine, actor_of, today=date(2026, 11, 2), name="陈等")
    _, claimed_referral, _ = pooled(engine, actor_of, today=date(2026, 11, 2), name="赵好")
    claim(engine, actor_of("cishan"), claimed_referral, today=date(2026, 11, 3))
    today = date(2026, 11, 10)
    with Session(engine) as s:
        missed = referral_views.missed_needs(s, actor=xinmin, today=today)
        county = referral_views.missed_needs(s, actor=actor_of("minzheng"), today=today)
        elsewhere = referral_views.missed_needs(s, actor=actor_of("shaping"), today=today)
    assert [(m["kind"], m["head_name"]) for m in missed] == [("need", "王老汉"), ("referral", "陈等")]
    assert missed[0]["need_id"] == old_need and missed[0]["days"] == 8 and "8 天未响应" in missed[0]["reason"]
    assert missed[1]["referral_id"] == late_referral and missed[1]["days"] == 5  # claim due 11-05
    assert county == missed and elsewhere == []
    with Session(engine) as s:
        overdue = referral_views.referral_list(s, actor=xinmin, status="overdue", today=today)
        everything = referral_views.referral_list(s, actor=xinmin, today=today)
    assert [r["id"] for r in overdue] == [late_referral] and overdue[0]["claim_overdue"]
    assert {r["id"] for r in everything} == {late_referral, claimed_referral}


def test_dispatch_options_show_the_higher_benefit_first_and_the_choice_is_recorded(engine, actor_of):
    xinmin = actor_of("xinmin")
    hid, _ = add_household(engine, xinmin)
    charity = record(engine, xinmin, hid, kind="charity_aid")
    record(engine, xinmin, hid, kind="temporary", description="突发火灾")
    with Session(engine) as s:
        options = referral_views.dispatch_options(s, actor=xinmin, need_id=charity, today=DAY)
    assert [(o["kind_label"], o["source"]) for o in options["overlaps"]] == [("临时救助", "另有需求"), ("慈善救助", "本次需求")]
    assert options["suggested_kind"] == "temporary"
    assert options["suggested_note"] == "与临时救助重叠，按就高不就低应选临时救助，本次选择慈善救助"
    referral_id = dispatch(engine, xinmin, charity)  # no note given: the suggested one is recorded
    assert referral(engine, referral_id).higher_benefit_note == options["suggested_note"]
    with Session(engine) as s:
        medical = referral_views.dispatch_options(s, actor=xinmin, need_id=record(engine, xinmin, hid, kind="medical"),
                                                  today=DAY)
    assert medical["overlaps"] == [] and medical["suggested_note"] == ""


# --- the joint meeting and the organisation form -------------------------------------------------------

def test_the_township_meeting_agenda_lists_overdue_referrals(engine, actor_of):
    _, unclaimed, _ = pooled(engine, actor_of, name="陈等")
    _, late, _ = pooled(engine, actor_of, name="赵慢")
    claim(engine, actor_of("hongshizi"), late, today=DAY)  # delivery due 2026-11-23
    _, fresh, _ = pooled(engine, actor_of, today=date(2026, 11, 20), name="孙新")
    ids = orgs(engine)
    with unit_of_work(engine) as s:
        meeting_id = meetings.create_meeting(s, actor=actor_of("xinmin"), area_code=XINMIN, month=date(2026, 11, 1),
                                             planned_on=date(2026, 11, 27), place="新民镇政府三楼会议室", chair_name="王芳",
                                             unit_ids=[ids[CISHAN]], today=date(2026, 11, 25))
    with Session(engine) as s:
        items = s.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id, AgendaItem.kind == "referral")
                       .order_by(AgendaItem.position)).all()
    titles = [i.title for i in items]
    assert len(titles) == 2, titles
    assert titles[0].startswith("超期未认领：陈等户 慈善救助（新民镇 凤凰村，认领期限 2026-11-05")
    assert titles[1].startswith(f"超期未办结：赵慢户 慈善救助（{HONGSHIZI}承办，办结期限 2026-11-23，已超期 2 天")
    assert f"转介事项编号 {unclaimed}" in items[0].detail and all(str(fresh) not in i.detail for i in items)
    with unit_of_work(engine) as s:  # 沙坪镇's meeting does not hear 新民镇's referrals
        other = meetings.create_meeting(s, actor=actor_of("shaping"), area_code=SHAPING, month=date(2026, 11, 1),
                                        planned_on=date(2026, 11, 27), place="沙坪镇政府", chair_name="陈刚",
                                        unit_ids=[], today=date(2026, 11, 25))
    with Session(engine) as s:
        assert s.exec(select(AgendaItem).where(AgendaItem.meeting_id == other, AgendaItem.kind == "referral")).all() == []


def test_the_county_edits_what_a_partner_offers_and_where(engine, actor_of):
    county = actor_of("minzheng")
    charity = str(orgs(engine)[CISHAN])
    with Session(engine) as s:
        form = {f["name"]: f for f in resource_service.form_fields(s, actor=county, name="organisations", key=charity)}
    assert form["assistance_kinds"]["value"].split() == ["temporary", "education", "charity_aid"] or \
        set(form["assistance_kinds"]["value"].split()) == {"temporary", "education", "charity_aid"}
    assert {o["value"] for o in form["areas_served"]["options"]} >= {XINMIN, SHAPING}
    raw = {k: f["value"] for k, f in form.items()}
    with unit_of_work(engine) as s:  # saved untouched: the stored lists pass the form check
        resource_service.update(s, actor=county, name="organisations", key=charity, raw=raw)
    with unit_of_work(engine) as s:
        resource_service.update(s, actor=county, name="organisations", key=charity,
                                raw={**raw, "assistance_kinds": "education、medical", "areas_served": f"{SHAPING} {XINMIN}",
                                     "capacity": "20"})
    with Session(engine) as s:
        row = s.get(Organisation, int(charity))
        assert (row.assistance_kinds, row.areas_served, row.capacity) == (
            " medical education ", f" {XINMIN} {SHAPING} ", 20)
        shown = {f["name"]: f["value"] for f in resource_service.detail(s, actor=county, name="organisations",
                                                                          key=charity)["fields"]}
        listing = resource_service.list_page(s, actor=county, name="organisations",
                                             query=resource_service.ListQuery(filters={"assistance_kinds": "medical"}))
    assert shown["assistance_kinds"] == "医疗救助、教育救助" and shown["areas_served"] == "新民镇、沙坪镇"
    assert {r["name"] for r in listing.rows} == {CISHAN, YIBAO, HONGSHIZI}
    before = snapshot(engine)
    for bad in ({"assistance_kinds": "medical lottery"}, {"areas_served": FENGHUANG}, {"capacity": "-1"}):
        with pytest.raises(ValidationError), unit_of_work(engine) as s:
            resource_service.update(s, actor=county, name="organisations", key=charity, raw={**raw, **bad})
    assert snapshot(engine) == before


# --- two partners at the same moment (PostgreSQL) -----------------------------------------------------

@pytest.mark.parametrize("empty_db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_partners_claiming_at_once_exactly_one_wins(engine, actor_of):
    """Both charities click 认领 at the same moment on two connections: one claim wins, the
    other is told it was claimed, and the referral was claimed once."""
    _, referral_id, _ = pooled(engine, actor_of)
    partners = (actor_of("cishan"), actor_of("hongshizi"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click(actor):
        try:
            with unit_of_work(engine) as s:
                barrier.wait()
                referrals.claim(s, actor=actor, referral_id=referral_id, today=DAY)
            outcomes.append("won")
        except ValidationError as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=click, args=(p,)) for p in partners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["won", "该事项已被其他机构认领"], outcomes
    row = referral(engine, referral_id)
    assert row.status == "claimed" and row.version == 2
    with Session(engine) as s:
        claims = s.exec(select(func.count()).select_from(ReferralEvent).where(
            ReferralEvent.referral_id == referral_id, ReferralEvent.action == "claim")).one()
        audits = s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "claim")).one()
    assert claims == 1 and audits == 1
    winner = next(p for p in partners if p.org_id == row.organisation_id)
    with Session(engine) as s:
        assert [r["id"] for r in referral_views.partner_mine(s, actor=winner, today=DAY)] == [referral_id]


@pytest.mark.parametrize("empty_db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_claim_waiting_behind_an_uncommitted_claim_changes_nothing(engine, actor_of):
    """The conditional UPDATE itself decides: B reads the item as still pooled (A has not
    committed), its UPDATE waits for A's row lock, then finds the row claimed and matches nothing."""
    import time

    _, referral_id, _ = pooled(engine, actor_of)
    a, b = actor_of("cishan"), actor_of("hongshizi")
    started = threading.Event()
    outcome: list[str] = []

    def b_clicks():
        try:
            with unit_of_work(engine) as s:
                started.set()
                referrals.claim(s, actor=b, referral_id=referral_id, today=DAY)
            outcome.append("won")
        except ValidationError as exc:
            outcome.append(exc.message)

    with unit_of_work(engine) as s:
        referrals.claim(s, actor=a, referral_id=referral_id, today=DAY)
        other = threading.Thread(target=b_clicks)
        other.start()
        started.wait(5)
        time.sleep(0.5)
        assert outcome == []  # B is waiting on A's row lock, not refused by its first read
    other.join(timeout=30)
    assert outcome == ["该事项已被其他机构认领"]
    assert referral(engine, referral_id).organisation_id == orgs(engine)[CISHAN]
