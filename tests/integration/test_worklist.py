"""The work list (我的待办) and the county's overdue-by-township view: who sees which case,
marks counted in PRC working days (the National Day holiday is not working time), reviews
shown ahead of time, and the township counts."""

import itertools
from datetime import date, timedelta

import pytest
import reflex as rx
from sqlmodel import Session

from lowincome_portal.db.tables import Application, HouseholdTag
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.domain.errors import PermissionDenied
from lowincome_portal.pages.worklist import WorklistState, worklist_page
from lowincome_portal.services import auth, households, worklist
from tests.idnumbers import make_id
from tests.page_states import settle

FENGHUANG = "500231100200"   # 新民镇凤凰村
CHANGLING = "500231100201"   # 新民镇长岭村
HONGYAN = "500231101200"     # 沙坪镇红岩村
XINMIN_TOWN, SHAPING_TOWN = "500231100000", "500231101000"

# Tuesday before the 2026 National Day holiday (Sep 25 and Oct 1-7 are days off; Oct 8 works).
TODAY = date(2026, 9, 29)

_numbers = itertools.count(1)


def add_application(engine, *, track="assistance", state="investigation", area=FENGHUANG, due_on=None,
                    name="申请人", household_id=None, **flags) -> int:
    """An application row as the intake service would leave it at `state` (no history)."""
    n = next(_numbers)
    with unit_of_work(engine) as s:
        row = Application(tracking_no=f"SQ2026{n:06d}", track=track, channel="station", state=state,
                          state_entered_on=date(2026, 9, 1), due_on=due_on, area_code=area,
                          household_id=household_id, applicant_name=name,
                          applicant_id_number=make_id(seq=100 + n % 800), consent=True, **flags)
        s.add(row)
        s.flush()
        return row.id


def add_household(engine, actor, area=FENGHUANG, name="张三", seq=11) -> int:
    with unit_of_work(engine) as s:
        return households.create_household(
            s, actor=actor, household={"area_code": area, "address": "一组"},
            head={"id_number": make_id(birth=date(1970, 1, 1), seq=seq), "name": name})


def add_tag(engine, household_id, tag, review_due_on, end_date=None, subtype="") -> int:
    with unit_of_work(engine) as s:
        row = HouseholdTag(household_id=household_id, tag=tag, subtype=subtype, start_date=date(2025, 10, 1),
                           end_date=end_date, decision_ref="垫民发〔2025〕1号", review_due_on=review_due_on)
        s.add(row)
        s.flush()
        return row.id


def work(engine, actor, today=TODAY, **kw) -> worklist.WorkList:
    with Session(engine) as s:
        return worklist.my_work(s, actor=actor, today=today, **kw)


def keys(result) -> list[str]:
    return [i["key"] for i in result.items]


def test_order_and_marks_count_working_days_around_national_day(engine, actor_of):
    xinmin = actor_of("xinmin")
    late = add_application(engine, due_on=date(2026, 9, 24), name="甲")          # Sep 25 was a day off
    soon1 = add_application(engine, due_on=date(2026, 9, 30), name="乙", staff_relative=True,
                            staff_relative_note="村主任之弟", green_channel=True)
    soon2 = add_application(engine, due_on=date(2026, 10, 8), name="丙")         # 2 working days: 9-30, 10-8
    later = add_application(engine, due_on=date(2026, 10, 9), name="丁", due_estimated=True)
    undated = add_application(engine, due_on=None, name="戊")
    add_application(engine, state="assisting", due_on=date(2026, 9, 1))          # finished: not work

    result = work(engine, xinmin)
    assert keys(result) == [f"application-{i}" for i in (late, soon1, soon2, later, undated)]
    assert (result.total, result.overdue, result.due_soon, result.truncated) == (5, 1, 2, False)
    by_id = {i["id"]: i for i in result.items}
    assert (by_id[late]["mark"], by_id[late]["mark_text"], by_id[late]["working_days_left"]) == (
        "overdue", "已超期 2 个工作日", -2)
    assert (by_id[soon1]["mark"], by_id[soon1]["mark_text"], by_id[soon1]["working_days_left"]) == (
        "due_soon", "即将到期", 1)
    # Nine calendar days away, but only two working days: the holiday does not buy time.
    assert (by_id[soon2]["mark"], by_id[soon2]["working_days_left"]) == ("due_soon", 2)
    assert (by_id[later]["mark"], by_id[later]["working_days_left"]) == ("", 3)
    assert by_id[later]["estimated_text"] == "（估算）" and by_id[soon2]["estimated_text"] == ""
    assert by_id[undated]["due_on"] == "" and by_id[undated]["mark"] == ""
    first = by_id[soon1]
    assert first["staff_relative"] and first["green_channel"] and first["staff_relative_note"] == "村主任之弟"
    assert not by_id[late]["staff_relative"] and not by_id[late]["green_channel"]
    assert (first["kind"], first["track"], first["step"], first["place"], first["href"]) == (
        "application", "救助申请", "入户调查", "新民镇 凤凰村", f"/applications/{soon1}")
    assert first["tracking_no"].startswith("SQ2026") and first["due_on"] == "2026-09-30"

    # After the holiday: 9-24's deadline is four working days late (9-28, 9-29, 9-30, 10-8), not fourteen.
    after = {i["id"]: i for i in work(engine, xinmin, today=date(2026, 10, 8)).items}
    assert after[late]["mark_text"] == "已超期 4 个工作日"
    assert after[soon1]["mark_text"] == "已超期 1 个工作日"
    assert after[soon2]["mark"] == "due_soon" and after[soon2]["working_days_left"] == 0
    # During the holiday a passed deadline is overdue, though no working day has gone by.
    during = {i["id"]: i for i in work(engine, xinmin, today=date(2026, 10, 5)).items}
    assert (during[soon1]["mark"], during[soon1]["mark_text"]) == ("overdue", "已超期")
    assert during[soon2]["mark"] == "due_soon"


