"""The monthly report page and the leaders' summary driven as the browser drives them: the
county sees the county and every township, township staff their own township only (a forged
choice is refused with nothing generated); a generation runs in the background into the
archive, whose files download for those who may see the area and nobody else; the summary
drills down to a township and back, refuses township and village staff, and carries no
person's name."""

import base64
import json
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import AuditEntry, Household, Member, MonthlyReport
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import seed_demo
from lowincome_portal.pages import reports as report_page
from lowincome_portal.pages.reports import ReportsState, reports_page
from lowincome_portal.pages.summary import SummaryState, summary_page
from lowincome_portal.services.households import today_in_china
from tests.page_states import state_for, settle
from tests.report_samples import sample_report, sample_trend

COUNTY, XINMIN, SHAPING, FENGHUANG = "500231000000", "500231100000", "500231101000", "500231100200"
DENIED = "您没有执行此操作的权限"
TODAY = today_in_china()
LAST_MONTH = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture
def demo(engine):
    """The demo households, applications, meeting, referrals and warnings on top of the county."""
    with unit_of_work(engine) as s:
        seed_demo(s)
    return engine




def reports_for(engine, username):
    state = state_for(ReportsState, engine, username)
    settle(ReportsState.on_enter.fn(state))
    return state


def report_count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(MonthlyReport)).one()


def download_of(result) -> tuple[str, bytes]:
    """(filename, bytes) of the rx.download a handler returned."""
    args = {str(name): value._var_value for name, value in result.args}
    return args["filename"], base64.b64decode(args["url"].split(",", 1)[1])


def test_the_county_sees_the_county_and_every_township(demo):
    state = reports_for(demo, "minzheng")
    assert state.page_access == "ok" and state.error == ""
    assert state.areas[0]["value"] == COUNTY and state.area_code == COUNTY
    labels = [a["label"] for a in state.areas]
    assert "新民镇" in labels and "沙坪镇" in labels
    assert state.period == f"{LAST_MONTH.year:04d}-{LAST_MONTH.month:02d}"
    assert state.can_generate
    # the page opens on last month's report of the county
    assert state.shown and state.is_county and state.tags and state.townships

    settle(ReportsState.show.fn(state))
    assert state.error == "" and state.shown and state.is_county
    assert "垫江县" in state.title
    assert state.tags[-1]["label"] == "合计" and len(state.tags) >= 2
    total = state.tags[-1]
    # the opening balance plus new minus exited is the closing balance, as the page shows it
    assert (int(total["households_start"]) + int(total["households_new"]) - int(total["households_exited"])
            == int(total["households_end"]))
    assert all(isinstance(p["start"], float) for p in state.tag_chart)
    assert len(state.changes) == 9 and {c["mom_dir"] for c in state.changes} <= {"up", "down", ""}
    # one row per township of the county, ranked, each with its code
    assert len(state.townships) == len(state.areas) - 1
    assert [t["rank"] for t in state.townships] == [str(n) for n in range(1, len(state.townships) + 1)]
    assert {t["code"] for t in state.townships} == {a["value"] for a in state.areas[1:]}
    assert len(state.trend) == 12 and state.trend[-1]["month"] == state.period
    assert state.application_totals[0]["label"] == "受理申请"

    # a township chosen from the list: its own report, no township table
    settle(ReportsState.pick_area.fn(state, XINMIN))
    assert not state.shown
    settle(ReportsState.show.fn(state))
    assert state.error == "" and not state.is_county and state.townships == []
    assert "新民镇" in state.title


