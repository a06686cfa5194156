"""The household registry services: checked, scoped, audited, all-or-nothing, and the
household's denormalised columns always agree with its rows."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, col, func, select

from lowincome_portal.db.tables import (
    AuditEntry,
    EconomicStatus,
    Household,
    HouseholdTag,
    Member,
    PolicyParameter,
    Visit,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.households import HOUSEHOLDS, seed_demo_households
from lowincome_portal.domain.errors import PermissionDenied, ValidationError
from lowincome_portal.services import household_records as records
from lowincome_portal.services import households
from lowincome_portal.services.household_view import household_overview
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id, with_bad_checksum

FENGHUANG = "500231100200"   # 新民镇凤凰村
CHANGLING = "500231100201"   # 新民镇长岭村
HONGYAN = "500231101200"     # 沙坪镇红岩村
TODAY = today_in_china()

HEAD = make_id(birth=date(1998, 3, 12), seq=11)      # 张三, man
SPOUSE = make_id(birth=date(1999, 7, 21), seq=22)    # 李梅, woman
CHILD = make_id(birth=date(2019, 9, 1), seq=31)      # 张小宝, boy
OTHER = make_id(birth=date(2000, 5, 6), seq=42)      # 王芬, woman
ELDER = make_id(birth=date(1950, 2, 3), seq=71)      # 王老, man

PHONE = "13812345678"
ACCOUNT = "6228480000000012345"


def snapshot(engine):
    """Every registry row and the audit count, to show that a refusal changed nothing."""
    with Session(engine) as s:
        return (
            [tuple(h.model_dump(exclude={"created_at", "updated_at"}).values())
             for h in s.exec(select(Household).order_by(Household.id)).all()],
            [tuple(m.model_dump(exclude={"created_at"}).values())
             for m in s.exec(select(Member).order_by(Member.id)).all()],
            [tuple(t.model_dump(exclude={"created_at"}).values())
             for t in s.exec(select(HouseholdTag).order_by(HouseholdTag.id)).all()],
            s.exec(select(func.count()).select_from(EconomicStatus)).one(),
            s.exec(select(func.count()).select_from(Visit)).one(),
            s.exec(select(func.count()).select_from(AuditEntry)).one(),
        )


def create(engine, actor, area=FENGHUANG, head_id=HEAD, name="张三", **household) -> int:
    with unit_of_work(engine) as s:
        return households.create_household(
            s, actor=actor, household={"area_code": area, "address": "凤凰村3组12号", "phone": PHONE,
                                       "bank_name": "重庆农村商业银行", "bank_account": ACCOUNT, **household},
            head={"id_number": head_id, "name": name, "employment": "farming"})


def add(engine, actor, household_id, id_number, name, relation, **facts) -> int:
    with unit_of_work(engine) as s:
        return households.add_member(s, actor=actor, household_id=household_id,
                                     member={"id_number": id_number, "name": name, "relation": relation, **facts})


def household(engine, household_id) -> Household:
    with Session(engine) as s:
        return s.get(Household, household_id)


@pytest.fixture
def family(engine, actor_of):
    """张三's household in 凤凰村 with his wife and son, entered by 新民镇 staff."""
    xinmin = actor_of("xinmin")
    hid = create(engine, xinmin)
    spouse = add(engine, xinmin, hid, SPOUSE, "李梅", "spouse")
    child = add(engine, xinmin, hid, CHILD, "张小宝", "child", schooling="preschool")
    with Session(engine) as s:
        head = s.exec(select(Member.id).where(Member.id_number == HEAD)).one()
    return {"id": hid, "head": head, "spouse": spouse, "child": child}


# --- registering and the denormalised columns -------------------------------------------

def test_create_household_with_members_keeps_the_summary_columns(engine, actor_of, family):
    h = household(engine, family["id"])
    assert (h.head_name, h.head_id_number, h.member_count, h.current_tags) == ("张三", HEAD, 3, "")
    assert (h.area_code, h.phone, h.bank_account, h.status) == (FENGHUANG, PHONE, ACCOUNT, "active")
    with Session(engine) as s:
        child = s.get(Member, family["child"])
        assert (child.sex, child.birth_date, child.labour_capacity, child.in_school) == \
            ("male", date(2019, 9, 1), "none", True)
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity.in_(["household", "member"]),
                                                  AuditEntry.username == "xinmin")).all()
    assert sorted((e.entity, e.action) for e in entries) == \
        [("household", "create")] + [("member", "create")] * 3
    assert all(HEAD not in e.new_values and PHONE not in e.new_values for e in entries)


