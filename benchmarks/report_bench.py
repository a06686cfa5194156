"""Monthly report benchmark: last month's county report on a 50,000-household county.

    python benchmarks/report_bench.py [--households 50000] [--runs 3] [--out docs/benchmarks/report.md]
        [--database-url postgresql+psycopg://...]

Builds a fresh county (migrate, demo county, generate_county) in a temporary SQLite database,
or, with --database-url, in a new schema of that PostgreSQL database (dropped afterwards), and
gives it 13 months of history (lowincome_portal/demo/synthetic_history.add_history, on every
household in the database): members on the register since before the window, applications (5,000 by default)
with every step as an event, warnings (3,000) with theirs, needs and referrals (2,000), one
joint meeting per area per month (the county and its 26 townships: 27 a month, the unique key
allows one per area) with decided agenda items and action items, and visits.

Each run measures, for the county and last month:
(a) the report: services.reports.build_report as county civil affairs (permission, every
    section, change against M-1 and M-12, 12-month trend, the township table) plus the PDF
    (documents/report_pdf.render) - target <= 5 s on SQLite (<= 30 s for 500,000 households
    on PostgreSQL);
(b) the aggregation step, services.report_data.month_figures, against hand-written SQL
    GROUP BY queries for the same figures (the step at month end still needs the event
    history and the due dates in Python, as the portal does) - target <= 2x. The two must
    agree on the figures they both count (checked every run).

Figures are medians over --runs. Writes a markdown report to --out and the JSON next to it.
"""

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from benchmarks.monitoring_bench import _postgres_schema, _server_version, build_county  # noqa: E402
from benchmarks.registry_bench import _actor, _loadavg, _stats, machine  # noqa: E402
from lowincome_portal.db.engine import engine_for  # noqa: E402
from lowincome_portal.demo.synthetic_history import add_history  # noqa: E402
from lowincome_portal.domain import intake  # noqa: E402
from lowincome_portal.domain import reporting  # noqa: E402
from lowincome_portal.domain import working_days  # noqa: E402
from lowincome_portal.services import report_data, reports  # noqa: E402
from lowincome_portal.services.households import today_in_china  # noqa: E402

TARGETS = {"report_seconds": 5.0, "aggregation_ratio": 2.0, "postgres_report_seconds": 30.0}
ACTOR = "minzheng"


def _cold() -> None:
    """Forget the service's remembered working-day counts, so every timed run starts as a
    fresh process would (the SQL baseline has no such memory)."""
    report_data.working_days_between.cache_clear()
    report_data._add_working_days.cache_clear()


# ---- the hand-written baseline ------------------------------------------------------------------

