"""Monthly reports (月度报告) and the county leaders' summary (领导驾驶舱), docs/reporting.md.

`build_report` gives one area's report for one month as plain data (the figures of
services/report_data.py, the change against the month before and the same month last year,
the 12-month trend and, for the county, the township table). `request` queues a generation
in the archive (`monthly_report`) and `run` carries it out in the background: the figures,
the PDF (documents/report_pdf) and the Excel workbook (services/report_workbook) are kept
in the row, with each state change (running, progress, done or failed) committed in its
own short transaction so the page can follow it. `archive` lists what was generated and
`report_file` hands a file back (and writes the download into the audit trail).

A generation left queued or running for longer than `STALE_AFTER` (the server restarted
mid-run, or even the bare "failed" write was lost) is stale: `run` may take it over, the
archive shows it as interrupted and a new request for the same area and month is allowed.
Only one generation renders at a time in the process (`_RENDERING`).

A report holds counts and amounts only - never a name, an ID number, a phone or an address -
so the same rights that let someone see an area's figures let them see the whole report.
"""

import json
import logging
import threading
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ..db.tables import Area, MonthlyReport, User
from ..db.timeutil import as_utc, china_text, utcnow
from ..db.uow import unit_of_work
from ..domain import areas as area_rules
from ..domain import reporting as rules
from ..domain.errors import NotFound, PermissionDenied, PortalError, ValidationError
from ..domain.permissions import Actor, Scope, can, require
from . import audit, report_data
from .households import today_in_china
from .resources import area_range

log = logging.getLogger(__name__)