def test_removing_members_and_changing_the_head_keep_the_summary_right(engine, actor_of, family):
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        households.remove_member(s, actor=xinmin, member_id=family["child"], left_on=TODAY, reason="随母迁出")
    assert household(engine, family["id"]).member_count == 2

    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        households.remove_member(s, actor=xinmin, member_id=family["head"], left_on=TODAY, reason="去世")
    assert "指定新户主" in err.value.message

    with unit_of_work(engine) as s:
        households.change_head(s, actor=xinmin, household_id=family["id"], new_head_id=family["spouse"],
                               old_head_relation="spouse")
    h = household(engine, family["id"])
    assert (h.head_name, h.head_id_number, h.member_count) == ("李梅", SPOUSE, 2)

    with unit_of_work(engine) as s:
        households.remove_member(s, actor=xinmin, member_id=family["spouse"], left_on=TODAY, reason="去世",
                                 new_head_id=family["head"])
    h = household(engine, family["id"])
    assert (h.head_name, h.head_id_number, h.member_count) == ("张三", HEAD, 1)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        households.remove_member(s, actor=xinmin, member_id=family["head"], left_on=TODAY, reason="迁出")
    assert "唯一" in err.value.message
    with Session(engine) as s:
        left = s.get(Member, family["spouse"])
    assert (left.active, left.left_on, left.left_reason, left.relation) == (False, TODAY, "去世", "head")


def test_correcting_the_head_updates_the_summary(engine, actor_of, family):
    with unit_of_work(engine) as s:
        households.update_member(s, actor=actor_of("xinmin"), member_id=family["head"],
                                 changes={"name": "张叁", "health": "chronic"})
    assert household(engine, family["id"]).head_name == "张叁"
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "member", AuditEntry.action == "update")).one()
    assert json.loads(entry.old_values) == {"name": "张三", "health": "healthy"}


def test_a_removed_member_can_join_another_household(engine, actor_of, family):
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        households.remove_member(s, actor=xinmin, member_id=family["child"], left_on=TODAY, reason="随母迁出")
    other = create(engine, xinmin, area=CHANGLING, head_id=OTHER, name="王芬")
    add(engine, xinmin, other, CHILD, "张小宝", "child")
    assert household(engine, other).member_count == 2


# --- refusals change nothing ------------------------------------------------------------

def test_a_person_already_registered_is_refused_naming_the_household(engine, actor_of, family):
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err:
        create(engine, actor_of("xinmin"), area=CHANGLING, head_id=SPOUSE, name="李梅")
    assert err.value.message == (f"身份证号 {SPOUSE[:6]}…{SPOUSE[-4:]} 已是 新民镇凤凰村 张三 家庭的在册成员，"
                                 "一人只能在一个家庭中")
    with pytest.raises(ValidationError) as err:
        add(engine, actor_of("xinmin"), family["id"], CHILD, "张小宝", "child")
    assert "新民镇凤凰村 张三 家庭" in err.value.message
    # Outside the user's area: where, but not whose.
    with pytest.raises(ValidationError) as err:
        create(engine, actor_of("shaping"), area=HONGYAN, head_id=HEAD, name="张三")
    assert "新民镇凤凰村" in err.value.message and "张三" not in err.value.message
    assert snapshot(engine) == before


def test_the_unique_index_catches_a_race_with_the_same_message(engine, actor_of, family, monkeypatch):
    """Someone registers the person between our check and our insert: the index refuses."""
    monkeypatch.setattr(households, "_refuse_duplicate", lambda *a, **k: None)
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err:
        create(engine, actor_of("xinmin"), area=CHANGLING, head_id=CHILD, name="张小宝")
    assert "已是 新民镇凤凰村 张三 家庭的在册成员，一人只能在一个家庭中" in err.value.message
    assert snapshot(engine) == before


