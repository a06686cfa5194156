"""统一监测预警, the loop, on both databases: a warning is assigned (凤凰村's clerk takes it),
handled with a referral (the need and the referral are written and linked, source 预警), fed
back, and civil affairs and agriculture read the same result; refusals change nothing
(another township, leaders, partners, a wrong step, a stale copy, bad input, a dispatch the
referral service refuses); an application opened from a warning; escalation of overdue
warnings (by the chores and the daily command too); the inbox's filters, scope and order;
the county's township table; the household timeline; the joint meeting's agenda; the home page."""

import itertools
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import (
    AgendaItem,
    Application,
    AuditEntry,
    Need,
    Organisation,
    Referral,
    RiskWarning,
    RiskWarningEvent,
    User,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import NotFound, PermissionDenied, ValidationError
from lowincome_portal.services import home, households, meetings, monitoring_rules, warning_writer, warnings
from lowincome_portal.services.household_view import household_overview
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id

FENGHUANG, CHANGLING = "500231100200", "500231100201"
XINMIN, SHAPING, HONGYAN = "500231100000", "500231101000", "500231101200"
YIBAO, CISHAN = "垫江县医疗保障局", "垫江县慈善会"

DAY = date(2026, 11, 2)  # a Monday: the warning is raised
PERIOD = date(2026, 10, 1)  # last month's file

_numbers = itertools.count(1)


# --- helpers ------------------------------------------------------------------------------------

def add_household(engine, actor, area=FENGHUANG, name="张大山", phone="13812345678") -> int:
    n = next(_numbers)
    with unit_of_work(engine) as s:
        return households.create_household(
            s, actor=actor, household={"area_code": area, "address": "5组18号", "phone": phone},
            head={"id_number": make_id(birth=date(1960, 5, 6), seq=300 + n * 2 + 1), "name": name})


def raise_warning(engine, household_id, rule="medical_annual", today=DAY, period=PERIOD, value=12345.0,
                  threshold=5000.0, source="medical_insurance") -> int:
    """A warning written as the department import writes it (warning_writer.write)."""
    with unit_of_work(engine) as s:
        spec = next(r for r in monitoring_rules.active_rules(s, period) if r.code == rule)
        hits = pd.DataFrame({"household_id": [household_id], "member_id": [None], "value": [value],
                             "threshold": [threshold],
                             "evidence": [f"年度累计医疗自付费用 {value:,.2f} 元，达到低保家庭阈值 {threshold:,.2f} 元"]})
        assert warning_writer.write(s, hits=hits, rule=spec, period=period, source=source, batch_id=None,
                                    actor=None, today=today) == 1
        return s.exec(select(RiskWarning.id).where(RiskWarning.household_id == household_id,
                                                   RiskWarning.rule_code == rule)).one()


def warning(engine, warning_id) -> RiskWarning:
    with Session(engine) as s:
        return s.get(RiskWarning, warning_id)


def run(engine, fn, actor, **kwargs):
    with unit_of_work(engine) as s:
        return fn(s, actor=actor, **kwargs)


def org_id(engine, name) -> int:
    with Session(engine) as s:
        return s.exec(select(Organisation.id).where(Organisation.name == name)).one()


def user_id(engine, username) -> int:
    with Session(engine) as s:
        return s.exec(select(User.id).where(User.username == username)).one()


def snapshot(engine):
    """Every warning's state and the row counts (audit included): a refusal leaves them as they were."""
    with Session(engine) as s:
        rows = [tuple(r) for r in s.exec(select(RiskWarning.id, RiskWarning.status, RiskWarning.version,
                                                RiskWarning.assigned_to, RiskWarning.need_id,
                                                RiskWarning.disposition, RiskWarning.due_on)
                                         .order_by(RiskWarning.id)).all()]
        counts = tuple(s.exec(select(func.count()).select_from(t)).one()
                       for t in (RiskWarningEvent, Need, Referral, Application, AuditEntry))
    return rows, counts


def events(engine, warning_id) -> list[tuple[str, str, str]]:
    with Session(engine) as s:
        return [(e.action, e.status, e.actor_name) for e in s.exec(
            select(RiskWarningEvent).where(RiskWarningEvent.warning_id == warning_id)
            .order_by(RiskWarningEvent.id)).all()]


MEDICAL_NEED = {"kind": "medical", "description": "住院自付费用较大，申请医疗救助", "amount": "8000",
                "urgency": "urgent", "mode": "assigned"}


def verifying(engine, actor_of, name="张大山", area=FENGHUANG, **raise_args) -> tuple[int, int]:
    """A household with a warning taken for verification by the village clerk: (household, warning)."""
    hid = add_household(engine, actor_of("xinmin"), area=area, name=name)
    wid = raise_warning(engine, hid, **raise_args)
    run(engine, warnings.assign, actor_of("fenghuang" if area == FENGHUANG else "xinmin"), warning_id=wid,
        version=1, today=DAY)
    return hid, wid


# --- the loop -----------------------------------------------------------------------------------

def test_the_full_loop_and_both_departments_see_the_same_result(engine, actor_of):
    fenghuang, xinmin = actor_of("fenghuang"), actor_of("xinmin")
    hid = add_household(engine, xinmin, name="刘秀英")
    wid = raise_warning(engine, hid)
    row = warning(engine, wid)
    assert (row.status, row.area_code, row.severity, row.department, row.version) == \
        ("pending", FENGHUANG, "high", "both", 1)
    assert row.due_on == date(2026, 11, 5)  # 3 working days

    # the village clerk takes it: 核查中, due in warning_handle_days (10 working days)
    detail = run(engine, warnings.warning_detail, fenghuang, warning_id=wid, today=DAY)
    assert [a["action"] for a in detail["actions"]] == ["assign"] and detail["can_assign"]
    assert {u["name"] for u in detail["assignable"]} == {"王芳（新民镇）", "赵丽（新民镇凤凰村）"}
    run(engine, warnings.assign, fenghuang, warning_id=wid, version=1, today=DAY)
    row = warning(engine, wid)
    assert (row.status, row.assigned_to, row.assigned_on, row.version) == \
        ("verifying", user_id(engine, "fenghuang"), DAY, 2)
    assert row.due_on == date(2026, 11, 16)

    # the township handles it with a referral to the medical insurance bureau
    run(engine, warnings.handle, xinmin, warning_id=wid, verify_result="confirmed",
        verify_note="入户核实：户主今年两次住院，自付较多", disposition="referral",
        need={**MEDICAL_NEED, "organisation_id": org_id(engine, YIBAO)}, version=2, today=DAY + timedelta(days=1))
    row = warning(engine, wid)
    assert (row.status, row.verify_result, row.disposition, row.handled_by, row.version) == \
        ("handled", "confirmed", "referral", user_id(engine, "xinmin"), 3)
    assert row.due_on == date(2026, 11, 10)  # 5 working days from 11-03
    with Session(engine) as s:
        need = s.get(Need, row.need_id)
        referral = s.get(Referral, row.referral_id)
    assert (need.household_id, need.source, need.source_ref, need.kind, need.status) == \
        (hid, "warning", f"预警#{wid}", "medical", "referred")
    assert (referral.need_id, referral.organisation_id, referral.status) == (need.id, org_id(engine, YIBAO), "assigned")

    # a village clerk may not feed back; the township does
    with pytest.raises(PermissionDenied):
        run(engine, warnings.feed_back, fenghuang, warning_id=wid, feedback="已办", version=3)
    run(engine, warnings.feed_back, xinmin, warning_id=wid, feedback="医保局已受理医疗救助，正在审核",
        version=3, today=DAY + timedelta(days=2))
    row = warning(engine, wid)
    assert (row.status, row.feedback, row.fed_back_on, row.due_on, row.version) == \
        ("fed_back", "医保局已受理医疗救助，正在审核", DAY + timedelta(days=2), None, 4)
    assert events(engine, wid) == [("raise", "pending", "系统"), ("assign", "verifying", "赵丽（新民镇凤凰村）"),
                                   ("handle", "handled", "王芳（新民镇）"), ("feed_back", "fed_back", "王芳（新民镇）")]
    with Session(engine) as s:
        audited = s.exec(select(AuditEntry.action).where(AuditEntry.entity == "risk_warning",
                                                         AuditEntry.entity_id == str(wid))).all()
    assert sorted(audited) == ["assign", "feed_back", "handle"]

    # civil affairs and agriculture read the same warning, the same steps, the same inbox row
    today = DAY + timedelta(days=3)
    seen = [run(engine, warnings.warning_detail, actor_of(u), warning_id=wid, today=today)
            for u in ("minzheng", "nongye")]
    for key in ("warning", "fields", "household", "events", "linked", "actions"):
        assert seen[0][key] == seen[1][key], key
    view = seen[0]
    assert view["actions"] == [] and view["warning"]["status_label"] == "已反馈"
    assert view["warning"]["rule_name"] and view["warning"]["disposition_label"] == "转介帮扶"
    assert view["household"]["head_name"] == "刘秀英" and view["household"]["href"] == f"/households/{hid}"
    assert view["linked"]["referral"]["href"] == f"/referrals/{referral.id}"
    assert view["linked"]["referral"]["organisation_name"] == YIBAO
    assert [e["action_label"] for e in view["events"]] == ["生成预警", "指派核查", "处置", "反馈"]
    assert {"label": "反馈内容", "value": "医保局已受理医疗救助，正在审核"} in view["fields"]
    inboxes = [run(engine, warnings.inbox, actor_of(u), filters={}, today=today) for u in ("minzheng", "nongye")]
    assert inboxes[0] == inboxes[1] and inboxes[0]["total"] == 1
    assert inboxes[0]["rows"][0]["head_name"] == "刘秀英"  # staff see the name (not masked)


def test_a_warning_can_be_sent_to_a_village_clerk_and_opened_as_an_application(engine, actor_of):
    xinmin = actor_of("xinmin")
    hid = add_household(engine, xinmin, name="周桂兰")
    run(engine, households.add_member, xinmin, household_id=hid,
        member={"id_number": make_id(birth=date(1990, 1, 2), seq=901), "name": "周小军", "relation": "child"})
    wid = raise_warning(engine, hid)
    run(engine, warnings.assign, xinmin, warning_id=wid, assignee_id=user_id(engine, "fenghuang"), today=DAY)
    assert warning(engine, wid).assigned_to == user_id(engine, "fenghuang")
    # without the household's consent recorded, no application is opened
    with pytest.raises(ValidationError, match="授权"):
        run(engine, warnings.handle, actor_of("fenghuang"), warning_id=wid, verify_result="confirmed",
            verify_note="家中收入下降，医疗负担重", disposition="application", need={"track": "assistance"},
            today=DAY)
    assert warning(engine, wid).status == "verifying"
    run(engine, warnings.handle, actor_of("fenghuang"), warning_id=wid, verify_result="confirmed",
        verify_note="家中收入下降，医疗负担重", disposition="application", disposition_note="户主同意申请低保",
        need={"track": "assistance", "consent": True}, today=DAY)
    row = warning(engine, wid)
    with Session(engine) as s:
        app = s.get(Application, row.application_id)
    assert (row.status, row.disposition) == ("handled", "application")
    assert (app.household_id, app.track, app.applicant_name, app.area_code) == (hid, "assistance", "周桂兰", FENGHUANG)
    assert "监测预警" in app.difficulty and "周小军" in app.members_json
    view = run(engine, warnings.warning_detail, xinmin, warning_id=wid, today=DAY)
    assert view["linked"]["application"]["tracking_no"] == app.tracking_no


# --- refusals -----------------------------------------------------------------------------------

def test_refusals_change_nothing(engine, actor_of):
    xinmin, fenghuang = actor_of("xinmin"), actor_of("fenghuang")
    hid = add_household(engine, xinmin)
    pending = raise_warning(engine, hid)
    _, taken = verifying(engine, actor_of, name="李四")
    before = snapshot(engine)

    def refused(exc, fn, actor, match=None, **kwargs):
        with pytest.raises(exc, match=match):
            run(engine, fn, actor, **kwargs)
        assert snapshot(engine) == before

    # outside the area, a leader, a partner: not their warning
    refused(PermissionDenied, warnings.assign, actor_of("shaping"), warning_id=pending, today=DAY)
    refused(PermissionDenied, warnings.warning_detail, actor_of("shaping"), warning_id=pending)
    for outsider in ("lingdao", "cishan", "admin"):
        refused(PermissionDenied, warnings.assign, actor_of(outsider), warning_id=pending, today=DAY)
        refused(PermissionDenied, warnings.warning_detail, actor_of(outsider), warning_id=pending)
        refused(PermissionDenied, warnings.inbox, actor_of(outsider), filters={})
    refused(PermissionDenied, warnings.township_table, xinmin)  # the county's table
    refused(NotFound, warnings.assign, xinmin, warning_id=99999, today=DAY)
    # a wrong step, a stale copy, an assignee from another township
    refused(ValidationError, warnings.handle, xinmin, "当前为“待核查”，不能处置", warning_id=pending,
            verify_result="confirmed", verify_note="属实", disposition="no_action", disposition_note="已自愈")
    refused(ValidationError, warnings.feed_back, xinmin, "不能反馈", warning_id=pending, feedback="好")
    refused(ValidationError, warnings.assign, xinmin, "当前为“核查中”", warning_id=taken, today=DAY)
    refused(ValidationError, warnings.assign, xinmin, warnings.MSG_STALE, warning_id=pending, version=7, today=DAY)
    refused(ValidationError, warnings.assign, xinmin, "核查人员须为", warning_id=pending,
            assignee_id=user_id(engine, "shaping"), today=DAY)
    # the handler's input
    handle = {"warning_id": taken, "verify_note": "入户核实", "today": DAY}
    refused(ValidationError, warnings.handle, xinmin, "不属实的，处置方式应为", verify_result="not_confirmed",
            disposition="referral", need=MEDICAL_NEED, **handle)
    refused(ValidationError, warnings.handle, xinmin, "须说明理由", verify_result="confirmed",
            disposition="no_action", **handle)
    refused(ValidationError, warnings.handle, xinmin, "须填写帮扶需求", verify_result="confirmed",
            disposition="referral", need=None, **handle)
    refused(ValidationError, warnings.handle, xinmin, warnings.MSG_STALE, verify_result="confirmed",
            disposition="no_action", disposition_note="已好转", version=1, **handle)
    refused(ValidationError, warnings.handle, xinmin, "救助申请类别", verify_result="confirmed",
            disposition="application", need={"track": "nonsense"}, **handle)


def test_a_dispatch_the_referral_service_refuses_rolls_the_handling_back(engine, actor_of):
    _, wid = verifying(engine, actor_of)
    before = snapshot(engine)
    base = {"warning_id": wid, "verify_result": "confirmed", "verify_note": "属实", "disposition": "referral",
            "version": 2, "today": DAY}
    # the charity does not offer 医疗救助: the referral service refuses after the need was recorded
    with pytest.raises(ValidationError, match="不提供“医疗救助”"):
        run(engine, warnings.handle, actor_of("xinmin"),
            need={**MEDICAL_NEED, "organisation_id": org_id(engine, CISHAN)}, **base)
    assert snapshot(engine) == before
    # a village clerk may not dispatch: refused with the reason, nothing kept
    with pytest.raises(PermissionDenied, match="转介帮扶须由乡镇"):
        run(engine, warnings.handle, actor_of("fenghuang"),
            need={**MEDICAL_NEED, "organisation_id": org_id(engine, YIBAO)}, **base)
    assert snapshot(engine) == before
    row = warning(engine, wid)
    assert (row.status, row.need_id, row.referral_id) == ("verifying", None, None)


# --- escalation ---------------------------------------------------------------------------------

def test_overdue_warnings_are_escalated_once_per_step(engine, actor_of):
    hid = add_household(engine, actor_of("xinmin"))
    wid = raise_warning(engine, hid)  # due 2026-11-05
    late = raise_warning(engine, add_household(engine, actor_of("xinmin"), name="钱多"), today=DAY + timedelta(days=3))

    def escalate(today):
        with unit_of_work(engine) as s:
            return warnings.escalate_overdue(s, today=today)

    assert escalate(date(2026, 11, 5)) == 0
    assert escalate(date(2026, 11, 6)) == 1
    assert escalate(date(2026, 11, 6)) == 0 and escalate(date(2026, 11, 7)) == 0  # once per step
    row = warning(engine, wid)
    assert (row.escalated_on, row.version, row.status) == (date(2026, 11, 6), 1, "pending")
    assert events(engine, wid)[-1] == ("escalate", "pending", "系统")
    listed = run(engine, warnings.inbox, actor_of("xinmin"), filters={}, today=date(2026, 11, 7))["rows"]
    assert [(r["id"], r["overdue"], r["escalated"]) for r in listed] == [(str(wid), "1", "1"), (str(late), "", "")]
    # the next step has its own deadline: no longer escalated, escalated again when that one passes
    run(engine, warnings.assign, actor_of("fenghuang"), warning_id=wid, version=1, today=date(2026, 11, 9))
    row = warning(engine, wid)
    assert row.due_on == date(2026, 11, 23) and not warnings.is_escalated(row.status, row.due_on, row.escalated_on)
    assert escalate(date(2026, 11, 23)) == 1  # only `late` (due 2026-11-10)
    assert escalate(date(2026, 11, 24)) == 1
    assert warning(engine, wid).escalated_on == date(2026, 11, 24)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "escalate")).one() == 3