MSG_NO_AREA = "请选择全县或一个乡镇（街道）"
MSG_UNKNOWN_AREA = "区域“{code}”不存在"
MSG_AREA_LEVEL = "月度报告按全县或乡镇（街道）生成，不能选择村（社区）"
MSG_OUTSIDE = "您只能查看本辖区（{area}）的月度报告"
MSG_MONTH = "请选择报告月份（如 2026-10）"
MSG_FUTURE = "{month}尚未开始，不能生成该月报告"
MSG_NO_REPORT = "报告不存在"
MSG_NOT_READY = "该报告尚未生成完成，请稍后再下载"
MSG_KIND = "文件类型只能是 PDF 或 Excel"
MSG_FAILED = "报告生成失败：{reason}。请稍后重试，或联系系统管理员"
MSG_FAILED_UNKNOWN = "报告生成失败，请稍后重试，或联系系统管理员"
MSG_NOT_SAVED = "报告生成后未能保存（数据库繁忙或连接中断），请重新生成"
MSG_IN_PROGRESS = "该月度报告正在生成，请稍候"

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_LABELS = {QUEUED: "排队中", RUNNING: "生成中", DONE: "已完成", FAILED: "失败"}
STALE_TEXT = "生成中断（请重新生成）"
# A queued or running generation requested longer ago than this has been lost (a report
# takes seconds to a couple of minutes, even waiting behind another one): an operational
# timeout, not a policy figure, so a constant rather than a catalogue parameter.
STALE_AFTER = timedelta(minutes=15)
# One generation renders at a time in the process: compose, the charts, WeasyPrint and the
# workbook are CPU-bound, and the server has few cores to share with the pages.
_RENDERING = threading.Semaphore(1)
KINDS = {"pdf": ("pdf", "application/pdf"),
         "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
MAX_ARCHIVE = 200


# --- checks -------------------------------------------------------------------------------------

def parse_period(value) -> date:
    """The first day of the month `value` names (a date, "2026-10", "2026-10-01", "2026年10月")."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value or "").strip().replace("年", "-").replace("月", "").replace("/", "-")
    parts = [p for p in text.split("-") if p]
    try:
        year, month = int(parts[0]), int(parts[1])
        return date(year, month, 1)
    except (IndexError, ValueError):
        raise ValidationError(MSG_MONTH) from None


def _area(session: Session, actor: Actor | None, action: str, area_code) -> Area:
    """The report's area (the county or a township), with `action` allowed there."""
    require(actor, action)  # the role first: who may not read reports learns nothing more
    code = str(area_code or "").strip() or (actor.area_code or "")
    if not code:
        raise ValidationError(MSG_NO_AREA)
    area = session.get(Area, code)
    if area is None:
        raise NotFound(MSG_UNKNOWN_AREA.format(code=code))
    if area_rules.level_of(code) == area_rules.VILLAGE:
        raise ValidationError(MSG_AREA_LEVEL)
    if not can(actor, action, Scope(area_code=code)):
        own = session.get(Area, actor.area_code) if actor.area_code else None
        raise PermissionDenied(MSG_OUTSIDE.format(area=own.name if own else "无"))
    return area


def _started(period, today: date | None) -> date:
    month = parse_period(period)
    today = today or today_in_china()
    if month > today.replace(day=1):
        raise ValidationError(MSG_FUTURE.format(month=report_data.period_text(month)))
    return month


# --- the report ---------------------------------------------------------------------------------

def compose(session: Session, *, area_code: str, period: date, progress=None) -> dict:
    """The report of an area and month, unchecked (build_report and run check first).

    One load of the month's frames serves both the figures and the township table; the
    main figures of the 13 months ending with the month come from one light grouped read
    (services/report_data.main_by_month) and give the change and the trend."""
    tell = progress or (lambda _p: None)
    period = period.replace(day=1)
    frames = report_data.load_frames(session, area_code=area_code, period=period, progress=tell)
    report = report_data.month_figures(session, area_code=area_code, period=period, frames=frames)
    tell(70)
    months = report_data._month_starts(period, 13)
    by_month = report_data.main_by_month(session, area_code=area_code, months=months)
    current = rules.main_figures(report)
    report["changes"] = rules.changes(current, by_month[rules.previous_month(period)],
                                      by_month[rules.same_month_last_year(period)])
    report["trend"] = [{"period": m.isoformat(), "period_text": report_data.period_text(m),
                        **(current if m == period else by_month[m])} for m in months[1:]]
    tell(80)
    if area_rules.level_of(area_code) == area_rules.COUNTY:
        report["townships"] = report_data.township_rows(session, area_code=area_code, period=period, frames=frames)
    report["level"] = area_rules.level_of(area_code)
    report["generated_at"] = china_text(utcnow())
    tell(85)
    return report


def build_report(session: Session, *, actor: Actor, area_code: str, period, progress=None,
                 today: date | None = None) -> dict:
    """One area's report for one month: month_figures plus `changes` (against M-1 and M-12),
    `trend` (12 months) and, for the county, `townships`. Refuses a month not yet begun, an
    area outside the actor's, an unknown area or a village."""
    area = _area(session, actor, "report.view", area_code)
    month = _started(period, today)
    return compose(session, area_code=area.code, period=month, progress=progress)


# --- generation in the archive ------------------------------------------------------------------

def _stale_before() -> datetime:
    return utcnow() - STALE_AFTER


def _is_stale(status: str, requested_at: datetime | None, before: datetime) -> bool:
    at = as_utc(requested_at)
    return status in (QUEUED, RUNNING) and at is not None and at < before


def request(session: Session, *, actor: Actor, area_code: str, period, today: date | None = None) -> int:
    """Queue the generation of a report (report.generate in the area); returns its id.
    Refuses while the same area and month is already queued or running (and not stale)."""
    area = _area(session, actor, "report.generate", area_code)
    month = _started(period, today)
    pending = session.exec(select(MonthlyReport.id).where(
        MonthlyReport.area_code == area.code, MonthlyReport.period == month,
        col(MonthlyReport.status).in_([QUEUED, RUNNING]),
        MonthlyReport.requested_at >= _stale_before())).first()
    if pending is not None:
        raise ValidationError(MSG_IN_PROGRESS)
    row = MonthlyReport(period=month, area_code=area.code, status=QUEUED, progress=0,
                        requested_by=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="monthly_report", entity_id=row.id,
                 new={"area_code": area.code, "period": month.isoformat(), "status": QUEUED},
                 note=f"申请生成{area.name}{report_data.period_text(month)}月度报告")
    return row.id


def _set(engine: Engine | None, report_id: int, **values) -> None:
    with unit_of_work(engine) as session:
        session.execute(update(MonthlyReport).where(col(MonthlyReport.id) == report_id).values(**values))


def _plain(value):
    """JSON for what the figures hold besides str/int/float (numpy numbers, dates, Decimal)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def to_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, default=_plain, allow_nan=False)


def run(report_id: int, *, engine: Engine | None = None) -> str:
    """Generate a queued report: figures, PDF and Excel into its row (done), or the reason it
    failed (failed). Each state change is committed on its own so the page sees progress.
    Returns the final status. A report running (and not stale) or done is left alone; a failed
    or stale one is taken over and generated again."""
    from ..documents import report_pdf  # imported here: matplotlib and WeasyPrint are slow to load
    from . import report_workbook

    with unit_of_work(engine) as session:
        row = session.get(MonthlyReport, report_id)
        if row is None:
            raise NotFound(MSG_NO_REPORT)
        before = _stale_before()
        stale = _is_stale(row.status, row.requested_at, before)
        if row.status not in (QUEUED, FAILED) and not stale:
            return row.status
        area_code, period, requested_by = row.area_code, row.period, row.requested_by
        values = {"status": RUNNING, "progress": 1, "error": ""}
        if stale or row.status == FAILED:
            values["requested_at"] = utcnow()  # started again: the stale clock starts again too
        # Taken only if still takeable now: of two workers taking over the same row, one wins
        # (a row-level compare-and-set, the same on SQLite and PostgreSQL).
        taken = session.execute(update(MonthlyReport).where(
            col(MonthlyReport.id) == report_id,
            or_(col(MonthlyReport.status).in_([QUEUED, FAILED]),
                and_(MonthlyReport.status == RUNNING, col(MonthlyReport.requested_at) < before)))
            .values(**values).execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            return RUNNING
    started = time.perf_counter()
    last = {"p": 1}

    def progress(percent: int) -> None:
        if percent > last["p"]:
            last["p"] = percent
            try:
                _set(engine, report_id, progress=int(percent))
            except Exception:  # noqa: BLE001 - the bar lags a step; the report itself goes on
                log.warning("monthly report %s: progress %s not saved", report_id, percent, exc_info=True)

    try:
        with _RENDERING:
            with Session(engine or _engine()) as session:
                report = compose(session, area_code=area_code, period=period, progress=progress)
            figures = to_json(report)
            pdf = report_pdf.render(report)
            progress(95)
            xlsx = report_workbook.workbook(report)
    except Exception as exc:  # noqa: BLE001 - any failure is kept in the row for the page
        reason = exc.message if isinstance(exc, PortalError) else ""
        if not reason:
            log.exception("monthly report %s failed", report_id)
        error = (MSG_FAILED.format(reason=reason) if reason else MSG_FAILED_UNKNOWN)[:500]
        try:
            with unit_of_work(engine) as session:
                session.execute(update(MonthlyReport).where(col(MonthlyReport.id) == report_id).values(
                    status=FAILED, error=error, seconds=round(time.perf_counter() - started, 2),
                    finished_at=utcnow()))
                audit.record(session, actor=None, action="update", entity="monthly_report", entity_id=report_id,
                             username=_username(session, requested_by), new={"status": FAILED, "error": error},
                             note="月度报告生成失败")
        except Exception:  # noqa: BLE001 - the row must not stay "running"
            log.exception("monthly report %s: the failure could not be saved", report_id)
            _mark_failed(engine, report_id, error)
        return FAILED
    seconds = round(time.perf_counter() - started, 2)
    try:
        with unit_of_work(engine) as session:
            session.execute(update(MonthlyReport).where(col(MonthlyReport.id) == report_id).values(
                status=DONE, progress=100, figures=figures, pdf=pdf, xlsx=xlsx, error="", seconds=seconds,
                finished_at=utcnow()))
            audit.record(session, actor=None, action="update", entity="monthly_report", entity_id=report_id,
                         username=_username(session, requested_by),
                         new={"status": DONE, "seconds": seconds, "pdf_bytes": len(pdf), "xlsx_bytes": len(xlsx)},
                         note=f"月度报告已生成（{area_code} {report_data.period_text(period)}）")
    except Exception:  # noqa: BLE001 - e.g. a lock timeout or a dropped connection: say so in the row
        log.exception("monthly report %s: the finished report could not be saved", report_id)
        _mark_failed(engine, report_id, MSG_NOT_SAVED)
        return FAILED
    return DONE


def _mark_failed(engine: Engine | None, report_id: int, error: str) -> None:
    """The last resort when the full write failed: the bare status, so the row does not stay
    "running". Should even this fail, the row turns stale after STALE_AFTER."""
    try:
        _set(engine, report_id, status=FAILED, error=error[:500], finished_at=utcnow())
    except Exception:  # noqa: BLE001 - nothing more to do here; logged for the administrator
        log.exception("monthly report %s: could not be marked failed", report_id)


def _engine() -> Engine:
    from ..db.engine import get_engine

    return get_engine()


def _username(session: Session, user_id: int | None) -> str:
    name = session.exec(select(User.username).where(User.id == user_id)).first() if user_id else None
    return name or "system"


# --- the archive --------------------------------------------------------------------------------

def _row_dict(r, area_names: dict, user_names: dict, stale_before: datetime) -> dict:
    stale = _is_stale(r.status, r.requested_at, stale_before)
    return {
        "id": str(r.id), "period": r.period.isoformat(), "period_text": report_data.period_text(r.period),
        "area_code": r.area_code, "area_name": area_names.get(r.area_code, r.area_code),
        "status": r.status, "status_text": STALE_TEXT if stale else STATUS_LABELS.get(r.status, r.status),
        "stale": "1" if stale else "", "progress": str(r.progress),
        "error": r.error, "seconds": f"{r.seconds:.1f}" if r.seconds else "",
        "requested_by": user_names.get(r.requested_by, ""), "requested_at": china_text(r.requested_at),
        "finished_at": china_text(r.finished_at), "has_pdf": "1" if r.has_pdf else "",
        "has_xlsx": "1" if r.has_xlsx else "",
    }


def archive(session: Session, *, actor: Actor, area_code: str | None = None, limit: int = 50) -> list[dict]:
    """Generated reports, newest first: those of `area_code` (and the areas inside it), or of
    the actor's whole area. Plain dicts of strings (the files stay in the database)."""
    area = _area(session, actor, "report.view", area_code)
    low, high = area_range(area.code)
    limit = max(1, min(int(limit or 50), MAX_ARCHIVE))
    rows = session.exec(
        select(MonthlyReport.id, MonthlyReport.period, MonthlyReport.area_code, MonthlyReport.status,
               MonthlyReport.progress, MonthlyReport.error, MonthlyReport.seconds, MonthlyReport.requested_by,
               MonthlyReport.requested_at, MonthlyReport.finished_at,
               col(MonthlyReport.pdf).is_not(None).label("has_pdf"),
               col(MonthlyReport.xlsx).is_not(None).label("has_xlsx"))
        .where(MonthlyReport.area_code >= low, MonthlyReport.area_code <= high)
        .order_by(col(MonthlyReport.requested_at).desc(), col(MonthlyReport.id).desc()).limit(limit)).all()
    codes = {r.area_code for r in rows}
    names = dict(session.exec(select(Area.code, Area.name).where(col(Area.code).in_(codes))).all()) if codes else {}
    users = {r.requested_by for r in rows if r.requested_by}
    user_names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(users))).all()) \
        if users else {}
    before = _stale_before()
    return [_row_dict(r, names, user_names, before) for r in rows]