def test_township_staff_get_their_township_only(engine):
    state = reports_for(engine, "xinmin")
    assert state.page_access == "ok" and state.shown and not state.is_county
    assert state.areas == [{"value": XINMIN, "label": "新民镇"}] and state.area_code == XINMIN
    for other in (COUNTY, SHAPING):
        settle(ReportsState.pick_area.fn(state, other))
        assert state.error == report_page.MSG_NO_AREA and state.area_code == XINMIN

    before_audit = _audit_count(engine)
    # A hostile client sets the vars itself (setvar): the services refuse, nothing is queued.
    for other in (COUNTY, SHAPING):
        state.areas = [{"value": XINMIN, "label": "新民镇"}, {"value": other, "label": "别处"}]
        state.area_code = other
        settle(ReportsState.show.fn(state))
        assert "只能查看本辖区（新民镇）" in state.error and not state.shown and state.tags == []
        assert settle(ReportsState.generate.fn(state)) is None
        assert "只能查看本辖区" in state.error and not state.running
    assert report_count(engine) == 0 and _audit_count(engine) == before_audit

    # a month that has not begun is refused too
    state.areas, state.area_code = [{"value": XINMIN, "label": "新民镇"}], XINMIN
    nxt = (TODAY.replace(day=1) + timedelta(days=32)).replace(day=1)
    settle(ReportsState.pick_period.fn(state, f"{nxt.year:04d}-{nxt.month:02d}"))
    settle(ReportsState.show.fn(state))
    assert "尚未开始" in state.error
    assert settle(ReportsState.generate.fn(state)) is None and "尚未开始" in state.error
    settle(ReportsState.pick_period.fn(state, ""))
    settle(ReportsState.show.fn(state))
    assert state.error == report_page.MSG_NO_MONTH
    assert report_count(engine) == 0

    # its own township, last month: shown, without the township table
    settle(ReportsState.pick_period.fn(state, f"{LAST_MONTH.year:04d}-{LAST_MONTH.month:02d}"))
    settle(ReportsState.show.fn(state))
    assert state.error == "" and state.shown and not state.is_county and state.townships == []


def _audit_count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(AuditEntry)
                      .where(AuditEntry.action.not_in(["login", "login_failed"]))).one()


@pytest.mark.parametrize("username", ["fenghuang", "cishan"])
def test_village_staff_and_partners_are_refused_the_page(engine, username):
    state = reports_for(engine, username)
    assert state.page_access == "denied" and state.areas == [] and state.archive == []
    settle(ReportsState.show.fn(state))
    assert state.error == DENIED and not state.shown


def test_generation_runs_in_the_background_and_the_files_download_for_the_right_users(demo):
    state = reports_for(demo, "xinmin")
    assert state.archive == []
    # the background task alone (a client calling it directly) has nothing to run
    assert settle(ReportsState.run_generation.fn(state)) is None
    assert not state.running and report_count(demo) == 0
    follow = settle(ReportsState.generate.fn(state))
    assert follow is not None and state.running and state.error == ""
    assert [r["status"] for r in state.archive] == ["queued"]
    report_id = state.archive[0]["id"]

    settle(ReportsState.run_generation.fn(state))
    assert not state.running and state.progress == 100 and state.error == ""
    assert "报告已生成" in state.info
    row = state.archive[0]
    assert row["id"] == report_id and row["status"] == "done" and row["status_label"] == "已完成"
    assert row["has_pdf"] == row["has_xlsx"] == "1" and row["seconds"].endswith("秒")
    assert row["area_name"] == "新民镇" and row["requested_by"].startswith("王芳")

    filename, data = download_of(settle(ReportsState.download.fn(state, report_id, "pdf")))
    assert filename.endswith(".pdf") and "新民镇" in filename and data.startswith(b"%PDF")
    filename, data = download_of(settle(ReportsState.download.fn(state, report_id, "xlsx")))
    assert filename.endswith(".xlsx") and data.startswith(b"PK")

    # the county sees it in its archive and may download it
    county = reports_for(demo, "minzheng")
    assert report_id in {r["id"] for r in county.archive}
    assert settle(ReportsState.download.fn(county, report_id, "pdf")) is not None and county.error == ""

    # another township, a village clerk and a partner may not
    shaping = reports_for(demo, "shaping")
    assert report_id not in {r["id"] for r in shaping.archive}
    before = _audit_count(demo)
    assert settle(ReportsState.download.fn(shaping, report_id, "pdf")) is None
    assert "只能" in shaping.error or shaping.error == DENIED
    for username in ("fenghuang", "cishan"):
        other = state_for(ReportsState, demo, username)
        assert settle(ReportsState.download.fn(other, report_id, "xlsx")) is None and other.error == DENIED
        assert settle(ReportsState.generate.fn(other)) is None and other.error == DENIED
    assert _audit_count(demo) == before
    # a report that does not exist
    assert settle(ReportsState.download.fn(state, "999999", "pdf")) is None and state.error == "报告不存在"
    assert report_count(demo) == 1