def baseline(engine, area_code: str, period: date) -> dict:
    """The same month's figures from hand-written SQL GROUP BY queries (pandas only where SQL
    cannot: working days between dates and the due date of the step at month end)."""
    w = reporting.month_window(period)
    low, high = report_data.area_range(area_code)
    before = w.first - timedelta(days=1)
    postgres = engine.dialect.name == "postgresql"

    def ts(day: date) -> str:
        instant = report_data.china_midnight(day)
        return instant.strftime("%Y-%m-%d %H:%M:%S+00") if postgres else instant.strftime("%Y-%m-%d %H:%M:%S.%f")

    p = {"low": low, "high": high, "first": w.first.isoformat(), "last": w.last.isoformat(),
         "before": before.isoformat(), "ts_first": ts(w.first), "ts_end": ts(w.last + timedelta(days=1))}
    held = "t.start_date <= '{d}' AND (t.end_date IS NULL OR t.end_date > '{d}')"
    h0, h1 = held.format(d=p["before"]), held.format(d=p["last"])
    new = f"t.start_date BETWEEN '{p['first']}' AND '{p['last']}'"
    ex = f"t.end_date BETWEEN '{p['first']}' AND '{p['last']}'"
    persons = f"""
        SELECT m.household_id,
               SUM(CASE WHEN m.created_at < '{p['ts_first']}' AND (m.left_on IS NULL OR m.left_on > '{p['before']}')
                   THEN 1 ELSE 0 END) AS p0,
               SUM(CASE WHEN m.created_at < '{p['ts_end']}' AND (m.left_on IS NULL OR m.left_on > '{p['last']}')
                   THEN 1 ELSE 0 END) AS p1
        FROM member m JOIN household h ON h.id = m.household_id
        WHERE h.area_code BETWEEN '{low}' AND '{high}' GROUP BY m.household_id"""
    queries = {
        "tags": f"""
            SELECT t.tag,
                   SUM(CASE WHEN {h0} THEN 1 ELSE 0 END), SUM(CASE WHEN {new} THEN 1 ELSE 0 END),
                   SUM(CASE WHEN {ex} THEN 1 ELSE 0 END), SUM(CASE WHEN {h1} THEN 1 ELSE 0 END),
                   SUM(CASE WHEN {h0} THEN COALESCE(pc.p0, 0) ELSE 0 END),
                   SUM(CASE WHEN {new} THEN COALESCE(pc.p1, 0) ELSE 0 END),
                   SUM(CASE WHEN {ex} THEN COALESCE(pc.p0, 0) ELSE 0 END),
                   SUM(CASE WHEN {h1} THEN COALESCE(pc.p1, 0) ELSE 0 END)
            FROM household_tag t JOIN household h ON h.id = t.household_id
            LEFT JOIN ({persons}) pc ON pc.household_id = t.household_id
            WHERE h.area_code BETWEEN '{low}' AND '{high}' GROUP BY t.tag""",
        "total": f"""
            SELECT COUNT(DISTINCT CASE WHEN {h0} THEN t.household_id END),
                   COUNT(DISTINCT CASE WHEN {h1} THEN t.household_id END)
            FROM household_tag t JOIN household h ON h.id = t.household_id
            WHERE h.area_code BETWEEN '{low}' AND '{high}'""",
        "total_persons": f"""
            SELECT COALESCE(SUM(pc.p1), 0) FROM ({persons}) pc
            WHERE pc.household_id IN (SELECT t.household_id FROM household_tag t WHERE {h1})""",
        "applications": f"""
            SELECT a.track,
                   SUM(CASE WHEN a.created_at >= '{p['ts_first']}' AND a.created_at < '{p['ts_end']}' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN a.decided_on BETWEEN '{p['first']}' AND '{p['last']}' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN a.decided_on BETWEEN '{p['first']}' AND '{p['last']}' AND a.decision = 'approved'
                       THEN 1 ELSE 0 END),
                   SUM(CASE WHEN a.decided_on BETWEEN '{p['first']}' AND '{p['last']}' AND a.decision = 'refused'
                       THEN 1 ELSE 0 END)
            FROM application a WHERE a.area_code BETWEEN '{low}' AND '{high}' GROUP BY a.track""",
        "decided_pairs": f"""
            SELECT a.created_at, a.decided_on FROM application a
            WHERE a.area_code BETWEEN '{low}' AND '{high}' AND a.decided_on BETWEEN '{p['first']}' AND '{p['last']}'""",
        "app_steps": f"""
            SELECT a.track, e.to_state, e.on_day FROM application_event e
            JOIN (SELECT application_id, MAX(id) AS id FROM application_event WHERE on_day <= '{p['last']}'
                  GROUP BY application_id) x ON x.id = e.id
            JOIN application a ON a.id = e.application_id
            WHERE a.area_code BETWEEN '{low}' AND '{high}' AND a.created_at < '{p['ts_end']}'
              AND (a.decided_on IS NULL OR a.decided_on > '{p['last']}')""",
        "warnings": f"""
            SELECT w.rule_code,
                   SUM(CASE WHEN w.raised_on BETWEEN '{p['first']}' AND '{p['last']}' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN w.handled_on BETWEEN '{p['first']}' AND '{p['last']}' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN w.fed_back_on BETWEEN '{p['first']}' AND '{p['last']}' THEN 1 ELSE 0 END)
            FROM risk_warning w WHERE w.area_code BETWEEN '{low}' AND '{high}' GROUP BY w.rule_code""",
        "warning_steps": f"""
            SELECT e.status, e.on_day FROM risk_warning_event e
            JOIN (SELECT warning_id, MAX(id) AS id FROM risk_warning_event
                  WHERE on_day <= '{p['last']}' AND action <> 'escalate' GROUP BY warning_id) x ON x.id = e.id
            JOIN risk_warning w ON w.id = e.warning_id
            WHERE w.area_code BETWEEN '{low}' AND '{high}' AND w.raised_on <= '{p['last']}'
              AND (w.fed_back_on IS NULL OR w.fed_back_on > '{p['last']}')""",
        "referrals": f"""
            SELECT r.kind, r.organisation_id,
                   SUM(CASE WHEN r.created_at >= '{p['ts_first']}' AND r.created_at < '{p['ts_end']}' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.claimed_on BETWEEN '{p['first']}' AND '{p['last']}' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.completed_on BETWEEN '{p['first']}' AND '{p['last']}' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.created_at < '{p['ts_end']}'
                             AND (r.completed_on IS NULL OR r.completed_on > '{p['last']}')
                             AND (r.delivery_due_on < '{p['last']}'
                                  OR ((r.claimed_on IS NULL OR r.claimed_on > '{p['last']}')
                                      AND r.claim_due_on < '{p['last']}')) THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.completed_on BETWEEN '{p['first']}' AND '{p['last']}' THEN COALESCE(r.amount, 0)
                       ELSE 0 END)
            FROM referral r WHERE r.area_code BETWEEN '{low}' AND '{high}' GROUP BY r.kind, r.organisation_id""",
        "meetings": f"""
            SELECT COUNT(*), (SELECT COUNT(*) FROM agenda_item i JOIN meeting m2 ON m2.id = i.meeting_id
                              WHERE m2.area_code BETWEEN '{low}' AND '{high}' AND i.decision <> ''
                                AND m2.held_on BETWEEN '{p['first']}' AND '{p['last']}')
            FROM meeting m WHERE m.area_code BETWEEN '{low}' AND '{high}'
              AND m.held_on BETWEEN '{p['first']}' AND '{p['last']}'""",
        "actions": f"""
            SELECT SUM(CASE WHEN a.done_on BETWEEN '{p['first']}' AND '{p['last']}' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN a.created_at < '{p['ts_end']}' AND (a.done_on IS NULL OR a.done_on > '{p['last']}')
                             AND a.deadline < '{p['last']}' THEN 1 ELSE 0 END)
            FROM action_item a WHERE a.area_code BETWEEN '{low}' AND '{high}'""",
        "burden": f"""
            SELECT COUNT(*), COALESCE(SUM(a.fields_prefilled), 0), COALESCE(SUM(a.fields_typed), 0)
            FROM application a WHERE a.area_code BETWEEN '{low}' AND '{high}' AND a.id IN (
                SELECT application_id FROM application_event WHERE on_day BETWEEN '{p['first']}' AND '{p['last']}'
                AND action IN ('complete_investigation', 'complete_check')
                AND from_state IN ('investigation', 'household_check'))""",
        "visits": f"""
            SELECT v.household_id, COUNT(*) FROM visit v JOIN household h ON h.id = v.household_id
            WHERE h.area_code BETWEEN '{low}' AND '{high}' AND v.visited_on BETWEEN '{p['first']}' AND '{p['last']}'
            GROUP BY v.household_id""",
    }
    out = {}
    with engine.connect() as c:
        for name, sql in queries.items():
            out[name] = c.exec_driver_sql(sql).all()
        clocks = report_data.Clocks(Session(bind=c), [s.clock for t in intake.TRACKS.values() for s in t.steps.values()
                                                      if s.clock] + list(report_data.WARNING_CLOCKS.values()))
    # the parts SQL cannot do: due dates of the steps at month end, working days to decision
    last = w.last
    memo = {}
    due_app = report_data._intake_due(clocks)
    overdue_apps = 0
    for track, state, on in out["app_steps"]:
        on = on if isinstance(on, date) else date.fromisoformat(on)
        key = (track, state, on)
        if key not in memo:
            memo[key] = due_app(track, state, on)
        overdue_apps += memo[key] is not None and memo[key] < last
    due_w = report_data._warning_due(clocks)
    overdue_w = 0
    for status, on in out["warning_steps"]:
        on = on if isinstance(on, date) else date.fromisoformat(on)
        key = ("w", status, on)
        if key not in memo:
            memo[key] = due_w("w", status, on)
        overdue_w += memo[key] is not None and memo[key] < last
    pairs = pd.DataFrame(out["decided_pairs"], columns=["created_at", "decided_on"])
    received = report_data._china_days(pairs["created_at"]).dt.date
    decided = report_data._days(pairs["decided_on"]).dt.date
    days = [working_days.working_days_between(r, d) for r, d in set(zip(received, decided, strict=True))]
    tags = {row[0]: [int(v or 0) for v in row[1:]] for row in out["tags"]}
    return {
        "tags": tags, "total_start": int(out["total"][0][0]), "total_end": int(out["total"][0][1]),
        "persons_end": int(out["total_persons"][0][0]),
        "received": sum(int(r[1] or 0) for r in out["applications"]),
        "decided": sum(int(r[2] or 0) for r in out["applications"]),
        "overdue_apps": int(overdue_apps), "warnings_raised": sum(int(r[1] or 0) for r in out["warnings"]),
        "warnings_handled": sum(int(r[2] or 0) for r in out["warnings"]), "overdue_warnings": int(overdue_w),
        "referrals_completed": sum(int(r[4] or 0) for r in out["referrals"]),
        "referral_amount": round(sum(float(r[6] or 0) for r in out["referrals"]), 2),
        "meetings_held": int(out["meetings"][0][0]), "median_input": len(days),
    }