@pytest.mark.parametrize("member, message", [
    ({"id_number": with_bad_checksum(OTHER)}, "校验码错误"),
    ({"id_number": make_id(birth=TODAY + timedelta(days=3), seq=42)}, "晚于今天"),
    ({"id_number": OTHER, "sex": "男"}, "性别“男”与身份证号不符"),
    ({"id_number": OTHER, "birth_date": "2000-05-07"}, "出生日期 2000-05-07 与身份证号不符"),
    ({"id_number": OTHER, "relation": "head"}, "变更户主"),
    ({"id_number": OTHER, "name": ""}, "姓名不能为空"),
])
def test_bad_member_facts_are_refused_and_change_nothing(engine, actor_of, family, member, message):
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        households.add_member(s, actor=actor_of("xinmin"), household_id=family["id"],
                              member={"name": "王芬", "relation": "other", **member})
    assert message in err.value.message
    assert snapshot(engine) == before


@pytest.mark.parametrize("household_values, message", [
    ({"area_code": "500231100000"}, "村（社区）一级"),
    ({"area_code": "500231100999"}, "不存在"),
    ({"phone": "12ab"}, "联系电话"),
    ({"bank_account": "123"}, "银行账号"),
])
def test_bad_household_facts_are_refused(engine, actor_of, household_values, message):
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err:
        create(engine, actor_of("xinmin"), **household_values)
    assert message in err.value.message
    assert snapshot(engine) == before


def test_negative_amounts_and_future_dates_are_refused(engine, actor_of, family):
    xinmin = actor_of("xinmin")
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        records.record_economic_status(s, actor=xinmin, household_id=family["id"],
                                       values={"wage_income": "-100"}, recorded_on=TODAY)
    assert err.value.message == "工资性收入不能为负数"
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        records.record_visit(s, actor=xinmin, household_id=family["id"], visited_on=TODAY + timedelta(days=1),
                             findings="入户")
    assert "不能晚于" in err.value.message
    assert snapshot(engine) == before


# --- who may do what, where --------------------------------------------------------------

def test_another_townships_staff_are_refused_and_nothing_changes(engine, actor_of, family):
    shaping = actor_of("shaping")
    hid = family["id"]
    calls = [
        lambda s: households.create_household(s, actor=shaping, household={"area_code": FENGHUANG},
                                              head={"id_number": OTHER, "name": "王芬"}),
        lambda s: households.update_household(s, actor=shaping, household_id=hid, changes={"address": "x"}),
        lambda s: households.add_member(s, actor=shaping, household_id=hid,
                                        member={"id_number": OTHER, "name": "王芬", "relation": "other"}),
        lambda s: households.update_member(s, actor=shaping, member_id=family["child"], changes={"name": "x"}),
        lambda s: households.remove_member(s, actor=shaping, member_id=family["child"], left_on=TODAY,
                                           reason="x"),
        lambda s: records.record_economic_status(s, actor=shaping, household_id=hid, values={},
                                                 recorded_on=TODAY),
        lambda s: records.record_visit(s, actor=shaping, household_id=hid, visited_on=TODAY, findings="x"),
        lambda s: households.reveal(s, actor=shaping, entity="household", record_id=hid, field="phone"),
        lambda s: household_overview(s, actor=shaping, household_id=hid),
    ]
    before = snapshot(engine)
    for call in calls:
        with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
            call(s)
    assert snapshot(engine) == before


def test_village_staff_edit_their_own_village_only(engine, actor_of, family):
    fenghuang = actor_of("fenghuang")
    with unit_of_work(engine) as s:
        households.update_household(s, actor=fenghuang, household_id=family["id"],
                                    changes={"address": "凤凰村3组13号", "phone": "13900001111"})
    h = household(engine, family["id"])
    assert (h.address, h.phone) == ("凤凰村3组13号", "13900001111")
    elsewhere = create(engine, actor_of("xinmin"), area=CHANGLING, head_id=OTHER, name="王芬")
    before = snapshot(engine)
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        households.update_household(s, actor=fenghuang, household_id=elsewhere, changes={"address": "x"})
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        households.update_household(s, actor=fenghuang, household_id=family["id"],
                                    changes={"area_code": CHANGLING})
    with pytest.raises(PermissionDenied):
        create(engine, fenghuang, area=CHANGLING, head_id=ELDER, name="王老")
    assert snapshot(engine) == before
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "household",
                                                AuditEntry.action == "update")).one()
    assert "13900001111" not in entry.new_values and "1111" in entry.new_values