def test_the_chores_and_the_daily_command_escalate(engine, actor_of, capsys):
    from lowincome_portal.chores import run_once
    from lowincome_portal.cli import main

    today = today_in_china()
    first = raise_warning(engine, add_household(engine, actor_of("xinmin")), today=today - timedelta(days=30),
                          period=date(2025, 1, 1))
    assert run_once() == {"ended": 0, "escalated": 1}
    assert warning(engine, first).escalated_on == today
    raise_warning(engine, add_household(engine, actor_of("xinmin"), name="钱多"), today=today - timedelta(days=30),
                  period=date(2025, 1, 1))
    assert main(["daily"]) == 0
    assert "已逾期升级监测预警 1 条" in capsys.readouterr().out


# --- the inbox and the county's table --------------------------------------------------------------

@pytest.fixture
def spread(engine, actor_of):
    """Four warnings: 凤凰村 medical (high, both, raised 11-02: overdue on 11-09), 长岭村 business
    (medium, civil, verifying), 红岩村 water (medium, agri), 凤凰村 fed back."""
    xinmin, shaping = actor_of("xinmin"), actor_of("shaping")
    ids = {}
    ids["medical"] = raise_warning(engine, add_household(engine, xinmin, name="张医"))
    ids["business"] = raise_warning(engine, add_household(engine, xinmin, area=CHANGLING, name="李商"),
                                    rule="business_found", today=date(2026, 11, 6))
    run(engine, warnings.assign, xinmin, warning_id=ids["business"], today=date(2026, 11, 6))
    ids["water"] = raise_warning(engine, add_household(engine, shaping, area=HONGYAN, name="王水"),
                                 rule="water_unsafe", today=date(2026, 11, 6))
    done = raise_warning(engine, add_household(engine, xinmin, name="赵完"), rule="uninsured", today=DAY)
    run(engine, warnings.assign, xinmin, warning_id=done, today=DAY)
    run(engine, warnings.handle, xinmin, warning_id=done, verify_result="not_confirmed", verify_note="已续保",
        disposition="no_action", disposition_note="数据滞后", today=DAY)
    run(engine, warnings.feed_back, xinmin, warning_id=done, feedback="已续保，数据滞后", today=DAY)
    ids["done"] = done
    return ids