def _agree(portal: dict, base: dict) -> None:
    """The baseline and the portal count the same things the same way."""
    tags = {r["tag"]: r for r in portal["tags"]}
    for tag, values in base["tags"].items():
        mine = [tags[tag][k] for k in ("households_start", "households_new", "households_exited", "households_end",
                                       "persons_start", "persons_new", "persons_exited", "persons_end")]
        assert mine == values, (tag, mine, values)
    total = tags[reporting.TOTAL]
    assert (total["households_start"], total["households_end"], total["persons_end"]) == \
        (base["total_start"], base["total_end"], base["persons_end"]), (total, base)
    apps, warns, refs = portal["applications"], portal["warnings"], portal["referrals"]
    assert (apps["received"], apps["decided"], apps["overdue"]) == \
        (base["received"], base["decided"], base["overdue_apps"]), (apps, base)
    assert (warns["raised"], warns["handled"], warns["overdue"]) == \
        (base["warnings_raised"], base["warnings_handled"], base["overdue_warnings"]), (warns, base)
    assert (refs["completed"], round(refs["amount"], 2)) == (base["referrals_completed"], base["referral_amount"]), \
        (refs["completed"], refs["amount"], base["referrals_completed"], base["referral_amount"])
    assert portal["meetings"]["held"] == base["meetings_held"]