def test_limit_keeps_the_earliest_and_counts_all(engine, actor_of):
    ids = [add_application(engine, due_on=date(2026, 9, 20) + timedelta(days=d)) for d in (5, 1, 3, 20)]
    result = work(engine, actor_of("xinmin"), limit=2)
    assert keys(result) == [f"application-{ids[1]}", f"application-{ids[2]}"]
    assert (result.total, result.truncated) == (4, True)


def test_township_staff_see_only_their_township(engine, actor_of):
    mine = add_application(engine, area=CHANGLING, due_on=date(2026, 10, 20))
    theirs = add_application(engine, area=HONGYAN, due_on=date(2026, 10, 20))
    assert keys(work(engine, actor_of("xinmin"))) == [f"application-{mine}"]
    assert keys(work(engine, actor_of("shaping"))) == [f"application-{theirs}"]
    assert set(keys(work(engine, actor_of("minzheng")))) == {f"application-{mine}", f"application-{theirs}"}


def test_village_staff_see_only_steps_with_village_work_in_their_village(engine, actor_of):
    due = date(2026, 10, 20)
    investigation = add_application(engine, state="investigation", due_on=due)
    lead = add_application(engine, track="monitoring", state="lead", due_on=due)
    appraisal = add_application(engine, track="monitoring", state="appraisal", due_on=due)
    for state in ("submitted", "data_check", "preliminary_review", "notice", "county_review"):
        add_application(engine, state=state, due_on=due)
    add_application(engine, track="monitoring", state="township_review", due_on=due)
    add_application(engine, track="monitoring", state="county_decision", due_on=due)
    add_application(engine, state="investigation", area=CHANGLING, due_on=due)   # the next village
    assert set(keys(work(engine, actor_of("fenghuang")))) == {
        f"application-{i}" for i in (investigation, lead, appraisal)}
    # The township sees every step but the county's own decisions.
    assert work(engine, actor_of("xinmin")).total == 11 - 2


def test_county_civil_affairs_get_assistance_steps_and_agriculture_monitoring(engine, actor_of):
    due = date(2026, 10, 20)
    county_review = add_application(engine, state="county_review", due_on=due)
    submitted = add_application(engine, state="submitted", area=HONGYAN, due_on=due)
    township_review = add_application(engine, track="monitoring", state="township_review", due_on=due)
    decision = add_application(engine, track="monitoring", state="county_decision", due_on=due)
    add_application(engine, track="monitoring", state="included")
    assert set(keys(work(engine, actor_of("minzheng")))) == {
        f"application-{county_review}", f"application-{submitted}"}
    assert set(keys(work(engine, actor_of("nongye")))) == {
        f"application-{township_review}", f"application-{decision}"}


