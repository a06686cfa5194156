"""The low-code layer: one declaration gives list, detail, create, edit, delete, reveal and
export, each checked for role and area, audited, and refusing bad input with nothing saved."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import Area, AuditEntry, Household, Organisation, PolicyParameter, ServiceStation
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import NotFound, PermissionDenied, ValidationError
from lowincome_portal.resources import REGISTRY
from lowincome_portal.services import resources as svc

XINMIN, FENGHUANG, SHAPING = "500231100000", "500231100200", "500231101000"
STATION = {"name": "新民镇社会救助服务联合站", "level": "station", "area_code": XINMIN,
           "address": "新民镇政府一楼", "contact_person": "王芳", "phone": "02374512345",
           "opening_hours": "工作日", "active": "true"}


def counts(engine):
    with Session(engine) as s:
        return tuple(s.exec(select(func.count()).select_from(t)).one()
                     for t in (ServiceStation, Organisation, PolicyParameter, Area, AuditEntry))


def audit_entries(engine, entity, action):
    with Session(engine) as s:
        return s.exec(select(AuditEntry).where(AuditEntry.entity == entity,
                                               AuditEntry.action == action)).all()


def test_every_declaration_names_real_columns_and_roles():
    for resource in REGISTRY.values():
        columns = set(resource.model.model_fields)
        assert {f.name for f in resource.fields} <= columns, resource.name
        assert resource.roles.read, resource.name


def test_station_round_trip_through_the_generic_service(engine, actor_of):
    admin = actor_of("admin")
    with unit_of_work(engine) as s:
        key = svc.create(s, actor=admin, name="stations", raw=STATION)
    with unit_of_work(engine) as s:
        view = svc.detail(s, actor=admin, name="stations", key=key)
    values = {f["name"]: f["value"] for f in view["fields"]}
    assert values["area_code"] == "新民镇" and values["level"].startswith("社会救助服务联合站")
    assert values["active"] == "是"
    with unit_of_work(engine) as s:
        svc.update(s, actor=admin, name="stations", key=key, raw={**STATION, "address": "新民镇便民服务中心"})
    [entry] = audit_entries(engine, "service_station", "update")
    assert "便民服务中心" in entry.new_values and "政府一楼" in entry.old_values
    assert "name" not in entry.new_values  # only what changed
    with unit_of_work(engine) as s:
        svc.delete(s, actor=admin, name="stations", key=key)
    assert len(audit_entries(engine, "service_station", "delete")) == 1
    with Session(engine) as s, pytest.raises(NotFound):
        svc.detail(s, actor=admin, name="stations", key=key)


@pytest.mark.parametrize("change, message", [
    ({"name": ""}, "请填写站点名称"),
    ({"level": "palace"}, "类型“palace”不在可选范围内"),
    ({"area_code": "500231999000"}, "不在可选范围内"),
    ({"level": "point"}, "服务点应设在村/社区"),
    ({"phone": "12ab"}, "联系电话"),
    ({"name": "x" * 101}, "不能超过 100 个字"),
])
def test_bad_station_input_is_refused_and_nothing_saved(engine, actor_of, change, message):
    before = counts(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        svc.create(s, actor=actor_of("admin"), name="stations", raw={**STATION, **change})
    assert message in err.value.message
    assert counts(engine) == before


def test_duplicate_name_is_a_clear_message(engine, actor_of):
    with unit_of_work(engine) as s:
        svc.create(s, actor=actor_of("admin"), name="organisations",
                   raw={"name": "垫江县红十字会", "kind": "charity", "active": "true"})
    before = counts(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        svc.create(s, actor=actor_of("admin"), name="organisations",
                   raw={"name": "垫江县红十字会", "kind": "charity", "active": "true"})
    assert "重复" in err.value.message
    assert counts(engine) == before


def test_organisation_in_use_cannot_be_deleted(engine, actor_of):
    with Session(engine) as s:
        charity = s.exec(select(Organisation).where(Organisation.name == "垫江县慈善会")).one()
    before = counts(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        svc.delete(s, actor=actor_of("admin"), name="organisations", key=str(charity.id))
    assert "不能删除" in err.value.message
    assert counts(engine) == before


def test_roles_and_areas_are_checked_on_every_operation(engine, actor_of):
    with unit_of_work(engine) as s:
        key = svc.create(s, actor=actor_of("admin"), name="stations", raw=STATION)
    before = counts(engine)
    # township staff of another township: cannot see or change 新民镇's station
    shaping = actor_of("shaping")
    with Session(engine) as s:
        page = svc.list_page(s, actor=shaping, name="stations", query=svc.ListQuery())
        assert page.total == 0
        with pytest.raises(PermissionDenied):
            svc.detail(s, actor=shaping, name="stations", key=key)
    for call in (lambda s: svc.update(s, actor=shaping, name="stations", key=key, raw=STATION),
                 lambda s: svc.delete(s, actor=shaping, name="stations", key=key),
                 lambda s: svc.create(s, actor=shaping, name="stations", raw={**STATION, "name": "x"}),
                 lambda s: svc.create(s, actor=actor_of("xinmin"), name="parameters",
                                      raw={"code": "edge_multiplier", "value": "9",
                                           "effective_from": date.today().isoformat()}),
                 lambda s: svc.list_page(s, actor=actor_of("cishan"), name="households",
                                         query=svc.ListQuery()),
                 lambda s: svc.export_workbook(s, actor=actor_of("fenghuang"), name="households",
                                               query=svc.ListQuery())):
        with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
            call(s)
    # township staff may edit their own township's station, but not move it out of their area
    # (the other township is not among their choices)
    with pytest.raises(ValidationError), unit_of_work(engine) as s:
        svc.update(s, actor=actor_of("xinmin"), name="stations", key=key,
                   raw={**STATION, "area_code": SHAPING})
    assert counts(engine) == before


def test_areas_are_listed_inside_the_users_area(engine, actor_of):
    with Session(engine) as s:
        page = svc.list_page(s, actor=actor_of("xinmin"), name="areas", query=svc.ListQuery(page_size=100))
    assert page.total == 4  # 新民镇 and its three villages
    assert all(r["code"].startswith("500231100") for r in page.rows)


def test_new_area_derives_level_and_parent(engine, actor_of):
    with unit_of_work(engine) as s:
        svc.create(s, actor=actor_of("admin"), name="areas", raw={"code": "500231100209", "name": "新华村"})
    with Session(engine) as s:
        area = s.get(Area, "500231100209")
    assert (area.level, area.parent_code, area.is_sample) == ("village", XINMIN, False)
    for raw, message in (({"code": "5002311", "name": "x"}, "12 位"),
                         ({"code": "500231188201", "name": "x"}, "上级区划 500231188000 不存在")):
        with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
            svc.create(s, actor=actor_of("admin"), name="areas", raw=raw)
        assert message in err.value.message


def test_parameters_in_force_are_locked_and_new_values_are_dated(engine, actor_of):
    admin = actor_of("admin")
    with Session(engine) as s:
        in_force = s.exec(select(PolicyParameter).where(PolicyParameter.code == "edge_multiplier")).first()
    before = counts(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        svc.update(s, actor=admin, name="parameters", key=str(in_force.id),
                   raw={"value": "2", "note": "x"})
    assert "已生效" in err.value.message
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        svc.create(s, actor=admin, name="parameters",
                   raw={"code": "edge_multiplier", "value": "2",
                        "effective_from": (date.today() - timedelta(days=1)).isoformat()})
    assert "不能早于今天" in err.value.message
    assert counts(engine) == before
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with unit_of_work(engine) as s:
        key = svc.create(s, actor=admin, name="parameters",
                         raw={"code": "edge_multiplier", "value": "1.6", "effective_from": tomorrow,
                              "note": "县政府常务会议"})
    with unit_of_work(engine) as s:  # a future value can still be corrected
        svc.update(s, actor=admin, name="parameters", key=key, raw={"value": "1.55", "note": "更正"})
    with Session(engine) as s:
        view = svc.detail(s, actor=admin, name="parameters", key=key)
    assert {f["name"]: f["value"] for f in view["fields"]}["value"] == "1.55"


def _household(s, area, head, id_number, tags=""):
    h = Household(area_code=area, address="一组", head_name=head, head_id_number=id_number,
                  member_count=1, current_tags=tags, phone="13812345678",
                  bank_account="6228480000001234567")
    s.add(h)
    s.flush()
    return h.id


def test_household_list_filters_searches_sorts_and_masks(engine, actor_of):
    with unit_of_work(engine) as s:
        _household(s, FENGHUANG, "张三", "500231195001011234", " dibao ")
        _household(s, FENGHUANG, "李四", "500231196001011234", " monitoring ")
        _household(s, "500231101200", "王五", "500231197001011234", " dibao ")
    xinmin = actor_of("xinmin")
    with Session(engine) as s:
        page = svc.list_page(s, actor=xinmin, name="households", query=svc.ListQuery())
        assert [r["head_name"] for r in page.rows] == ["张三", "李四"]  # 沙坪镇's household is out of scope
        assert page.rows[0]["head_id_number"] == "500231********1234"
        assert page.rows[0]["current_tags"] == "低保"
        assert page.rows[0]["area_code"] == "新民镇 凤凰村"
        assert page.rows[0]["_href"].startswith("/households/")
        tagged = svc.list_page(s, actor=xinmin, name="households",
                               query=svc.ListQuery(filters={"current_tags": "monitoring"}))
        assert [r["head_name"] for r in tagged.rows] == ["李四"]
        found = svc.list_page(s, actor=xinmin, name="households", query=svc.ListQuery(search="李"))
        assert [r["head_name"] for r in found.rows] == ["李四"]
        hostile = svc.list_page(s, actor=xinmin, name="households",
                                query=svc.ListQuery(search="%' OR 1=1 --"))
        assert hostile.total == 0
        desc = svc.list_page(s, actor=actor_of("minzheng"), name="households",
                             query=svc.ListQuery(sort="head_name", descending=True))
        assert [r["head_name"] for r in desc.rows] == sorted(["张三", "李四", "王五"], reverse=True)


def test_export_is_the_filtered_list_and_is_logged(engine, actor_of):
    with unit_of_work(engine) as s:
        _household(s, FENGHUANG, "张三", "500231195001011234", " dibao ")
        _household(s, FENGHUANG, "李四", "500231196001011234", "")
    with unit_of_work(engine) as s:
        filename, data = svc.export_workbook(s, actor=actor_of("xinmin"), name="households",
                                             query=svc.ListQuery(filters={"current_tags": "dibao"}))
    assert filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "户主" and len(rows) == 2
    assert "500231195001011234" in rows[1]  # township staff may see whole numbers: logged
    [entry] = audit_entries(engine, "household", "export")
    assert "含完整证件号" in entry.note


def test_reveal_is_logged_and_refused_to_village_staff(engine, actor_of):
    with unit_of_work(engine) as s:
        key = str(_household(s, FENGHUANG, "张三", "500231195001011234"))
    with unit_of_work(engine) as s:
        assert svc.reveal(s, actor=actor_of("xinmin"), name="households", key=key,
                          field_name="bank_account") == "6228480000001234567"
    [entry] = audit_entries(engine, "household", "reveal")
    assert entry.username == "xinmin" and "6228" not in (entry.new_values + entry.note)
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        svc.reveal(s, actor=actor_of("fenghuang"), name="households", key=key, field_name="phone")
    with Session(engine) as s:
        view = svc.detail(s, actor=actor_of("fenghuang"), name="households", key=key)
    fields = {f["name"]: f for f in view["fields"]}
    assert fields["phone"]["value"] == "138****5678" and not fields["phone"]["revealable"]