@pytest.mark.parametrize("username", ["lingdao", "cishan", "admin"])
def test_leaders_partners_and_admins_cannot_see_households(engine, actor_of, family, username):
    with pytest.raises(PermissionDenied), Session(engine) as s:
        household_overview(s, actor=actor_of(username), household_id=family["id"])


def test_cancelling_needs_a_reason_no_open_tag_and_frees_the_members(engine, actor_of, family):
    xinmin, minzheng = actor_of("xinmin"), actor_of("minzheng")
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        households.update_household(s, actor=xinmin, household_id=family["id"], changes={"status": "cancelled"})
    assert "注销原因" in err.value.message
    with unit_of_work(engine) as s:
        tag = records.add_tag(s, actor=minzheng, household_id=family["id"], tag="dibao", start_date=TODAY,
                              decision_ref="垫民发〔2026〕1号")
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        households.update_household(s, actor=xinmin, household_id=family["id"],
                                    changes={"status": "cancelled", "reason": "全家迁往城区"})
    assert "低保" in err.value.message
    with unit_of_work(engine) as s:
        records.end_tag(s, actor=minzheng, tag_id=tag, end_date=TODAY, reason="迁出")
        households.update_household(s, actor=xinmin, household_id=family["id"],
                                    changes={"status": "cancelled", "reason": "全家迁往城区"})
    h = household(engine, family["id"])
    assert (h.status, h.member_count, h.head_name) == ("cancelled", 0, "张三")
    with pytest.raises(ValidationError), unit_of_work(engine) as s:
        households.add_member(s, actor=xinmin, household_id=family["id"],
                              member={"id_number": OTHER, "name": "王芬", "relation": "other"})
    create(engine, xinmin, area=CHANGLING, head_id=HEAD, name="张三")  # registered again elsewhere


# --- tags -----------------------------------------------------------------------------------

def test_tag_periods_are_history_never_overwritten(engine, actor_of, family):
    minzheng, hid = actor_of("minzheng"), family["id"]
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        records.add_tag(s, actor=actor_of("xinmin"), household_id=hid, tag="dibao", start_date=TODAY,
                        decision_ref="x")
    start = TODAY - timedelta(days=300)
    with unit_of_work(engine) as s:
        first = records.add_tag(s, actor=minzheng, household_id=hid, tag="dibao", start_date=start,
                                decision_ref="垫民发〔2026〕1号", basis="人均收入低于标准")
    assert household(engine, hid).current_tags == " dibao "
    with Session(engine) as s:
        assert s.exec(select(Household.id).where(col(Household.current_tags).like("% dibao %"))).all() == [hid]
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        records.add_tag(s, actor=minzheng, household_id=hid, tag="dibao", start_date=TODAY, decision_ref="y")
    assert "未结束的低保标识" in err.value.message
    with unit_of_work(engine) as s:
        records.end_tag(s, actor=minzheng, tag_id=first, end_date=TODAY - timedelta(days=30), reason="收入增加")
    assert household(engine, hid).current_tags == ""
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        records.end_tag(s, actor=minzheng, tag_id=first, end_date=TODAY, reason="again")
    assert "不能重复结束" in err.value.message
    with unit_of_work(engine) as s:
        second = records.add_tag(s, actor=minzheng, household_id=hid, tag="dibao", start_date=TODAY,
                                 decision_ref="垫民发〔2026〕9号")
    with Session(engine) as s:
        rows = s.exec(select(HouseholdTag).where(HouseholdTag.household_id == hid)
                      .order_by(HouseholdTag.id)).all()
    assert [(r.id, r.start_date, r.end_date, r.decision_ref) for r in rows] == [
        (first, start, TODAY - timedelta(days=30), "垫民发〔2026〕1号"), (second, TODAY, None, "垫民发〔2026〕9号")]
    assert household(engine, hid).current_tags == " dibao "