def test_the_inbox_filters_scopes_and_orders(engine, actor_of, spread):
    county, today = actor_of("minzheng"), date(2026, 11, 9)

    def ids(actor=county, **filters):
        return [int(r["id"]) for r in run(engine, warnings.inbox, actor, filters=filters, today=today)["rows"]]

    m, b, w, d = spread["medical"], spread["business"], spread["water"], spread["done"]
    assert ids() == [m, w, b, d]  # overdue first, then by deadline (11-11, 11-20); the closed one last
    assert ids(rule="water_unsafe") == [w]
    assert ids(severity="high") == [m]
    assert ids(township=SHAPING) == [w] and ids(township=XINMIN) == [m, b, d]
    assert ids(status="verifying") == [b] and ids(status="open") == [m, w, b] and ids(status="fed_back") == [d]
    assert ids(overdue="1") == [m]
    assert ids(department="civil") == [m, b, d] and ids(department="agri") == [m, w, d]
    assert ids(department="both") == [m, d]
    assert ids(q="李") == [b] and ids(q="%") == []
    assert ids(status="open", township=XINMIN, department="civil") == [m, b]
    assert ids(actor_of("xinmin")) == [m, b, d] and ids(actor_of("fenghuang")) == [m, d]
    assert ids(actor_of("shaping")) == [w]
    with pytest.raises(ValidationError):
        ids(township="abc")

    page = run(engine, warnings.inbox, county, filters={}, page=2, page_size=3, today=today)
    assert (page["total"], page["pages"], page["page"], [int(r["id"]) for r in page["rows"]]) == (4, 2, 2, [d])
    assert run(engine, warnings.inbox, county, filters={}, page=9, page_size=3, today=today)["page"] == 2
    row = run(engine, warnings.inbox, county, filters={"overdue": "1"}, today=today)["rows"][0]
    assert all(isinstance(v, str) for v in row.values())
    assert (row["head_name"], row["village"], row["severity_label"], row["status_label"], row["overdue_days"]) == \
        ("张医", "新民镇 凤凰村", "高", "待核查", "4")
    assert row["href"] == f"/warnings/{m}"

    options = run(engine, warnings.inbox_options, county)
    assert options["default_department"] == "civil" and options["can_overview"]
    assert {t["label"] for t in options["townships"]} >= {"新民镇", "沙坪镇"}
    assert options["statuses"][0] == {"value": "open", "label": "未办结"}
    assert any(r["value"] == "medical_annual" for r in options["rules"])
    xinmin_options = run(engine, warnings.inbox_options, actor_of("xinmin"))
    assert [t["label"] for t in xinmin_options["townships"]] == ["新民镇"] and not xinmin_options["can_overview"]
    assert run(engine, warnings.inbox_options, actor_of("nongye"))["default_department"] == "agri"