# ---- the runs -----------------------------------------------------------------------------------

def bench(url: str, period: date, runs: int) -> dict:
    from lowincome_portal.documents import report_pdf

    engine = engine_for(url)
    actor = _actor(engine, ACTOR)
    county = actor.area_code
    report_s, build_s, pdf_s, agg_s, base_s = [], [], [], [], []
    first = None
    for run in range(runs):
        _cold()
        started = time.perf_counter()
        with Session(engine) as session:
            report = reports.build_report(session, actor=actor, area_code=county, period=period)
        built = time.perf_counter()
        pdf = report_pdf.render(report, trend=report.get("trend"))
        done = time.perf_counter()
        report_s.append(done - started)
        build_s.append(built - started)
        pdf_s.append(done - built)
        _cold()
        started = time.perf_counter()
        with Session(engine) as session:
            figures = report_data.month_figures(session, area_code=county, period=period)
        agg_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        base = baseline(engine, county, period)
        base_s.append(time.perf_counter() - started)
        _agree(figures, base)
        if first is None:
            first = {"report": report, "pdf_bytes": len(pdf)}
        print(f"  run {run + 1}/{runs}: report+PDF {report_s[-1]:.2f} s (build {build_s[-1]:.2f}, "
              f"PDF {pdf_s[-1]:.2f}); month_figures {agg_s[-1]:.2f} s, SQL baseline {base_s[-1]:.2f} s",
              file=sys.stderr)
    report = first["report"]
    total = next(r for r in report["tags"] if r["tag"] == reporting.TOTAL)
    return {
        "report_seconds": _stats(report_s), "build_seconds": _stats(build_s), "pdf_seconds": _stats(pdf_s),
        "aggregation_seconds": _stats(agg_s), "baseline_seconds": _stats(base_s),
        "ratio": statistics.median(agg_s) / statistics.median(base_s),
        "pdf_bytes": first["pdf_bytes"],
        "figures": {"households_end": total["households_end"], "persons_end": total["persons_end"],
                    "applications_received": report["applications"]["received"],
                    "applications_decided": report["applications"]["decided"],
                    "applications_overdue": report["applications"]["overdue"],
                    "warnings_raised": report["warnings"]["raised"], "warnings_overdue": report["warnings"]["overdue"],
                    "referrals_completed": report["referrals"]["completed"],
                    "referral_amount": report["referrals"]["amount"], "meetings_held": report["meetings"]["held"],
                    "townships": len(report.get("townships") or [])},
    }