def test_a_generation_survives_a_failed_progress_read(demo, monkeypatch):
    """"database is locked" while polling the bar: the page keeps the last progress and still
    reports the finished generation (the worker never stopped)."""
    state = reports_for(demo, "xinmin")

    def locked(*_a, **_k):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(report_page, "_progress_of", locked)
    assert settle(ReportsState.generate.fn(state)) is not None
    settle(ReportsState.run_generation.fn(state))
    assert state.error == "" and "报告已生成" in state.info and not state.running
    assert state.archive[0]["status"] == "done"


def test_the_same_report_is_not_generated_twice_at_once(demo):
    """`running` is the browser's to set; the service refuses while the month is being generated."""
    state = reports_for(demo, "xinmin")
    assert settle(ReportsState.generate.fn(state)) is not None and state.running
    second = reports_for(demo, "xinmin")  # another tab, or the same one with running set false
    assert not second.running
    assert settle(ReportsState.generate.fn(second)) is None
    assert second.error == "该月度报告正在生成，请稍候" and not second.running
    state.running = False  # forged on the first tab
    assert settle(ReportsState.generate.fn(state)) is None and state.error == "该月度报告正在生成，请稍候"
    assert report_count(demo) == 1


def test_another_user_signing_in_on_the_tab_sees_nothing_of_the_earlier_one(demo, monkeypatch):
    """The county's report on screen and a generation under way when 沙坪镇's clerk signs in on
    the same tab: the page clears, and the finished generation is not loaded into their view."""
    state = reports_for(demo, "minzheng")
    assert state.shown and state.is_county and state.townships
    shaping_token = state_for(ReportsState, demo, "shaping").token
    assert settle(ReportsState.generate.fn(state)) is not None and state.running
    county_report = state.archive[0]["id"]
    real_run = report_page.reports.run

    def signed_in_meanwhile(report_id):
        state.token = shaping_token
        settle(ReportsState.on_enter.fn(state))
        return real_run(report_id)

    monkeypatch.setattr(report_page.reports, "run", signed_in_meanwhile)
    settle(ReportsState.run_generation.fn(state))
    assert state.user_name and not state.running and state.error == ""
    assert "报告已生成" not in state.info
    assert not state.is_county and state.townships == [] and "沙坪镇" in state.title
    assert county_report not in {r["id"] for r in state.archive}
    with Session(demo) as s:  # the county's generation itself finished
        assert s.get(MonthlyReport, int(county_report)).status == "done"

    # and a plain re-entry by the next user clears what the last one saw
    settle(ReportsState.pick_area.fn(state, SHAPING))
    state.title, state.tags = "垫江县 月度报告", [{"label": "旧"}]
    settle(ReportsState.on_enter.fn(state))
    assert state.title != "垫江县 月度报告" and {"label": "旧"} not in state.tags


