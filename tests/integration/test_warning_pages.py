"""The warning pages driven as the browser drives them: the inbox for a township (its own
warnings only) and for the county (the township table, its own department first); filters
and paging; one warning taken, handled with a referral and fed back through the page's
handlers, with the links to what handling started; refusals for another township, leaders
and partners, with nothing changed; the department file import page: refused to township
staff, a good file and a failed one (kept in the batch list)."""

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import (
    AuditEntry,
    ImportBatch,
    Need,
    Organisation,
    Referral,
    RiskWarning,
    RiskWarningEvent,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.reporting import previous_month
from lowincome_portal.pages.monitoring_import import MonitoringImportState, _run, monitoring_import_page
from lowincome_portal.pages.registry_import import Progress
from lowincome_portal.pages.warnings import WarningListState, WarningState, warning_page, warnings_page
from lowincome_portal.services import households, monitoring_rules, warning_writer
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id
from tests.page_states import state_for, settle

FENGHUANG, HONGYAN = "500231100200", "500231101200"  # 新民镇凤凰村, 沙坪镇红岩村
XINMIN = "500231100000"
DENIED = "您没有执行此操作的权限"
YIBAO = "垫江县医疗保障局"
TODAY = today_in_china()
PERIOD = previous_month(TODAY)
HEAD_FH = make_id(birth=date(1961, 3, 4), seq=511)
HEAD_HY = make_id(birth=date(1958, 7, 8), seq=513)


def raise_warning(engine, household_id, rule="medical_annual", value=16000.0, threshold=15000.0) -> int:
    """A warning as the department import writes it."""
    with unit_of_work(engine) as s:
        spec = next(r for r in monitoring_rules.active_rules(s, PERIOD) if r.code == rule)
        hits = pd.DataFrame({"household_id": [household_id], "member_id": [None], "value": [value],
                             "threshold": [threshold], "evidence": [f"年度累计医疗自付费用 {value:,.2f} 元"]})
        assert warning_writer.write(s, hits=hits, rule=spec, period=PERIOD, source="medical_insurance",
                                    batch_id=None, actor=None, today=TODAY) == 1
        return s.exec(select(RiskWarning.id).where(RiskWarning.household_id == household_id,
                                                   RiskWarning.rule_code == rule)).one()


@pytest.fixture
def warned(engine, actor_of):
    """A 凤凰村 household (新民镇) with a high medical warning and an overdue low outpatient
    one, and a 红岩村 household (沙坪镇) with a medical warning."""
    with unit_of_work(engine) as s:
        fh = households.create_household(s, actor=actor_of("xinmin"), household={"area_code": FENGHUANG,
                                                                                 "address": "凤凰村3组"},
                                         head={"name": "钱老汉", "id_number": HEAD_FH})
        hy = households.create_household(s, actor=actor_of("shaping"), household={"area_code": HONGYAN,
                                                                                  "address": "红岩村1组"},
                                         head={"name": "孙大娘", "id_number": HEAD_HY})
    ids = {"fh": raise_warning(engine, fh), "fh_low": raise_warning(engine, fh, "outpatient_month", 600, 500),
           "hy": raise_warning(engine, hy), "fh_household": fh, "hy_household": hy}
    with unit_of_work(engine) as s:  # the outpatient warning is past its deadline
        row = s.get(RiskWarning, ids["fh_low"])
        row.due_on = TODAY - timedelta(days=3)
        s.add(row)
    return ids


def snapshot(engine):
    with Session(engine) as s:
        return ([tuple(r) for r in s.exec(select(RiskWarning.id, RiskWarning.status, RiskWarning.version,
                                                 RiskWarning.assigned_to, RiskWarning.need_id, RiskWarning.feedback)
                                          .order_by(RiskWarning.id)).all()],
                tuple(s.exec(select(func.count()).select_from(t)).one()
                      for t in (RiskWarningEvent, Need, Referral, ImportBatch, AuditEntry)))


def inbox(engine, username):
    state = state_for(WarningListState, engine, username)
    settle(WarningListState.on_enter.fn(state))
    return state


def detail(engine, username, warning_id, monkeypatch):
    monkeypatch.setattr(WarningState, "_route_arg",
                        lambda self, name: str(warning_id) if name == "warning_id" else "")
    state = state_for(WarningState, engine, username)
    settle(WarningState.on_enter.fn(state))
    return state


def test_pages_build():
    for page in (warnings_page, warning_page, monitoring_import_page):
        assert page() is not None


# --- the inbox ------------------------------------------------------------------------------------

def test_township_inbox_shows_its_own_warnings_and_filters(engine, warned):
    state = inbox(engine, "xinmin")
    assert state.page_access == "ok" and state.error == ""
    assert not state.can_overview and state.townships == []
    assert state.filters["department"] == ""  # township staff see every department's warnings
    assert {r["head_name"] for r in state.rows} == {"钱老汉"} and state.total == 2
    assert state.rows[0]["id"] == str(warned["fh_low"])  # overdue first
    assert state.rows[0]["overdue"] == "1" and state.rows[0]["href"] == f"/warnings/{warned['fh_low']}"
    assert state.rows[1]["household_href"] == f"/households/{warned['fh_household']}"
    assert [o["value"] for o in state.township_options] == [XINMIN]

    settle(WarningListState.apply_filters.fn(state, {"severity": "high"}))
    assert state.error == "" and [r["id"] for r in state.rows] == [str(warned["fh"])]
    settle(WarningListState.apply_filters.fn(state, {"overdue": "on"}))
    assert [r["id"] for r in state.rows] == [str(warned["fh_low"])] and state.filters["overdue"] == "1"
    settle(WarningListState.apply_filters.fn(state, {"q": "孙"}))
    assert state.rows == [] and state.total == 0  # 沙坪镇's household is not in 新民镇's inbox
    settle(WarningListState.apply_filters.fn(state, {"status": "fed_back"}))
    assert state.rows == []
    settle(WarningListState.apply_filters.fn(state, {"status": "open", "rule": "medical_annual"}))
    assert [r["id"] for r in state.rows] == [str(warned["fh"])]
    settle(WarningListState.clear_filters.fn(state))
    assert state.total == 2 and state.filters["status"] == ""
    settle(WarningListState.next_page.fn(state))
    assert state.page == 1 and state.error == ""


def test_county_inbox_has_the_township_table_and_its_department(engine, warned):
    state = inbox(engine, "minzheng")
    assert state.page_access == "ok" and state.can_overview
    assert state.filters["department"] == "civil"  # its own department (rules of both show too)
    assert state.total == 3
    by_name = {t["name"]: t for t in state.townships}
    assert by_name["新民镇"]["pending"] == "2" and by_name["新民镇"]["overdue"] == "1"
    assert by_name["沙坪镇"]["pending"] == "1" and by_name["沙坪镇"]["overdue"] == "0"
    settle(WarningListState.apply_filters.fn(state, {"township": "500231101000"}))
    assert {r["head_name"] for r in state.rows} == {"孙大娘"}
    settle(WarningListState.apply_filters.fn(state, {"township": "bad"}))
    assert state.error  # a message, not a crash
    assert inbox(engine, "nongye").filters["department"] == "agri"


@pytest.mark.parametrize("username", ["lingdao", "cishan", "admin"])
def test_the_inbox_is_denied_to_others(engine, warned, username):
    state = inbox(engine, username)
    assert state.page_access == "denied" and state.rows == []
    settle(WarningListState.apply_filters.fn(state, {}))
    assert state.error == DENIED and state.rows == []


# --- one warning ----------------------------------------------------------------------------------

def test_a_warning_is_taken_handled_with_a_referral_and_fed_back(engine, warned, monkeypatch):
    wid = warned["fh"]
    state = detail(engine, "fenghuang", wid, monkeypatch)
    assert state.error == "" and state.warning["id"] == str(wid)
    assert state.warning["rule_name"] and state.warning["status"] == "pending"
    assert state.household["head_name"] == "钱老汉"
    assert state.household["href"] == f"/households/{warned['fh_household']}"
    assert state.can_assign and not state.can_handle and not state.can_feedback
    assert [s["action_label"] for s in state.steps] == ["生成预警"]
    settle(WarningState.assign_me.fn(state))
    assert state.error == "" and state.info.startswith("已指派核查")
    assert state.warning["status"] == "verifying" and state.warning["assignee"] == "赵丽（新民镇凤凰村）"

    # the township handles it: confirmed, a referral to the medical insurance bureau
    state = detail(engine, "xinmin", wid, monkeypatch)
    assert state.can_handle and not state.can_assign
    medical = next(k for k in state.kinds if k["value"] == "medical")
    assert medical["label"].startswith("医疗救助")
    settle(WarningState.pick_kind.fn(state, "medical"))
    assert state.need_mode == "assigned" and any(d["label"].startswith(YIBAO) for d in state.departments)
    with Session(engine) as s:
        yibao = s.exec(select(Organisation.id).where(Organisation.name == YIBAO)).one()
    settle(WarningState.pick_verify_result.fn(state, "confirmed"))
    settle(WarningState.pick_disposition.fn(state, "referral"))
    settle(WarningState.handle.fn(state, {"verify_note": "入户核实，户主两次住院", "description": "申请医疗救助",
                                   "amount": "6000", "urgency": "urgent", "organisation_id": str(yibao),
                                   "disposition_note": ""}))
    assert state.error == "", state.error
    assert state.info == "已记录核查与处置结果" and state.warning["status"] == "handled"
    assert state.referral["href"].startswith("/referrals/") and state.referral["organisation_name"] == YIBAO
    assert state.need["kind_label"] == "医疗救助"
    assert state.can_feedback and not state.can_handle

    # feedback is refused without text, then recorded
    before = snapshot(engine)
    settle(WarningState.feed_back.fn(state, {"feedback": "  "}))
    assert state.error == "请填写反馈内容" and snapshot(engine) == before
    settle(WarningState.feed_back.fn(state, {"feedback": "医保局已受理医疗救助"}))
    assert state.error == "" and state.info == "已反馈，预警办结"
    assert state.warning["status"] == "fed_back" and state.warning["feedback"] == "医保局已受理医疗救助"
    assert [s["action_label"] for s in state.steps] == ["生成预警", "指派核查", "处置", "反馈"]
    assert not (state.can_assign or state.can_handle or state.can_feedback)


def test_not_confirmed_needs_no_action_with_a_reason_and_a_stale_page_is_refused(engine, warned, monkeypatch):
    wid = warned["fh_low"]
    first = detail(engine, "xinmin", wid, monkeypatch)
    second = detail(engine, "fenghuang", wid, monkeypatch)
    settle(WarningState.assign.fn(first, {"assignee_id": ""}))
    assert first.error == "" and first.warning["status"] == "verifying"
    before = snapshot(engine)
    settle(WarningState.assign_me.fn(second))  # the clerk's page still shows 待核查
    assert second.error in ("该预警已被他人处理，请刷新", "该预警当前为“核查中”，不能指派核查")
    assert snapshot(engine) == before

    settle(WarningState.pick_verify_result.fn(first, "not_confirmed"))
    assert first.disposition == "no_action"
    settle(WarningState.handle.fn(first, {"verify_note": "门诊费用系医保报销前金额", "disposition_note": ""}))
    assert first.error == "选择“无需处置”须说明理由" and snapshot(engine) == before
    settle(WarningState.handle.fn(first, {"verify_note": "门诊费用系医保报销前金额", "disposition_note": "实际自付不足 100 元"}))
    assert first.error == "" and first.warning["verify_result_label"] == "情况不属实"
    assert first.warning["disposition_label"] == "无需处置" and first.referral == {}


@pytest.mark.parametrize("username", ["shaping", "lingdao", "cishan"])
def test_others_are_refused_and_nothing_changes(engine, warned, monkeypatch, username):
    wid = warned["fh"]
    state = detail(engine, username, wid, monkeypatch)
    assert state.warning == {} and not state.can_assign
    if username == "shaping":
        assert state.page_access == "ok" and state.error  # another township's warning is not shown
    else:
        assert state.page_access == "denied"
    state._warning_id, state._version = wid, 1  # a hostile client calls the handlers anyway
    before = snapshot(engine)
    settle(WarningState.assign_me.fn(state))
    assert state.error and state.warning == {}
    settle(WarningState.assign.fn(state, {"assignee_id": "1"}))
    assert state.error
    settle(WarningState.handle.fn(state, {"verify_note": "x", "disposition_note": "x"}))
    assert state.error
    settle(WarningState.feed_back.fn(state, {"feedback": "x"}))
    assert state.error
    if username != "shaping":
        assert state.error == DENIED
    assert snapshot(engine) == before


def test_a_village_clerk_may_not_feed_back(engine, warned, monkeypatch):
    wid = warned["fh_low"]
    page = detail(engine, "fenghuang", wid, monkeypatch)
    settle(WarningState.assign_me.fn(page))
    settle(WarningState.pick_verify_result.fn(page, "not_confirmed"))
    settle(WarningState.handle.fn(page, {"verify_note": "已核实", "disposition_note": "费用已报销"}))
    assert page.error == "" and page.warning["status"] == "handled" and not page.can_feedback
    before = snapshot(engine)
    settle(WarningState.feed_back.fn(page, {"feedback": "已办"}))
    assert page.error == DENIED and snapshot(engine) == before


# --- the department file import -------------------------------------------------------------------

HEADERS = "身份证号,姓名,数据月份,年度累计自付,参保状态"


def medical_file(*rows) -> bytes:
    return ("\n".join([HEADERS, *rows]) + "\n").encode("utf-8")


def test_the_import_page_is_refused_to_township_staff(engine):
    state = state_for(MonitoringImportState, engine, "xinmin")
    settle(MonitoringImportState.on_enter.fn(state))
    assert state.page_access == "denied" and state.sources == [] and state.batches == []
    assert settle(MonitoringImportState.download_template.fn(state)) is None
    assert state.error == DENIED
    settle(MonitoringImportState.refresh.fn(state))
    assert state.error == DENIED and state.batches == []


def test_the_import_page_loads_sources_and_downloads_a_template(engine):
    state = state_for(MonitoringImportState, engine, "minzheng")
    settle(MonitoringImportState.on_enter.fn(state))
    assert state.page_access == "ok" and state.error == ""
    assert state.source_code == "medical_insurance" and len(state.sources) == 9
    assert state.period == f"{PERIOD.year:04d}-{PERIOD.month:02d}"
    settle(MonitoringImportState.pick_source.fn(state, "school_enrolment"))
    assert state.source_code == "school_enrolment"
    assert settle(MonitoringImportState.download_template.fn(state)) is not None and state.error == ""
    settle(MonitoringImportState.pick_source.fn(state, "nonsense"))
    assert state.source_code == ""
    assert settle(MonitoringImportState.download_template.fn(state)) is None and state.error == "请选择数据来源"


def test_the_import_runs_and_a_failed_file_is_kept_in_the_batch_list(engine, actor_of, warned):
    minzheng = actor_of("minzheng")
    month = f"{PERIOD.year:04d}-{PERIOD.month:02d}"
    progress = Progress()
    stranger = make_id(area="500102", birth=date(1990, 1, 2), seq=5)  # valid, not in the registry
    data = medical_file(f"{HEAD_FH},钱老汉,{month},30000,未参保", f"{stranger},某某,{month},0,正常",
                        f"123,错号,{month},0,正常")
    report = _run(minzheng, "医保.csv", data, progress, source_code="medical_insurance", period=PERIOD)
    assert not report.failed, report.message
    assert (report.rows_read, report.matched, report.unmatched, report.invalid) == (3, 1, 1, 1)
    assert report.batch_id and progress.percent() == 100
    # 钱老汉 already has this month's medical warning; 未参保 is new
    assert report.warnings_raised == 1
    again = _run(minzheng, "医保.csv", data, Progress(), source_code="medical_insurance", period=PERIOD)
    assert again.same_file_as == report.batch_id and again.warnings_raised == 0

    bad = _run(minzheng, "医保.csv", b"\xe5\xa7\x93\xe5\x90\x8d\n\xe5\xbc\xa0\n", Progress(),
               source_code="medical_insurance", period=PERIOD)
    assert bad.failed and bad.batch_id
    with Session(engine) as s:
        assert s.get(ImportBatch, bad.batch_id).status == "failed"

    # the page shows the report and both batches
    state = state_for(MonitoringImportState, engine, "minzheng")
    settle(MonitoringImportState.on_enter.fn(state))
    state._show("医保.csv", report)
    assert state.counts["rows_read"] == "3" and state.counts["warnings_raised"] == "1" and not state.failed
    assert state.error_count == 1 and state.errors[0]["row"] == "4"
    assert state.unmatched_count == 1 and "*" in state.unmatched[0]["id_number"]
    state._show("医保.csv", again)
    assert state.counts["same_file_as"] == str(report.batch_id)
    state._show("医保.csv", bad)
    assert state.failed and state.result.startswith("“医保.csv”未导入")
    assert [b["status"] for b in state.batches[:3]] == ["failed", "done", "done"]
    assert state.batches[0]["status_label"] == "失败" and state.batches[1]["imported_by"]




def test_the_upload_handler_refuses_township_staff_and_an_empty_choice(engine):
    state = state_for(MonitoringImportState, engine, "xinmin")
    assert settle(MonitoringImportState.upload.fn(state, [])) is None
    assert state.error == DENIED and not state.running
    state = state_for(MonitoringImportState, engine, "minzheng")
    settle(MonitoringImportState.on_enter.fn(state))
    settle(MonitoringImportState.upload.fn(state, []))
    assert state.error == "请先选择要导入的 Excel 或 CSV 文件" and not state.running
    settle(MonitoringImportState.pick_period.fn(state, ""))
    settle(MonitoringImportState.upload.fn(state, []))
    assert state.error == "请选择数据月份" and not state.running
