"""The registry's event handlers called as a hostile client would: other townships, lower roles
and partners are refused on the server and nothing changes; the right user succeeds."""

from datetime import date

import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import (
    AuditEntry,
    EconomicStatus,
    Household,
    HouseholdTag,
    Member,
    Visit,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.pages.household.state import HouseholdState
from lowincome_portal.pages.resources.form import ResourceFormState
from lowincome_portal.pages.resources.list import ResourceListState
from lowincome_portal.pages.resources.record import ResourceRecordState
from lowincome_portal.services import household_records, households
from tests.idnumbers import make_id
from tests.page_states import state_for, settle

FENGHUANG = "500231100200"


def snapshot(engine):
    with Session(engine) as s:
        counts = tuple(s.exec(select(func.count()).select_from(t)).one()
                       for t in (Household, Member, EconomicStatus, HouseholdTag, Visit))
        audit = s.exec(select(func.count()).select_from(AuditEntry)
                       .where(AuditEntry.action.not_in(["login", "login_failed"]))).one()
        tags = [(t.id, t.end_date) for t in s.exec(select(HouseholdTag)).all()]
        members = [(m.id, m.active) for m in s.exec(select(Member)).all()]
    return counts, audit, tags, members


@pytest.fixture
def household(engine, actor_of):
    with unit_of_work(engine) as s:
        hid = households.create_household(
            s, actor=actor_of("xinmin"),
            household={"area_code": FENGHUANG, "address": "一组", "phone": "13900001111",
                       "bank_account": "6228480000001111222"},
            head={"name": "钱老汉", "id_number": make_id(birth=date(1948, 1, 1), seq=11)})
        member = households.add_member(s, actor=actor_of("xinmin"), household_id=hid,
                                       member={"name": "钱小花", "relation": "孙子女",
                                               "id_number": make_id(birth=date(2012, 1, 1), seq=22)})
        tag = household_records.add_tag(s, actor=actor_of("minzheng"), household_id=hid, tag="dibao",
                                        start_date=date(2025, 1, 1), decision_ref="垫民低〔2025〕1号")
    return {"id": hid, "member": member, "tag": tag}


def household_calls(h):
    today = date.today().isoformat()
    return [
        ("reveal_household", ("phone",), {}),
        ("reveal_member", (str(h["member"]),), {}),
        ("add_member", ({"name": "钱大", "relation": "子女",
                         "id_number": make_id(birth=date(1975, 1, 1), seq=31)},), {}),
        ("remove_member", ({"left_on": today, "reason": "外嫁"},), {"panel": f"remove:{h['member']}"}),
        ("record_economic", ({"recorded_on": today, "wage_income": "100"},), {}),
        ("add_tag", ({"tag": "monitoring", "subtype": "sudden", "start_date": today,
                      "decision_ref": "x"},), {}),
        ("end_tag", ({"end_date": today, "reason": "x"},), {"panel": f"end_tag:{h['tag']}"}),
        ("record_visit", ({"visited_on": today, "findings": "x"},), {}),
        ("plan_visit", (), {}),
        ("open_member_edit", (str(h["member"]),), {}),
        ("save_member", ({"name": "钱小花", "health": "患有大病"},),
         {"editing_member": {"id": str(h["member"])}}),
        ("cancel_household", ({"reason": "迁出"},), {}),
        ("assess", ({"as_of": today},), {}),
    ]


@pytest.mark.parametrize("username", ["shaping", "cishan", "lingdao", "admin"])
def test_household_handlers_refuse_outsiders_and_change_nothing(engine, household, username):
    before = snapshot(engine)
    for name, args, preset in household_calls(household):
        state = state_for(HouseholdState, engine, username)
        state._household_id = household["id"]
        for key, value in preset.items():
            setattr(state, key, value)
        settle(getattr(HouseholdState, name).fn(state, *args))
        assert state.error, f"{name} was not refused to {username}"
        assert "钱老汉" not in str(state.household) and state.assessment == {}
        assert "13900001111" not in str(state.household)
    assert snapshot(engine) == before


def test_village_staff_may_record_but_not_reveal_or_tag(engine, household):
    before = snapshot(engine)
    for name in ("reveal_household", "reveal_member", "add_tag", "end_tag"):
        call = next(c for c in household_calls(household) if c[0] == name)
        state = state_for(HouseholdState, engine, "fenghuang")
        state._household_id = household["id"]
        for key, value in call[2].items():
            setattr(state, key, value)
        settle(getattr(HouseholdState, name).fn(state, *call[1]))
        assert state.error == "您没有执行此操作的权限", name
    assert snapshot(engine) == before
    state = state_for(HouseholdState, engine, "fenghuang")
    state._household_id = household["id"]
    settle(HouseholdState.record_visit.fn(state, {"visited_on": date.today().isoformat(), "findings": "入户核实"}))
    assert state.error == "" and state.info == "已记录走访"
    assert any(v["findings"] == "入户核实" for v in state.visits)


def test_township_staff_work_the_household(engine, household):
    state = state_for(HouseholdState, engine, "xinmin")
    state._household_id = household["id"]
    settle(HouseholdState.reveal_household.fn(state, "phone"))
    assert state.household["phone"] == "13900001111"
    settle(HouseholdState.add_member.fn(state, {"name": "钱大", "relation": "子女", "in_school": "on",
                                         "has_in_school": "1",
                                         "id_number": make_id(birth=date(1975, 1, 1), seq=31)}))
    assert state.error == "", state.error
    assert [m["name"] for m in state.members if m["name"] == "钱大"]
    child = str(household["member"])
    settle(HouseholdState.open_member_edit.fn(state, child))
    assert state.panel == f"edit:{child}" and state.editing_member["health"] == "健康"
    assert state.editing_member["id_number"].startswith("500231****")
    settle(HouseholdState.save_member.fn(state, {"name": "钱小花", "id_number": "", "relation": "孙子女",
                                          "health": "患有大病", "has_in_school": "1"}))
    assert state.error == "", state.error
    assert next(m for m in state.members if m["id"] == child)["health"] == "患有大病"
    settle(HouseholdState.assess.fn(state, {"as_of": date.today().isoformat()}))
    assert state.error == "" and state.assessment["per_capita_monthly_income"] == "0.00"


def test_generic_handlers_check_the_resource_of_the_page(engine, household):
    before = snapshot(engine)
    listing = state_for(ResourceListState, engine, "cishan")
    listing._resource = "households"
    settle(ResourceListState.apply_search.fn(listing, {"search": ""}))
    assert listing.error and listing.rows == []
    assert settle(ResourceListState.export.fn(listing)) is None and listing.error
    record = state_for(ResourceRecordState, engine, "fenghuang")
    record._resource = "households"
    settle(ResourceRecordState.reveal.fn(record, "phone"))
    assert record.error == "您没有执行此操作的权限"
    form = state_for(ResourceFormState, engine, "xinmin")
    form._resource, form.mode = "parameters", "create"
    form.fields = [{"name": "code", "value": "edge_multiplier"}, {"name": "value", "value": "9"},
                   {"name": "effective_from", "value": date.today().isoformat()}]
    settle(ResourceFormState.submit.fn(form))
    assert form.error == "您没有执行此操作的权限"
    # a page entered for no resource at all refuses everything
    nowhere = state_for(ResourceListState, engine, "minzheng")
    settle(ResourceListState.export.fn(nowhere))
    assert nowhere.error == "您没有执行此操作的权限"
    assert snapshot(engine) == before
