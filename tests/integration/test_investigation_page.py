"""The investigation page's state driven as the browser would (no browser): the form opens
pre-filled from the registry, one change saves with the burden figure in the message, and
other townships or bad amounts are refused with nothing written."""

from datetime import timedelta

import pytest
import reflex as rx
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import Application, AuditEntry, EconomicStatus, Visit
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.pages.investigation import InvestigationState as S
from lowincome_portal.services import auth, intake, intake_submit
from lowincome_portal.services import household_records as records
from lowincome_portal.services.households import today_in_china
from lowincome_portal.services.investigation import FIELDS
from tests.idnumbers import make_id
from tests.page_states import settle

FENGHUANG = "500231100200"   # 新民镇凤凰村
TODAY = today_in_china()
ALL = len(FIELDS)
APPLICANT = make_id(birth=TODAY.replace(year=TODAY.year - 60) - timedelta(days=3), seq=11)
PRIOR = {"wage_income": "1200", "transfer_income": "2400", "deposits": "5000", "vehicles": "1",
         "housing_safety": "B", "drinking_water_safe": "否", "risk_points": ["illness"]}


def state_for(engine, username):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(S.get_full_name().split("."))
    with unit_of_work(engine) as s:
        state.token = auth.login(s, username, DEMO_PASSWORD).token
    return state


def opened(engine, username, app_id, monkeypatch):
    """The page entered at /applications/<app_id>/investigation."""
    monkeypatch.setattr(S, "_route_arg", lambda self, name: str(app_id) if name == "application_id" else "")
    state = state_for(engine, username)
    settle(S.on_enter.fn(state))
    return state


def written(engine, app_id):
    with Session(engine) as s:
        app = s.get(Application, app_id)
        return (s.exec(select(func.count()).select_from(EconomicStatus)).one(),
                s.exec(select(func.count()).select_from(Visit)).one(),
                s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "investigate")).one(),
                app.fields_prefilled, app.fields_typed)


@pytest.fixture
def app_id(engine, actor_of):
    """An application taken at the 新民镇 station and moved to 入户调查, its household holding
    an economic status from the registry."""
    xinmin = actor_of("xinmin")
    form = {"applicant_name": "周大山", "applicant_id_number": APPLICANT, "applicant_phone": "13800001111",
            "area_code": FENGHUANG, "address": "凤凰村三组 12 号", "difficulty": "老伴患病，收入低",
            "consent": True, "members": []}
    start = TODAY - timedelta(days=3)
    with unit_of_work(engine) as s:
        new_id = intake_submit.create_at_station(s, actor=xinmin, form=form, today=start)
    with unit_of_work(engine) as s:
        intake.take_step(s, actor=xinmin, application_id=new_id, action="complete_check", today=start)
    with unit_of_work(engine) as s:
        household_id = s.get(Application, new_id).household_id
        records.record_economic_status(s, actor=xinmin, household_id=household_id, values=PRIOR,
                                       recorded_on=start - timedelta(days=30), source="manual")
    return new_id


def by_name(state) -> dict:
    return {f["name"]: f for f in state.fields}


def test_form_opens_prefilled_with_sources(engine, app_id, monkeypatch):
    state = opened(engine, "xinmin", app_id, monkeypatch)
    assert state.error == "" and state.page_access == "ok"
    assert state.application["applicant_name"] == "周大山" and state.application["step_label"] == "入户调查"
    assert state.application["due_on"] and state.application_href == f"/applications/{app_id}"
    assert state.editable and state.read_only_reason == ""
    assert state.banner == f"已从家庭档案带出 {ALL} 项，请逐项核对，只需修改有变化的内容"
    fields = by_name(state)
    assert fields["wage_income"]["value"] == "1200.00" and fields["wage_income"]["kind"] == "money"
    assert fields["wage_income"]["source"] == "registry"
    assert fields["wage_income"]["source_label"].startswith("家庭档案 ")
    assert fields["drinking_water_safe"]["value"] == "false"
    assert [o["label"] for o in fields["drinking_water_safe"]["choices"]] == ["是", "否"]
    assert fields["housing_safety"]["value"] == "B"
    assert [o["value"] for o in fields["risk_points"]["choices"] if o["checked"]] == ["illness"]
    assert state.groups[0] == "近 12 个月收入与就业成本" and len(state.groups) == 5
    assert [m["name"] for m in state.members] == ["周大山"] and state.members[0]["source_label"] == "家庭档案"
    assert state.household["address"] == "凤凰村三组 12 号" and state.household["phone"] == "138****1111"
    assert state.visited_on == TODAY.isoformat()

    # editing highlights a change; the same amount written differently is no change
    settle(S.set_value.fn(state, "wage_income", "1,200"))
    assert not by_name(state)["wage_income"]["changed"]
    settle(S.set_value.fn(state, "wage_income", "1500"))
    settle(S.set_flag.fn(state, "risk_points", "schooling", True))
    assert by_name(state)["wage_income"]["changed"] and by_name(state)["risk_points"]["changed"]
    settle(S.set_flag.fn(state, "risk_points", "schooling", False))
    assert not by_name(state)["risk_points"]["changed"]