def test_the_page_draws_a_full_report():
    """Every section of the sample report reaches the page as text (and the charts as numbers)."""
    state = ReportsState(_reflex_internal_init=True)
    report = sample_report() | {"trend": sample_trend()}
    state._show(report)
    assert state.shown and state.is_county and state.title == "垫江县 2026年11月 月度报告"
    assert [t["label"] for t in state.tags][-1] == "合计" and state.tags[0]["households_end"] == "1243"
    assert state.tag_chart[0] == {"label": "低保", "start": 1236.0, "end": 1243.0}
    assert len(state.tag_chart) == 6  # no bar for 合计
    totals = {t["key"]: t["value"] for t in state.application_totals}
    assert totals["received"] == "62" and totals["median_working_days"] == "12.5"
    assert [t["label"] for t in state.tracks] == ["救助申请", "防返贫监测"]
    assert state.rules[0]["label"] == "年度医疗自付费用过高" and state.rules[0]["raised"] == "14"
    assert {t["key"]: t["value"] for t in state.referral_totals}["amount"] == "161,930.50"
    assert state.kinds[1]["amount"] == "61,830.50" and state.kind_chart[0]["dispatched"] == 21.0
    assert state.partners[0]["label"] == "垫江县慈善会"
    assert {t["key"]: t["value"] for t in state.burden_totals}["prefilled_share"] == "75.0%"
    assert {t["key"]: t["value"] for t in state.meeting_totals}["held"] == "22"
    households = next(c for c in state.changes if c["key"] == "households_end")
    assert households["value"] == "2411" and households["mom"] == "+0.6%" and households["mom_dir"] == "up"
    first = state.townships[0]
    assert first["name"] == "新民镇" and first["code"] == "500231100000" and first["overdue_rate"] == "30.0%"
    assert state.townships[-1]["overdue_rate"] == "—"  # nothing open: no rate
    assert [p["month"] for p in state.trend][-1] == "2026-11" and state.trend[-1]["applications_received"] == 62.0

    township = ReportsState(_reflex_internal_init=True)
    township._show(sample_report(county=False))
    assert not township.is_county and township.townships == []


def test_the_summary_for_the_leaders(demo):
    state = state_for(SummaryState, demo, "lingdao")
    settle(SummaryState.on_enter.fn(state))
    assert state.page_access == "ok" and state.error == ""
    assert state.area_name == "垫江县" and not state.drilled
    assert state.period == f"{LAST_MONTH.year:04d}-{LAST_MONTH.month:02d}"
    assert len(state.cards) == 9 and all(c["label"] and c["value"] for c in state.cards)
    assert len(state.trend) == 12 and state.trend[-1]["month"] == state.period
    assert state.townships and all(t["code"] and t["name"] for t in state.townships)
    rates = [t["overdue_rate"] for t in state.townships]
    assert rates  # ranked by the service; shown as percentages or a dash
    assert all(r == "—" or r.endswith("%") for r in rates)

    settle(SummaryState.drill.fn(state, XINMIN))
    assert state.error == "" and state.drilled and state.area_name == "新民镇" and state.area_code == XINMIN
    assert state.townships == [] and len(state.cards) == 9
    settle(SummaryState.back.fn(state))
    assert not state.drilled and state.area_name == "垫江县" and state.townships

    # an earlier month, a month to come, a village
    earlier = (LAST_MONTH - timedelta(days=1)).replace(day=1)
    settle(SummaryState.pick_period.fn(state, f"{earlier.year:04d}-{earlier.month:02d}"))
    assert state.error == "" and state.period == f"{earlier.year:04d}-{earlier.month:02d}"
    nxt = (TODAY.replace(day=1) + timedelta(days=32)).replace(day=1)
    settle(SummaryState.pick_period.fn(state, f"{nxt.year:04d}-{nxt.month:02d}"))
    assert "尚未开始" in state.error and state.period == f"{earlier.year:04d}-{earlier.month:02d}"
    settle(SummaryState.drill.fn(state, FENGHUANG))
    assert state.error and not state.drilled and state.area_name == "垫江县"

    # counts only: no name of any person of the demo households anywhere in the state
    with Session(demo) as s:
        names = set(s.exec(select(Household.head_name)).all()) | set(s.exec(select(Member.name)).all())
    assert len(names) >= 15
    text = json.dumps(state.dict(), ensure_ascii=False, default=str)
    assert not [n for n in names if n and n in text]


@pytest.mark.parametrize("username", ["xinmin", "fenghuang"])
def test_township_and_village_staff_are_refused_the_summary(engine, username):
    state = state_for(SummaryState, engine, username)
    settle(SummaryState.on_enter.fn(state))
    assert state.page_access == "denied" and state.cards == [] and state.townships == []
    settle(SummaryState.drill.fn(state, XINMIN))
    assert state.error == DENIED and state.cards == []


def test_both_pages_build():
    assert reports_page() is not None and summary_page() is not None