def test_tekun_and_dibao_exclude_each_other(engine, actor_of, family):
    minzheng, hid = actor_of("minzheng"), family["id"]
    with unit_of_work(engine) as s:
        tekun = records.add_tag(s, actor=minzheng, household_id=hid, tag="tekun", start_date=TODAY,
                                decision_ref="垫民发〔2026〕2号")
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        records.add_tag(s, actor=minzheng, household_id=hid, tag="dibao", start_date=TODAY, decision_ref="x")
    assert err.value.message.startswith("该户正在享受特困供养")
    assert "特困与低保不能同时享受" in err.value.message
    assert snapshot(engine) == before
    with unit_of_work(engine) as s:
        records.end_tag(s, actor=minzheng, tag_id=tekun, end_date=TODAY, reason="改为低保")
        records.add_tag(s, actor=minzheng, household_id=hid, tag="dibao", start_date=TODAY, decision_ref="y")
        records.add_tag(s, actor=actor_of("nongye"), household_id=hid, tag="monitoring", start_date=TODAY,
                        decision_ref="z", subtype="edge")
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        records.add_tag(s, actor=minzheng, household_id=hid, tag="tekun", start_date=TODAY, decision_ref="x")
    assert "低保与特困不能同时享受" in err.value.message
    assert household(engine, hid).current_tags == " dibao monitoring "


# --- visits -----------------------------------------------------------------------------

def test_recent_visit_warning_follows_the_dated_parameter(engine, actor_of, family):
    hid = family["id"]
    visited = TODAY - timedelta(days=20)
    with unit_of_work(engine) as s:
        records.record_visit(s, actor=actor_of("fenghuang"), household_id=hid, visited_on=visited,
                             findings="家中三人，生活正常", purpose="日常走访", changed_fields=["phone"])
    with Session(engine) as s:
        warning = records.recent_visit_warning(s, hid, TODAY)
        assert warning is not None and "赵丽" in warning and f"{visited.month}月{visited.day}日" in warning
        assert "如非必要请勿重复入户" in warning
        assert records.recent_visit_warning(s, hid, visited + timedelta(days=30)) is not None
        assert records.recent_visit_warning(s, hid, visited + timedelta(days=31)) is None
        s.add(PolicyParameter(code="visit_recent_days", value=Decimal(45),
                              effective_from=visited + timedelta(days=40), note="test"))
        s.commit()
        assert records.recent_visit_warning(s, hid, visited + timedelta(days=39)) is None   # still 30 days
        assert records.recent_visit_warning(s, hid, visited + timedelta(days=45)) is not None
        assert records.recent_visit_warning(s, hid, visited + timedelta(days=46)) is None


# --- reveal and the overview ----------------------------------------------------------------

def test_reveal_is_audited_without_the_value_and_village_staff_cannot(engine, actor_of, family):
    with unit_of_work(engine) as s:
        whole = households.reveal(s, actor=actor_of("xinmin"), entity="member", record_id=family["spouse"],
                                  field="id_number")
        phone = households.reveal(s, actor=actor_of("xinmin"), entity="household", record_id=family["id"],
                                  field="phone")
    assert (whole, phone) == (SPOUSE, PHONE)
    with Session(engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.action == "reveal").order_by(AuditEntry.id)).all()
    assert [(e.entity, e.entity_id, e.username) for e in entries] == [
        ("member", str(family["spouse"]), "xinmin"), ("household", str(family["id"]), "xinmin")]
    assert all(SPOUSE not in e.new_values + e.note and PHONE not in e.new_values + e.note for e in entries)
    assert "id_number" in entries[0].new_values
    before = snapshot(engine)
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        households.reveal(s, actor=actor_of("fenghuang"), entity="member", record_id=family["spouse"],
                          field="id_number")
    assert snapshot(engine) == before