def test_reviews_appear_ahead_of_time_and_not_too_early(engine, actor_of):
    xinmin = actor_of("xinmin")
    first = add_household(engine, xinmin, name="李大", seq=11)
    second = add_household(engine, xinmin, name="王二", seq=13)
    elsewhere = add_household(engine, actor_of("shaping"), area=HONGYAN, name="陈三", seq=15)
    lead = 30  # review_lead_days default, calendar days
    dibao = add_tag(engine, first, "dibao", TODAY + timedelta(days=lead))
    add_tag(engine, second, "tekun", TODAY + timedelta(days=lead + 1))               # too early yet
    rigid = add_tag(engine, second, "rigid_hardship", TODAY - timedelta(days=3))    # lapsed already
    add_tag(engine, first, "dibao_edge", TODAY, end_date=date(2026, 6, 30))          # ended: nothing to do
    monitoring = add_tag(engine, first, "monitoring", date(2026, 10, 8), subtype="edge")
    other = add_tag(engine, elsewhere, "dibao", TODAY)                               # another township

    result = work(engine, xinmin)
    assert keys(result) == [f"review-{rigid}", f"review-{monitoring}", f"review-{dibao}"]
    items = {i["id"]: i for i in result.items}
    assert items[rigid]["mark"] == "overdue"
    assert items[rigid]["text"] == f"刚性支出困难认定将于 {(TODAY - timedelta(days=3)).isoformat()} 到期，需续期或终止"
    assert (items[monitoring]["mark"], items[dibao]["mark"]) == ("due_soon", "")
    assert (items[dibao]["kind"], items[dibao]["name"], items[dibao]["tag_label"], items[dibao]["href"]) == (
        "review", "李大", "低保", f"/households/{first}")
    assert items[dibao]["place"] == "新民镇 凤凰村"
    assert (result.total, result.overdue, result.due_soon) == (3, 1, 1)

    # County civil affairs: its categories in every township, not the monitoring objects.
    assert keys(work(engine, actor_of("minzheng"))) == [f"review-{rigid}", f"review-{other}", f"review-{dibao}"]
    assert keys(work(engine, actor_of("shaping"))) == [f"review-{other}"]
    assert keys(work(engine, actor_of("nongye"))) == [f"review-{monitoring}"]
    assert keys(work(engine, actor_of("fenghuang"))) == []
    # A review and a case due the same day: both listed, in due order.
    case = add_application(engine, due_on=TODAY - timedelta(days=10))
    assert keys(work(engine, xinmin))[:2] == [f"application-{case}", f"review-{rigid}"]


@pytest.mark.parametrize("username", ["cishan", "lingdao", "admin"])
def test_partner_leader_and_admin_have_no_work_list(engine, actor_of, username):
    with Session(engine) as s, pytest.raises(PermissionDenied):
        worklist.my_work(s, actor=actor_of(username), today=TODAY)


def test_overdue_by_township_counts_with_grouped_sql(engine, actor_of):
    add_application(engine, due_on=date(2026, 9, 24))                          # overdue 2 working days
    add_application(engine, area=CHANGLING, due_on=date(2026, 9, 28))          # overdue 1
    add_application(engine, due_on=date(2026, 10, 8))                          # due soon
    add_application(engine, track="monitoring", state="lead", due_on=date(2026, 12, 1))
    add_application(engine, state="assisting", due_on=date(2026, 9, 1))        # finished: not counted
    add_application(engine, area=HONGYAN, due_on=date(2026, 9, 30))            # due soon
    add_application(engine, area=HONGYAN, state="county_review", due_on=None)  # open, no clock

    with Session(engine) as s:
        rows = worklist.overdue_by_township(s, actor=actor_of("minzheng"), today=TODAY)
        assistance = worklist.overdue_by_township(s, actor=actor_of("lingdao"), today=TODAY, track="assistance")
    assert rows[0] == {"code": XINMIN_TOWN, "township": "新民镇", "open": 4, "due_soon": 1, "overdue": 2,
                       "longest_overdue_days": 2, "longest_overdue_text": "2 个工作日"}
    shaping = next(r for r in rows if r["code"] == SHAPING_TOWN)
    assert (shaping["open"], shaping["due_soon"], shaping["overdue"], shaping["longest_overdue_text"]) == (2, 1, 0, "")
    assert rows[1] == shaping  # no overdue, but work due soon: ahead of the quiet townships
    assert {r["code"] for r in rows} >= {XINMIN_TOWN, SHAPING_TOWN, "500231102000"}
    assert all(r["open"] == 0 for r in rows if r["code"] not in (XINMIN_TOWN, SHAPING_TOWN))
    assert next(r for r in assistance if r["code"] == XINMIN_TOWN)["open"] == 3
    for username in ("xinmin", "fenghuang", "cishan"):
        with Session(engine) as s, pytest.raises(PermissionDenied):
            worklist.overdue_by_township(s, actor=actor_of(username), today=TODAY)


def _state_for(engine, username) -> WorklistState:
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(WorklistState.get_full_name().split("."))
    with unit_of_work(engine) as s:
        state.token = auth.login(s, username, DEMO_PASSWORD).token
    return state


def test_page_state_hands_plain_rows_and_the_township_table_to_county_roles(engine, actor_of):
    add_application(engine, due_on=date(2026, 9, 24), staff_relative=True)
    township = _state_for(engine, "xinmin")
    settle(WorklistState.on_enter.fn(township))
    assert township.page_access == "ok" and township.total == 1 and len(township.items) == 1
    assert township.items[0]["staff_relative"] and township.items[0]["href"].startswith("/applications/")
    assert not township.show_townships and township.townships == []
    county = _state_for(engine, "minzheng")
    settle(WorklistState.on_enter.fn(county))
    assert county.show_townships and any(r["code"] == XINMIN_TOWN for r in county.townships)
    partner = _state_for(engine, "cishan")
    settle(WorklistState.on_enter.fn(partner))
    assert partner.page_access == "denied" and partner.items == []
    settle(WorklistState.refresh.fn(partner))
    assert partner.error == "您没有执行此操作的权限"
    assert worklist_page() is not None