def test_the_township_table(engine, actor_of, spread):
    table = run(engine, warnings.township_table, actor_of("nongye"), today=date(2026, 11, 9))
    by_name = {row["name"]: row for row in table}
    assert {k: by_name["新民镇"][k] for k in ("open", "pending", "verifying", "handled", "overdue", "escalated",
                                             "handled_month", "fed_back_month")} == \
        {"open": "2", "pending": "1", "verifying": "1", "handled": "0", "overdue": "1", "escalated": "0",
         "handled_month": "1", "fed_back_month": "1"}
    assert (by_name["沙坪镇"]["open"], by_name["沙坪镇"]["overdue"]) == ("1", "0")
    assert all(row["open"] == "0" for name, row in by_name.items() if name not in ("新民镇", "沙坪镇"))
    with unit_of_work(engine) as s:
        warnings.escalate_overdue(s, today=date(2026, 11, 9))
    table = run(engine, warnings.township_table, actor_of("minzheng"), today=date(2026, 12, 1))
    xinmin = next(row for row in table if row["name"] == "新民镇")
    assert (xinmin["escalated"], xinmin["fed_back_month"]) == ("1", "0")  # a new month


# --- where warnings show elsewhere ------------------------------------------------------------------

def test_the_household_timeline_shows_the_warning_loop(engine, actor_of):
    hid, wid = verifying(engine, actor_of, name="孙有")
    xinmin = actor_of("xinmin")
    run(engine, warnings.handle, xinmin, warning_id=wid, verify_result="confirmed", verify_note="属实",
        disposition="no_action", disposition_note="已由子女承担费用", today=DAY + timedelta(days=1))
    run(engine, warnings.feed_back, xinmin, warning_id=wid, feedback="子女已承担，持续关注", today=DAY + timedelta(days=2))
    with Session(engine) as s:
        timeline = household_overview(s, actor=xinmin, household_id=hid)["timeline"]
    shown = {item["kind"]: item for item in timeline}
    assert "年度累计医疗自付费用 12,345.00 元" in shown["监测预警"]["summary"]
    assert shown["预警处置"]["summary"].endswith("情况属实，无需处置，已由子女承担费用")
    assert shown["预警处置"]["who"] == "王芳（新民镇）"
    assert shown["预警反馈"]["summary"].endswith("子女已承担，持续关注") and shown["预警反馈"]["at"] == "2026-11-04"


