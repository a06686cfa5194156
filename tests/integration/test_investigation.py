"""The investigation form (入户调查表): pre-filled from the registry with each value's source,
saved as one economic status and one visit, and the burden figure (pre-filled versus typed)
counted on the application. Refusals change nothing."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, col, func, select

from lowincome_portal.db.tables import Application, AuditEntry, EconomicStatus, Visit
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import NotFound, PermissionDenied, ValidationError
from lowincome_portal.services import household_records as records
from lowincome_portal.services import households
from lowincome_portal.services.households import today_in_china
from lowincome_portal.services.investigation import FIELDS, investigation_form, save_investigation
from tests.idnumbers import make_id

FENGHUANG = "500231100200"   # 新民镇凤凰村
TODAY = today_in_china()
ACCEPTED = TODAY - timedelta(days=5)
HEAD = make_id(birth=date(1970, 3, 12), seq=11)
SPOUSE = make_id(birth=date(1972, 7, 21), seq=22)
LISTED_ONLY = make_id(birth=date(2015, 9, 1), seq=31)   # on the application, not in the registry
ALL = len(FIELDS)

PRIOR = {"wage_income": "1200", "business_income": "300.5", "transfer_income": "2400", "deposits": "5000",
         "vehicles": "1", "medical_expense": "8000", "housing_safety": "B", "drinking_water_safe": "否",
         "risk_points": ["illness", "schooling"]}


def make_household(engine, actor) -> int:
    with unit_of_work(engine) as s:
        hid = households.create_household(
            s, actor=actor, household={"area_code": FENGHUANG, "address": "凤凰村3组12号", "phone": "13812345678"},
            head={"id_number": HEAD, "name": "张三", "employment": "farming"})
        households.add_member(s, actor=actor, household_id=hid,
                              member={"id_number": SPOUSE, "name": "李梅", "relation": "spouse",
                                      "health": "chronic"})
    return hid


def make_application(engine, household_id: int | None, state: str = "investigation", n: int = 1) -> int:
    """An accepted application as the intake service leaves it (written directly here)."""
    members = [{"id_number": HEAD, "name": "张三", "relation": "head"},
               {"id_number": LISTED_ONLY, "name": "张小宝", "relation": "child", "schooling": "primary"}]
    with unit_of_work(engine) as s:
        app = Application(tracking_no=f"T{n:06d}", track="assistance", channel="station", state=state,
                          state_entered_on=ACCEPTED, area_code=FENGHUANG, household_id=household_id,
                          applicant_name="张三", applicant_id_number=HEAD, consent=True, accepted_on=ACCEPTED,
                          members_json=json.dumps(members, ensure_ascii=False))
        s.add(app)
        s.flush()
        return app.id


def record_prior(engine, actor, household_id, values=PRIOR, source="manual", on=TODAY - timedelta(days=40)):
    with unit_of_work(engine) as s:
        return records.record_economic_status(s, actor=actor, household_id=household_id, values=values,
                                              recorded_on=on, source=source)


def form(engine, actor, app_id) -> dict:
    with Session(engine) as s:
        return investigation_form(s, actor=actor, application_id=app_id, today=TODAY)


def save(engine, actor, app_id, values, visited_on=TODAY, findings="核实家庭收入与住房情况") -> dict:
    with unit_of_work(engine) as s:
        return save_investigation(s, actor=actor, application_id=app_id, values=values, visited_on=visited_on,
                                  findings=findings, today=TODAY)


def confirmed(form_dict) -> dict:
    """What a page sends when staff change nothing: every field as the form showed it."""
    return {f["name"]: f["value"] for f in form_dict["fields"]}


def by_name(form_dict) -> dict:
    return {f["name"]: f for f in form_dict["fields"]}


def written(engine, app_id):
    with Session(engine) as s:
        app = s.get(Application, app_id)
        return (s.exec(select(func.count()).select_from(EconomicStatus)).one(),
                s.exec(select(func.count()).select_from(Visit)).one(),
                s.exec(select(func.count()).select_from(AuditEntry)).one(),
                app.fields_prefilled, app.fields_typed, app.state)


@pytest.fixture
def case(engine, actor_of):
    xinmin = actor_of("xinmin")
    hid = make_household(engine, xinmin)
    return {"household_id": hid, "app_id": make_application(engine, hid), "actor": xinmin}


# --- the form ---------------------------------------------------------------------------

def test_form_without_a_status_is_empty_and_lists_members(engine, case):
    f = form(engine, case["actor"], case["app_id"])
    assert [x["name"] for x in f["fields"]] == [x.name for x in FIELDS]
    assert {x["source"] for x in f["fields"]} == {""}
    assert {x["source_label"] for x in f["fields"]} == {"需采集"}
    fields = by_name(f)
    assert fields["wage_income"]["value"] == "" and fields["wage_income"]["kind"] == "money"
    assert fields["wage_income"]["label"] == "工资性收入"
    assert fields["drinking_water_safe"]["value"] is None and fields["drinking_water_safe"]["kind"] == "flag"
    assert fields["housing_safety"]["kind"] == "choice"
    assert {"value": "D", "label": "D级（整体危险）"} in fields["housing_safety"]["choices"]
    assert fields["risk_points"]["kind"] == "multi" and len(fields["risk_points"]["choices"]) == 8

    names = [(m["name"], m["relation"], m["source"]) for m in f["members"]]
    assert names == [("张三", "户主", "registry"), ("李梅", "配偶", "registry"), ("张小宝", "子女", "application")]
    spouse, listed = f["members"][1], f["members"][2]
    assert spouse["health"] == "长期慢性病" and spouse["labour_capacity"] == "全部劳动能力"
    assert spouse["age"] == (TODAY.year - 1972 - ((TODAY.month, TODAY.day) < (7, 21)))
    assert listed["schooling"] == "小学" and listed["source_label"] == "申请表" and "*" in listed["id_number"]

    assert f["household"]["address"] == {"value": "凤凰村3组12号", "source": "registry", "source_label": "家庭档案"}
    assert f["household"]["phone"]["value"] == "138****5678"
    assert f["visit"] == {"visited_on": TODAY.isoformat(), "visitor": "王芳（新民镇）", "purpose": "入户调查"}
    assert f["application"]["tracking_no"] == "T000001" and f["application"]["applicant_name"] == "张三"
    assert f["application"]["step_label"] == "入户调查" and f["application"]["editable"] is True


def test_form_with_a_status_shows_values_and_their_source(engine, case):
    day = TODAY - timedelta(days=40)
    record_prior(engine, case["actor"], case["household_id"], on=day - timedelta(days=30),
                 values={"wage_income": "99"})  # older: not shown
    record_prior(engine, case["actor"], case["household_id"], on=day)
    fields = by_name(form(engine, case["actor"], case["app_id"]))
    assert {x["source"] for x in fields.values()} == {"registry"}
    assert fields["wage_income"]["source_label"] == f"家庭档案 {day.isoformat()}（手工录入）"
    assert fields["wage_income"]["value"] == "1200.00"
    assert fields["business_income"]["value"] == "300.50"
    assert fields["property_income"]["value"] == "0.00"
    assert fields["vehicles"]["value"] == "1"
    assert fields["housing_safety"]["value"] == "B" and fields["housing_safety"]["value_label"] == "B级（基本安全）"
    assert fields["drinking_water_safe"]["value"] is False and fields["drinking_water_safe"]["value_label"] == "否"
    assert fields["medical_insurance_ok"]["value"] is True
    assert set(fields["risk_points"]["value"].split()) == {"illness", "schooling"}
    assert fields["risk_points"]["value_label"] == "因病、因学"


def test_form_marks_values_the_applicant_declared(engine, case):
    record_prior(engine, case["actor"], case["household_id"], source="application", on=ACCEPTED)
    fields = by_name(form(engine, case["actor"], case["app_id"]))
    assert fields["deposits"]["source"] == "application"
    assert fields["deposits"]["source_label"] == f"申请表（{ACCEPTED.isoformat()} 申报）"


def test_application_without_household_is_refused(engine, actor_of):
    app_id = make_application(engine, None)
    with pytest.raises(ValidationError, match="申请尚未关联家庭档案"):
        form(engine, actor_of("xinmin"), app_id)
    with pytest.raises(NotFound):
        form(engine, actor_of("xinmin"), app_id + 100)


# --- saving and counting -----------------------------------------------------------------

def test_save_with_everything_confirmed_counts_all_prefilled(engine, case):
    record_prior(engine, case["actor"], case["household_id"])
    values = confirmed(form(engine, case["actor"], case["app_id"]))
    values["wage_income"] = "1,200.00"          # the same amount, written differently
    values["risk_points"] = ["schooling", "illness"]  # the same points, other order
    values["drinking_water_safe"] = "否"
    result = save(engine, case["actor"], case["app_id"], values)
    assert (result["prefilled"], result["typed"]) == (ALL, 0)

    with Session(engine) as s:
        app = s.get(Application, case["app_id"])
        assert (app.fields_prefilled, app.fields_typed) == (ALL, 0)
        status = s.get(EconomicStatus, result["economic_status_id"])
        assert status.source == "visit" and status.recorded_on == TODAY
        assert status.wage_income == Decimal("1200.00") and status.housing_safety == "B"
        assert status.drinking_water_safe is False and status.household_id == case["household_id"]
        visit = s.get(Visit, result["visit_id"])
        assert visit.purpose == "入户调查" and visit.visited_on == TODAY and visit.visitor_name == "王芳（新民镇）"
        assert visit.findings == "核实家庭收入与住房情况" and visit.changed_fields == ""
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "investigate")).one()
        assert (entry.entity, entry.entity_id) == ("application", str(case["app_id"]))
        new = json.loads(entry.new_values)
        assert new["fields_prefilled"] == ALL and new["fields_typed"] == 0
        assert new["economic_status_id"] == result["economic_status_id"] and new["visit_id"] == result["visit_id"]


def test_save_with_three_changes_counts_three_typed_and_resaving_recounts(engine, case):
    record_prior(engine, case["actor"], case["household_id"])
    values = confirmed(form(engine, case["actor"], case["app_id"]))
    values |= {"wage_income": "1500", "housing_safety": "C级（局部危险）", "medical_insurance_ok": False}
    result = save(engine, case["actor"], case["app_id"], values)
    assert (result["prefilled"], result["typed"]) == (ALL - 3, 3)
    with Session(engine) as s:
        visit = s.get(Visit, result["visit_id"])
        assert set(visit.changed_fields.split()) == {"工资性收入", "住房安全等级", "基本医疗有保障"}

    # Reopened, the form shows what this investigation saved; saving it again unchanged
    # recounts against the registry as it was before: still 3 typed, not accumulated.
    again = form(engine, case["actor"], case["app_id"])
    assert by_name(again)["wage_income"]["value"] == "1500.00"
    assert by_name(again)["wage_income"]["source_label"] == f"本次入户调查 {TODAY.isoformat()} 已保存"
    assert again["application"]["fields_typed"] == 3
    second = save(engine, case["actor"], case["app_id"], confirmed(again))
    assert (second["prefilled"], second["typed"]) == (ALL - 3, 3)
    # A correction back to the registry's value makes that field pre-filled again.
    third = save(engine, case["actor"], case["app_id"], confirmed(again) | {"wage_income": "1200"})
    assert (third["prefilled"], third["typed"]) == (ALL - 2, 2)
    with Session(engine) as s:
        app = s.get(Application, case["app_id"])
        assert (app.fields_prefilled, app.fields_typed) == (ALL - 2, 2)
        assert s.exec(select(func.count()).select_from(Visit)).one() == 3


def test_save_without_a_prior_status_counts_only_what_was_entered(engine, case):
    values = {f.name: "" for f in FIELDS} | {"wage_income": "3600", "vehicles": "0", "housing_safety": "A",
                                              "drinking_water_safe": None, "risk_points": []}
    result = save(engine, case["actor"], case["app_id"], values)
    assert (result["prefilled"], result["typed"]) == (0, 3)
    with Session(engine) as s:
        status = s.get(EconomicStatus, result["economic_status_id"])
        assert status.wage_income == Decimal("3600.00") and status.drinking_water_safe is True
    # saved again as the form now shows it: the fields left empty stay uncounted
    again = save(engine, case["actor"], case["app_id"], confirmed(form(engine, case["actor"], case["app_id"])))
    assert (again["prefilled"], again["typed"]) == (0, 3)


def test_bad_input_saves_nothing(engine, case):
    record_prior(engine, case["actor"], case["household_id"])
    save(engine, case["actor"], case["app_id"], confirmed(form(engine, case["actor"], case["app_id"])))
    before = written(engine, case["app_id"])
    values = confirmed(form(engine, case["actor"], case["app_id"])) | {"wage_income": "200", "deposits": "-5"}
    with pytest.raises(ValidationError, match="存款不能为负数"):
        save(engine, case["actor"], case["app_id"], values)
    with pytest.raises(ValidationError, match="走访情况不能为空"):
        save(engine, case["actor"], case["app_id"], confirmed(form(engine, case["actor"], case["app_id"])),
             findings=" ")
    with pytest.raises(ValidationError, match="不能早于受理日期"):
        save(engine, case["actor"], case["app_id"], {}, visited_on=ACCEPTED - timedelta(days=1))
    assert written(engine, case["app_id"]) == before


def test_bad_input_on_first_save_leaves_no_status_no_visit(engine, case):
    before = written(engine, case["app_id"])
    with pytest.raises(ValidationError, match="医疗自付支出不能为负数"):
        save(engine, case["actor"], case["app_id"], {"wage_income": "100", "medical_expense": "-1"})
    assert written(engine, case["app_id"]) == before
    assert before[:2] == (0, 0) and before[3:5] == (0, 0)


def test_wrong_step_is_refused_with_nothing_written(engine, case):
    app_id = make_application(engine, case["household_id"], state="preliminary_review", n=2)
    before = written(engine, app_id)
    with pytest.raises(ValidationError, match="当前环节为“乡镇初审”"):
        save(engine, case["actor"], app_id, {"wage_income": "100"})
    assert written(engine, app_id) == before
    assert form(engine, case["actor"], app_id)["application"]["editable"] is False


# --- who may ------------------------------------------------------------------------------

def test_other_township_staff_may_not(engine, case, actor_of):
    before = written(engine, case["app_id"])
    with pytest.raises(PermissionDenied):
        form(engine, actor_of("shaping"), case["app_id"])
    with pytest.raises(PermissionDenied):
        save(engine, actor_of("shaping"), case["app_id"], {"wage_income": "100"})
    assert written(engine, case["app_id"]) == before


def test_village_staff_investigate_in_their_village(engine, case, actor_of):
    fenghuang = actor_of("fenghuang")
    record_prior(engine, case["actor"], case["household_id"])
    f = form(engine, fenghuang, case["app_id"])
    assert f["visit"]["visitor"] == "赵丽（新民镇凤凰村）"
    result = save(engine, fenghuang, case["app_id"], confirmed(f) | {"vehicles": "0"})
    assert (result["prefilled"], result["typed"]) == (ALL - 1, 1)
    with Session(engine) as s:
        assert s.get(Visit, result["visit_id"]).visitor_name == "赵丽（新民镇凤凰村）"
        assert s.exec(select(EconomicStatus).where(EconomicStatus.household_id == case["household_id"])
                      .order_by(col(EconomicStatus.id).desc())).first().vehicles == 0