def status(session: Session, *, actor: Actor, report_id) -> dict:
    """One generation's state for the progress bar (report.view in its area)."""
    row = _report(session, actor, report_id)
    names = {row.area_code: report_data.area_name(session, row.area_code)}
    shape = SimpleNamespace(**{name: getattr(row, name) for name in (
        "id", "period", "area_code", "status", "progress", "error", "seconds", "requested_by", "requested_at",
        "finished_at")}, has_pdf=row.pdf is not None, has_xlsx=row.xlsx is not None)
    return _row_dict(shape, names, {}, _stale_before())


def _report(session: Session, actor: Actor, report_id) -> MonthlyReport:
    require(actor, "report.view")
    try:
        report_id = int(report_id)
    except (TypeError, ValueError):
        raise NotFound(MSG_NO_REPORT) from None
    row = session.get(MonthlyReport, report_id)
    if row is None:
        raise NotFound(MSG_NO_REPORT)
    require(actor, "report.view", Scope(area_code=row.area_code))
    return row


def report_file(session: Session, *, actor: Actor, report_id, kind: str) -> tuple[str, bytes]:
    """A generated report's PDF or workbook as (file name, bytes); the download is audited."""
    if kind not in KINDS:
        raise ValidationError(MSG_KIND)
    row = _report(session, actor, report_id)
    data = row.pdf if kind == "pdf" else row.xlsx
    if row.status != DONE or not data:
        raise ValidationError(MSG_NOT_READY)
    name = report_data.area_name(session, row.area_code)
    filename = f"{name}{report_data.period_text(row.period)}月度报告.{KINDS[kind][0]}"
    audit.record(session, actor=actor, action="download", entity="monthly_report", entity_id=row.id,
                 new={"kind": kind, "area_code": row.area_code, "period": row.period.isoformat()},
                 note=f"下载月度报告 {filename}")
    return filename, bytes(data)