def test_the_township_meeting_hears_overdue_warnings(engine, actor_of):
    late = raise_warning(engine, add_household(engine, actor_of("xinmin"), name="陈迟"))  # due 11-05
    raise_warning(engine, add_household(engine, actor_of("xinmin"), name="孙新"), today=date(2026, 11, 20))
    raise_warning(engine, add_household(engine, actor_of("shaping"), area=HONGYAN, name="沙远"))

    def agenda(actor, area, chair):
        with unit_of_work(engine) as s:
            meeting_id = meetings.create_meeting(s, actor=actor, area_code=area, month=date(2026, 11, 1),
                                                 planned_on=date(2026, 11, 27), place="镇政府会议室", chair_name=chair,
                                                 unit_ids=[], today=date(2026, 11, 25))
        with Session(engine) as s:
            return s.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id, AgendaItem.kind == "warning")
                          .order_by(AgendaItem.position)).all()

    items = agenda(actor_of("xinmin"), XINMIN, "王芳")
    assert len(items) == 1, [i.title for i in items]
    assert items[0].title.startswith("超期预警：陈迟户 ") and "已超期 20 天" in items[0].title
    assert f"预警编号 {late}" in items[0].detail and items[0].household_id is not None
    assert [i.title[:8] for i in agenda(actor_of("shaping"), SHAPING, "陈刚")] == ["超期预警：沙远户"]