def test_overview_masks_numbers_and_orders_the_timeline(engine, actor_of, family):
    xinmin, hid = actor_of("xinmin"), family["id"]
    with unit_of_work(engine) as s:
        records.add_tag(s, actor=actor_of("minzheng"), household_id=hid, tag="dibao",
                        start_date=TODAY - timedelta(days=10), decision_ref="垫民发〔2026〕5号")
        records.record_economic_status(s, actor=xinmin, household_id=hid, recorded_on=TODAY - timedelta(days=40),
                                       values={"wage_income": "20000"})
        records.record_economic_status(s, actor=xinmin, household_id=hid, recorded_on=TODAY - timedelta(days=5),
                                       values={"wage_income": "30000", "employment_costs": "3000",
                                               "transfer_income": "9000", "medical_expense": "1000.5"},
                                       source="visit")
        records.record_visit(s, actor=actor_of("fenghuang"), household_id=hid,
                             visited_on=TODAY - timedelta(days=3), findings="核实收入", purpose="入户调查")
        households.reveal(s, actor=xinmin, entity="member", record_id=family["head"], field="id_number")
    with Session(engine) as s:
        view = household_overview(s, actor=xinmin, household_id=hid)
    text = json.dumps(view, ensure_ascii=False)
    for secret in (HEAD, SPOUSE, CHILD, PHONE, ACCOUNT):
        assert secret not in text
    h = view["household"]
    assert h["area_path"] == "垫江县 / 新民镇 / 凤凰村" and h["place"] == "新民镇凤凰村"
    assert h["phone"] == "138****5678" and h["bank_account"].endswith("2345")
    assert h["head_id_number"] == HEAD[:6] + "********" + HEAD[-4:] and h["tags_label"] == "低保"
    assert [m["name"] for m in view["members"]] == ["张三", "李梅", "张小宝"]
    assert view["members"][2]["relation"] == "子女" and view["members"][2]["sex"] == "男"
    assert view["members"][0]["id_number"] == HEAD[:6] + "********" + HEAD[-4:]
    economic = view["economic"]
    # (30000 - 3000) + 9000 = 36000; / 12 / 3 members = 1000.00
    assert (economic["total_income"], economic["per_capita_monthly_income"]) == ("36000.00", "1000.00")
    assert (economic["medical_expense"], economic["source"]) == ("1000.50", "入户调查")
    assert economic["who"] == "王芳（新民镇）"
    assert [e["total_income"] for e in view["economic_history"]] == ["36000.00", "20000.00"]
    assert view["tags"]["current"][0]["end"] == "至今" and view["tags"]["past"] == []
    assert view["last_visit"]["who"] == "赵丽（新民镇凤凰村）"
    assert view["permissions"] == {"edit": True, "reveal": True, "tags": False, "visit": True, "hard_case": True}

    kinds = [item["kind"] for item in view["timeline"]]
    # today's entries (reveal, members, household) first, then the dated events, newest first
    assert kinds[0] == "查看完整信息"
    assert kinds[-4:] == ["走访", "经济状况", "纳入标识", "经济状况"]
    assert kinds.count("新增家庭成员") == 3 and kinds.count("新增家庭") == 1
    assert "新增走访" not in kinds  # the visit shows once, as a visit
    days = [item["at"][:10] for item in view["timeline"]]
    assert days == sorted(days, reverse=True)
    assert view["timeline"][0]["who"] == "王芳（新民镇）"