# ---- the report ---------------------------------------------------------------------------------

def _verdict(ok: bool) -> str:
    return "通过 (pass)" if ok else "未达标 (FAIL)"


def passed(result: dict) -> bool:
    r = result["result"]
    limit = TARGETS["postgres_report_seconds"] if result["postgres"] else TARGETS["report_seconds"]
    ok = r["report_seconds"]["median"] <= limit
    return ok and (result["postgres"] or r["ratio"] <= TARGETS["aggregation_ratio"])


def render(result: dict) -> str:
    m, g, h, r = result["machine"], result["county"], result["history"], result["result"]
    postgres = result["postgres"]
    limit = TARGETS["postgres_report_seconds"] if postgres else TARGETS["report_seconds"]
    rep, agg, base = r["report_seconds"], r["aggregation_seconds"], r["baseline_seconds"]
    f = r["figures"]
    lines = [
        "# Monthly report benchmark (月度报告性能基准)" + (" - PostgreSQL" if postgres else ""),
        "",
        f"Measured {result['finished_at']} with `{result['command']}`.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gb']} GB; {m['os']}",
        f"- Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}, pandas {pd.__version__}, "
        f"numpy {np.__version__}; database: {result['database']}",
        f"- Load average at start / end: {m['load_average_at_start']} / {m['load_average_at_end']}"
        " (other work on the machine makes every figure slower)",
        "",
        "## The county",
        "",
        f"`generate_county` wrote {g['households']:,} households, {g['members']:,} members and "
        f"{g['tag_rows']:,} tag periods ({g['ended_tag_rows']:,} ended) in {g['seconds']} s (seed {g['seed']}). "
        f"The benchmark then added 13 months of history from {h['from']} with Core inserts in {h['seconds']} s: "
        f"{h['applications']:,} applications ({h['application_events']:,} events), {h['warnings']:,} warnings "
        f"({h['warning_events']:,} events), {h['referrals']:,} referrals with their needs, {h['meetings']:,} "
        f"joint meetings (one per area per month: the county and its 26 townships - the unique key allows one "
        f"per area and month, so 27 a month rather than 28) with {h['agenda_items']:,} decided agenda items and "
        f"{h['action_items']:,} action items, and {h['visits']:,} visits. Members were put on the register "
        "before the window (the generator stamps them now).",
        "",
        f"The report is the county's for {result['period_text']}: {f['households_end']:,} households / "
        f"{f['persons_end']:,} persons on the register at the month's end, {f['applications_received']:,} "
        f"applications received, {f['applications_decided']:,} decided, {f['applications_overdue']:,} overdue; "
        f"{f['warnings_raised']:,} warnings raised, {f['warnings_overdue']:,} overdue; "
        f"{f['referrals_completed']:,} referrals completed ({f['referral_amount']:,.2f} yuan); "
        f"{f['meetings_held']} meetings held; {f['townships']} townships ranked. PDF {r['pdf_bytes'] / 1024:.0f} KB.",
        "",
        "## Result",
        "",
        "| measure | median | min | max | target | result |",
        "|---|---|---|---|---|---|",
        f"| (a) county report for last month: build_report + PDF | {rep['median']:.2f} s | {rep['min']:.2f} | "
        f"{rep['max']:.2f} | <= {limit:.0f} s | {_verdict(rep['median'] <= limit)} |",
        f"| - of which build_report (figures, change, trend, township table) | {r['build_seconds']['median']:.2f} s "
        f"| {r['build_seconds']['min']:.2f} | {r['build_seconds']['max']:.2f} | | |",
        f"| - of which the PDF (documents/report_pdf.render) | {r['pdf_seconds']['median']:.2f} s | "
        f"{r['pdf_seconds']['min']:.2f} | {r['pdf_seconds']['max']:.2f} | | |",
        f"| (b) month_figures | {agg['median']:.2f} s | {agg['min']:.2f} | {agg['max']:.2f} | | |",
        f"| (b) hand-written SQL GROUP BY for the same figures | {base['median']:.2f} s | {base['min']:.2f} | "
        f"{base['max']:.2f} | | |",
        f"| (b) ratio month_figures / SQL | {r['ratio']:.2f}x | | | <= 2x | "
        f"{_verdict(r['ratio'] <= TARGETS['aggregation_ratio'])} |",
        "",
        f"Medians over {rep['n']} runs. Each run builds the report in a fresh session with the service's "
        "working-day memory cleared (nothing cached between runs besides the database's own page cache).",
        "",
        "The baseline computes the month's figures with GROUP BY / CASE queries written by hand: tag periods per "
        "tag with the members counted on the two days (a grouped member subquery joined in), the distinct "
        "households on the register, applications per track, warnings per rule, referrals per kind and partner, "
        "meetings, decisions, action items, the investigations' field counts and visits per household; the step "
        "each open application and warning was in at the month's end (last event on or before it) comes from "
        "SQL too, and its due date and the working days to decision are worked out in Python as the portal does "
        "(SQL has no PRC holiday calendar). Every run checks that both give the same figures.",
        "",
        "## Reproduce",
        "",
        "```",
        "source scripts/env.sh",
        result["command"],
        "```",
        "",
        "The same numbers are in the JSON file next to this report.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--applications", type=int, default=5_000)
    parser.add_argument("--warnings", type=int, default=3_000)
    parser.add_argument("--referrals", type=int, default=2_000)
    parser.add_argument("--visits", type=int, default=4_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20251128)
    parser.add_argument("--out", default="docs/benchmarks/report.md")
    parser.add_argument("--database-url", default="", help="a PostgreSQL database to build the county in "
                        "(a new schema, dropped afterwards); default a temporary SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not out.is_absolute():
        out = ROOT / out
    today = today_in_china()
    period = reporting.previous_month(today)
    result = {"machine": machine(), "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": "python benchmarks/report_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "targets": TARGETS, "period": period.isoformat(), "period_text": report_data.period_text(period),
              "postgres": bool(args.database_url)}
    workdir = Path(tempfile.mkdtemp(prefix="report-bench-"))
    schema = None
    if args.database_url:
        url, schema = _postgres_schema(args.database_url)
        result["database"] = "PostgreSQL " + _server_version(args.database_url)
    else:
        url = f"sqlite:///{workdir / 'county.db'}"
        result["database"] = "SQLite (temporary file)"
    try:
        print(f"building the county ({args.households} households)", file=sys.stderr)
        result["county"] = build_county(url, args.households, args.seed)
        print(f"  generate_county: {result['county']['seconds']} s", file=sys.stderr)
        result["history"] = add_history(engine_for(url), today=today, seed=args.seed,
                                        applications=args.applications, warnings=args.warnings,
                                        referrals=args.referrals, visits=args.visits, scope="all")
        print(f"  history: {result['history']['seconds']} s", file=sys.stderr)
        result["result"] = bench(url, period, args.runs)
    finally:
        engine_for(url).dispose()
        if schema and not args.keep:
            with sa.create_engine(args.database_url).begin() as c:
                c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result["machine"]["load_average_at_end"] = _loadavg()
    result["finished_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
    result["pass"] = passed(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(result), "utf-8")
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), "utf-8")
    print(render(result))
    print(f"written: {out} and {out.with_suffix('.json')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