def test_the_home_page_counts_open_and_overdue_warnings(engine, actor_of):
    today = today_in_china()
    raise_warning(engine, add_household(engine, actor_of("xinmin"), name="陈迟"), today=today - timedelta(days=30),
                  period=date(2025, 1, 1))
    raise_warning(engine, add_household(engine, actor_of("xinmin"), name="孙新"), today=today, period=date(2025, 1, 1))
    with Session(engine) as s:
        section = next(x for x in home.pending_work(s, actor=actor_of("xinmin")) if x["title"] == "监测预警")
        assert all(x["title"] != "监测预警" for x in home.pending_work(s, actor=actor_of("lingdao")))
        assert next(x for x in home.pending_work(s, actor=actor_of("shaping")) if x["title"] == "监测预警")["count"] == 0
    assert section["count"] == 2 and section["href"] == "/warnings"
    assert section["items"][0] == "未办结 2 条，其中超期 1 条"
    assert section["items"][1].startswith("已超期 ") and "陈迟户" in section["items"][1]


# --- the demo ---------------------------------------------------------------------------------------

def test_the_demo_shows_every_step_of_the_loop(engine):
    from lowincome_portal.db.tables import ImportBatch
    from lowincome_portal.demo.households import seed_demo_households
    from lowincome_portal.demo.monitoring import seed_demo_warnings
    from lowincome_portal.demo.referrals import seed_demo_referrals

    with unit_of_work(engine) as s:
        seed_demo_households(s)
        s.flush()
        seed_demo_referrals(s)
        s.flush()
        count = seed_demo_warnings(s)
    with Session(engine) as s:
        rows = s.exec(select(RiskWarning)).all()
        batch = s.exec(select(ImportBatch)).one()
        need = s.exec(select(Need).where(Need.source == "warning")).one()
    assert count == len(rows) == 8
    assert (batch.status, batch.matched, batch.unmatched, batch.invalid, batch.warnings_raised) == ("done", 12, 1, 1, 8)
    assert {r.rule_code for r in rows} == {"medical_annual", "inpatient_stay", "uninsured", "outpatient_month"}
    assert {r.status for r in rows} == {"pending", "verifying", "handled", "fed_back"}
    handled = next(r for r in rows if r.status == "handled")
    assert handled.need_id == need.id and handled.referral_id and need.source_ref == f"预警#{handled.id}"
    assert any(r.escalated_on for r in rows if r.status == "pending")
    with unit_of_work(engine) as s:
        assert seed_demo_warnings(s) == 0