def test_a_recorded_visit_lands_where_reading_the_household_again_puts_it(engine, actor_of, family):
    """The household page adds a new visit in place instead of reading the household again:
    the result must be what the full read shows - after visits today, back-dated, on the day of
    other events and older than all five recent ones."""
    from lowincome_portal.services.household_view import recorded_visit, with_recorded_visit

    xinmin, fenghuang, hid = actor_of("xinmin"), actor_of("fenghuang"), family["id"]
    with unit_of_work(engine) as s:
        records.record_economic_status(s, actor=xinmin, household_id=hid, recorded_on=TODAY - timedelta(days=5),
                                       values={"wage_income": "20000"})
        records.add_tag(s, actor=actor_of("minzheng"), household_id=hid, tag="dibao",
                        start_date=TODAY - timedelta(days=30), decision_ref="垫民发〔2026〕5号")
        for days in (1, 2, 3, 4, 6):
            records.record_visit(s, actor=fenghuang, household_id=hid, visited_on=TODAY - timedelta(days=days),
                                 findings=f"{days} 天前")
    with Session(engine) as s:
        page = household_overview(s, actor=xinmin, household_id=hid)
    for days, purpose in ((0, "今天"), (5, "与经济状况同日"), (30, "与纳入同日"), (400, "一年多以前"), (0, "今天第二次")):
        with unit_of_work(engine) as s:
            visit_id = records.record_visit(s, actor=fenghuang, household_id=hid, purpose=purpose,
                                            visited_on=TODAY - timedelta(days=days), findings="入户")
            added = recorded_visit(s, actor=xinmin, visit_id=visit_id)
        visits, timeline = with_recorded_visit(page["visits"], page["timeline"], added)
        with Session(engine) as s:
            page = household_overview(s, actor=xinmin, household_id=hid)
        assert (visits, timeline) == (page["visits"], page["timeline"]), purpose
    assert [v["purpose"] for v in page["visits"][:2]] == ["今天第二次", "今天"]
    with Session(engine) as s, pytest.raises(PermissionDenied):
        recorded_visit(s, actor=actor_of("shaping"), visit_id=visit_id)


def test_overview_reads_with_a_fixed_number_of_queries(engine, actor_of, family):
    import sqlalchemy as sa

    xinmin = actor_of("xinmin")
    count = {"n": 0}

    def on_execute(*_args):
        count["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    try:
        with Session(engine) as s:
            household_overview(s, actor=xinmin, household_id=family["id"])
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
    assert count["n"] <= 12  # eleven, plus the household's warnings (services/warnings.household_warnings)


# --- the demo set ---------------------------------------------------------------------------

def test_a_changed_id_number_is_checked_like_a_new_one(engine, actor_of, family):
    xinmin = actor_of("xinmin")
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        households.update_member(s, actor=xinmin, member_id=family["child"], changes={"id_number": SPOUSE})
    assert "新民镇凤凰村 张三 家庭" in err.value.message
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        records.add_tag(s, actor=actor_of("nongye"), household_id=family["id"], tag="monitoring",
                        start_date=TODAY, decision_ref="垫农发〔2026〕1号")
    assert "监测对象类型" in err.value.message
    assert snapshot(engine) == before
    new_id = make_id(birth=date(2019, 9, 2), seq=31)
    with unit_of_work(engine) as s:
        households.update_member(s, actor=xinmin, member_id=family["child"], changes={"id_number": new_id})
    with Session(engine) as s:
        child = s.get(Member, family["child"])
    assert (child.id_number, child.birth_date) == (new_id, date(2019, 9, 2))


def test_demo_households_seed_once(engine, actor_of):
    with unit_of_work(engine) as s:
        seed_demo_households(s)
    before = snapshot(engine)
    with unit_of_work(engine) as s:
        assert seed_demo_households(s) == 0
    assert snapshot(engine) == before
    heads = {h.people[0].id_number: h for h in HOUSEHOLDS}
    with Session(engine) as s:
        rows = s.exec(select(Household).where(col(Household.head_id_number).in_(heads))).all()
        assert len(rows) == len(HOUSEHOLDS) == 15
        for row in rows:
            spec = heads[row.head_id_number]
            assert row.member_count == len(spec.people) and row.head_name == spec.people[0].name
            assert row.current_tags.split() == [t.tag for t in spec.tags if t.end is None]
        assert sum(r.area_code.startswith("500231100") for r in rows) == 12
        ended = s.exec(select(HouseholdTag).where(col(HouseholdTag.end_date).is_not(None))).all()
        assert any(t.tag == "monitoring" for t in ended)
        system = s.exec(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.username == "system", AuditEntry.entity.in_(["household", "member"]))).one()
        assert system >= 15 + sum(len(h.people) for h in HOUSEHOLDS)
        wang = s.exec(select(Household.id).where(Household.head_name == "王建国")).one()
    with Session(engine) as s:
        view = household_overview(s, actor=actor_of("xinmin"), household_id=wang)
    assert view["tags"]["current"] == [] and view["tags"]["past"][0]["end"] == "2025-12-31"
    assert view["last_visit"]["who"] == "王芳（新民镇）" and len(view["members"]) == 5