# --- the leaders' summary -----------------------------------------------------------------------

def leader_summary(session: Session, *, actor: Actor, area_code: str | None = None, period=None,
                   today: date | None = None) -> dict:
    """The county (or one township) at a glance for the latest complete month (or `period`):
    `figures` (the main figures with month-over-month and year-over-year change), `trend`
    (12 months), `townships` (county only: ranked by overdue rate, each with its area code to
    drill down) and `area_name`, `parent_code` (the way back). Counts and amounts only."""
    area = _area(session, actor, "summary.view", area_code)
    today = today or today_in_china()
    month = _started(period, today) if period else rules.previous_month(today.replace(day=1))
    months = report_data._month_starts(month, 13)
    by_month = report_data.main_by_month(session, area_code=area.code, months=months)
    figures = rules.changes(by_month[month], by_month[rules.previous_month(month)],
                            by_month[rules.same_month_last_year(month)])
    level = area_rules.level_of(area.code)
    townships = report_data.township_rows(session, area_code=area.code, period=month) \
        if level == area_rules.COUNTY else []
    return {
        "area_code": area.code, "area_name": area.name, "level": level,
        "parent_code": area_rules.parent_code(area.code) or "",
        "period": month.isoformat(), "period_text": report_data.period_text(month),
        "figures": figures,
        "trend": [{"period": m.isoformat(), "period_text": report_data.period_text(m), **by_month[m]}
                  for m in months[1:]],
        "townships": townships,
    }