# --- lasting conditions and moves -------------------------------------------------------------

def test_an_open_warning_is_not_raised_again_next_month_but_a_closed_one_may_be(engine, actor_of):
    xinmin = actor_of("xinmin")
    hid = add_household(engine, xinmin)
    wid = raise_warning(engine, hid)
    next_month = date(PERIOD.year + PERIOD.month // 12, PERIOD.month % 12 + 1, 1)
    with unit_of_work(engine) as s:
        spec = next(r for r in monitoring_rules.active_rules(s, next_month) if r.code == "medical_annual")
        hits = pd.DataFrame({"household_id": [hid], "member_id": [None], "value": [13000.0],
                             "threshold": [5000.0], "evidence": ["年度累计医疗自付费用 13,000.00 元"]})
        # still being verified: the year-to-date cost is not a second warning
        assert warning_writer.write(s, hits=hits, rule=spec, period=next_month, source="medical_insurance",
                                    batch_id=None, actor=None, today=DAY) == 0
    run(engine, warnings.assign, xinmin, warning_id=wid, today=DAY)
    run(engine, warnings.handle, xinmin, warning_id=wid, verify_result="not_confirmed", verify_note="已报销",
        disposition="no_action", disposition_note="医保二次报销后自付不高", today=DAY)
    run(engine, warnings.feed_back, xinmin, warning_id=wid, feedback="不属实，已告知医保局", today=DAY)
    with unit_of_work(engine) as s:
        assert warning_writer.write(s, hits=hits, rule=spec, period=next_month, source="medical_insurance",
                                    batch_id=None, actor=None, today=DAY) == 1


def test_a_warning_moves_with_its_household(engine, actor_of):
    xinmin = actor_of("xinmin")
    hid = add_household(engine, xinmin)
    wid = raise_warning(engine, hid)
    run(engine, households.update_household, xinmin, household_id=hid, changes={"area_code": "500231100201"})
    assert warning(engine, wid).area_code == "500231100201"
    # the old village's clerk no longer reaches it
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        warnings.warning_detail(s, actor=actor_of("fenghuang"), warning_id=wid, today=DAY)