def test_saving_one_change_counts_the_burden_and_writes_status_and_visit(engine, app_id, monkeypatch):
    state = opened(engine, "xinmin", app_id, monkeypatch)
    before = written(engine, app_id)
    settle(S.set_value.fn(state, "wage_income", "1500"))
    settle(S.set_value.fn(state, "findings", "老伴住院，务工收入有增加"))
    settle(S.save.fn(state))
    assert state.error == ""
    assert state.info == f"已保存：带出确认 {ALL - 1} 项，新录入/修改 1 项" == state.result
    assert written(engine, app_id) == (before[0] + 1, before[1] + 1, before[2] + 1, ALL - 1, 1)
    with Session(engine) as s:
        status = s.exec(select(EconomicStatus).order_by(EconomicStatus.id.desc())).first()
        visit = s.exec(select(Visit).order_by(Visit.id.desc())).first()
    assert status.source == "visit" and str(status.wage_income) == "1500.00" and status.housing_safety == "B"
    assert status.drinking_water_safe is False and status.risk_points == "illness"
    assert visit.purpose == "入户调查" and visit.findings == "老伴住院，务工收入有增加"
    assert visit.changed_fields == "工资性收入"
    # the reloaded form shows what was saved, with nothing marked as changed
    assert by_name(state)["wage_income"]["value"] == "1500.00" and state.findings == ""
    assert not any(f["changed"] for f in state.fields)
    assert "本次入户调查" in by_name(state)["wage_income"]["source_label"]


def test_other_township_is_refused_and_nothing_is_written(engine, app_id, monkeypatch):
    state = opened(engine, "shaping", app_id, monkeypatch)
    assert state.error == "您没有执行此操作的权限"
    assert state.application == {} and state.fields == [] and "周大山" not in str(state.members)
    # a hand-made save for the same application: refused by the service
    good = opened(engine, "xinmin", app_id, monkeypatch)
    before = written(engine, app_id)
    state._application_id, state.fields = app_id, good.fields
    state.findings, state.visited_on = "x", TODAY.isoformat()
    settle(S.save.fn(state))
    assert state.error == "您没有执行此操作的权限" and state.info == ""
    assert written(engine, app_id) == before


def test_a_bad_amount_shows_the_message_and_writes_nothing(engine, app_id, monkeypatch):
    state = opened(engine, "xinmin", app_id, monkeypatch)
    before = written(engine, app_id)
    settle(S.set_value.fn(state, "deposits", "五千"))
    settle(S.set_value.fn(state, "findings", "入户核实"))
    settle(S.save.fn(state))
    assert state.error == "存款“五千”不是有效金额" and state.info == "" and state.result == ""
    assert written(engine, app_id) == before
    settle(S.set_value.fn(state, "deposits", "5000"))
    settle(S.set_value.fn(state, "findings", " "))
    settle(S.save.fn(state))
    assert state.error == "走访情况不能为空"
    assert written(engine, app_id) == before


def test_outside_the_investigation_step_the_form_is_read_only(engine, actor_of, app_id, monkeypatch):
    state = opened(engine, "xinmin", app_id, monkeypatch)
    settle(S.set_value.fn(state, "findings", "入户核实"))
    settle(S.save.fn(state))
    assert state.error == ""
    with unit_of_work(engine) as s:
        intake.take_step(s, actor=actor_of("xinmin"), application_id=app_id, action="complete_investigation",
                         today=TODAY)
    state = opened(engine, "xinmin", app_id, monkeypatch)
    assert state.error == "" and not state.editable
    assert state.read_only_reason.startswith("当前环节为“") and "入户调查" in state.read_only_reason
    settle(S.set_value.fn(state, "wage_income", "9"))
    assert by_name(state)["wage_income"]["value"] == "1200.00" and not by_name(state)["wage_income"]["changed"]
    before = written(engine, app_id)
    settle(S.set_value.fn(state, "findings", "x"))
    settle(S.save.fn(state))
    assert "只有在“入户调查”环节才能填写" in state.error
    assert written(engine, app_id) == before
