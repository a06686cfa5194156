"""Every benchmark in one command, and one summary of them all (全部性能基准与汇总).

    python benchmarks/run_all.py [--quick] [--postgres URL | --no-postgres]
        [--only registry,monitoring,report,load] [--out docs/benchmarks.md] [--summary-only]

Runs registry_bench.py, monitoring_bench.py, report_bench.py and load_test.py in turn, each in a fresh
subprocess (`sys.executable benchmarks/<name>_bench.py ...`) so memory, module caches and the
services' remembered values do not carry from one to the next, at the sizes the README names
(the targets' sizes). With a PostgreSQL URL (--postgres, default the TEST_POSTGRES_URL
environment variable) it also runs the PostgreSQL benchmarks: monitoring at 50,000
households, the monthly report at 500,000 households and the load test (100 simulated users for
5 minutes against the production server with 2 workers and Redis; it needs redis-server).

Each benchmark writes its own report and JSON into docs/benchmarks/. This script then reads
whatever JSON files are there - including ones measured earlier, shown with their date - and
writes docs/benchmarks.md: the machine, the date and the command, and one table with every
measured figure, its median, its bare baseline timed in the same run, the ratio, the target
and pass or fail. The exit code is 1 if any figure misses its target or a benchmark failed
(with --quick: only if a benchmark failed).

--quick runs much smaller counties with 2 runs each - NOT the targets' sizes, only a check
that everything runs - into a new temporary directory, and writes the summary there too
(unless --out is given), so the committed full-size reports are never overwritten.
--summary-only runs nothing and rewrites the summary from the JSON files already there.
"""

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ("registry", "monitoring", "report", "load")
REPORTS_DIR = ROOT / "docs" / "benchmarks"
SUMMARY = ROOT / "docs" / "benchmarks.md"

# The targets of docs/registry.md, docs/monitoring.md and docs/reporting.md; a benchmark's JSON
# carries its own copy ("targets"), which wins - these are only for files that lack it.
DEFAULT_TARGETS = {
    "registry": {"import_seconds": 60.0, "import_ratio": 3.0, "list_ms": 100.0, "household_ms": 150.0},
    "monitoring": {"import_seconds": 30.0, "import_ratio": 3.0},
    "report": {"report_seconds": 5.0, "aggregation_ratio": 2.0, "postgres_report_seconds": 30.0},
    "load": {"p95_ms": 300.0, "errors": 0},
}


@dataclass(frozen=True)
class Job:
    key: str          # also the name of its report: docs/benchmarks/<key>.md and .json
    bench: str        # registry, monitoring, report or load (what --only names)
    postgres: bool
    full: tuple[str, ...]
    quick: tuple[str, ...]
    script_name: str = ""   # default <bench>_bench.py

    @property
    def script(self) -> Path:
        return ROOT / "benchmarks" / (self.script_name or f"{self.bench}_bench.py")

    def argv(self, *, quick: bool, url: str, out: Path) -> list[str]:
        args = list(self.quick if quick else self.full)
        if self.postgres:
            args += ["--database-url", url]
        # inside the repository the path is given relative to it: the reports print their command
        shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
        return args + ["--out", str(shown)]


_REPORT_PG = ("--households", "500000", "--applications", "20000", "--warnings", "12000", "--referrals", "8000",
              "--visits", "16000", "--runs", "2")
_REPORT_PG_QUICK = ("--households", "20000", "--applications", "2000", "--warnings", "1200", "--referrals", "800",
                    "--visits", "1600", "--runs", "2")
JOBS = (
    Job("registry", "registry", False, ("--households", "50000", "--runs", "5"),
        ("--households", "5000", "--import-members", "5000", "--runs", "2", "--samples", "5")),
    Job("monitoring", "monitoring", False, ("--households", "50000", "--rows", "1000000", "--runs", "3"),
        ("--households", "5000", "--rows", "100000", "--runs", "2")),
    Job("monitoring-postgres", "monitoring", True, ("--households", "50000", "--rows", "1000000", "--runs", "3"),
        ("--households", "5000", "--rows", "100000", "--runs", "2")),
    Job("report", "report", False, ("--households", "50000", "--runs", "3"),
        ("--households", "5000", "--applications", "500", "--warnings", "300", "--referrals", "200",
         "--visits", "400", "--runs", "2")),
    Job("report-postgres", "report", True, _REPORT_PG, _REPORT_PG_QUICK),
    Job("load", "load", True, ("--users", "100", "--duration", "300", "--workers", "2"),
        ("--users", "10", "--duration", "20", "--ramp", "5", "--households", "1500"), "load_test.py"),
)
TITLES = {
    "registry": "登记 Registry (SQLite)",
    "monitoring": "数据比对 Monitoring (SQLite)",
    "monitoring-postgres": "数据比对 Monitoring (PostgreSQL)",
    "report": "月度报告 Monthly report (SQLite)",
    "report-postgres": "月度报告 Monthly report (PostgreSQL)",
    "load": "负载测试 Load test (PostgreSQL, Redis)",
}
PASS, FAIL, NOT_RUN, ERROR, INFO = "通过 pass", "**未达标 FAIL**", "未运行 not run", "**出错 error**", "参考 info"


# ---- the rows of the summary ---------------------------------------------------------------------

@dataclass
class Row:
    key: str
    what: str
    size: str = ""
    median: str = "—"
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    n: str = "—"
    ok: bool | None = None   # None: no target (or not run)
    verdict: str = INFO
    measured: str = "—"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _ms(ms: float) -> str:
    return f"{ms:.1f} ms"


def _x(ratio: float) -> str:
    return f"{ratio:.2f}x"


def _limit(value: float, unit: str) -> str:
    return f"≤ {value:g} {unit}"


def _judge(row: Row, ok: bool) -> Row:
    row.ok, row.verdict = ok, PASS if ok else FAIL
    return row


def _registry_rows(r: dict, t: dict) -> list[Row]:
    g, a, lp, hp, h = (r[k] for k in ("county", "import", "list", "household", "handlers"))
    size = f"{g['households']:,} 户"
    rows = []
    for fmt, f in a["formats"].items():
        median = f["seconds"]["median"]
        rows.append(_judge(Row("registry", f"登记导入 .{fmt} / registry import, {a['members']:,} member rows",
                               size, _s(median), _s(a["baseline_seconds"]["median"]), _x(f["ratio"]),
                               f"≤ {t['import_seconds']:g} s 且 ≤ {t['import_ratio']:g}x", str(f["seconds"]["n"])),
                           median <= t["import_seconds"] and f["ratio"] <= t["import_ratio"]))
    pages = (
        ("家庭列表 (服务) / registry list page, service", lp["service_ms"], lp["baseline_ms"], t["list_ms"]),
        ("家庭列表 (事件处理) / registry list page, event handler", h["list_ms"], lp["baseline_ms"], t["list_ms"]),
        ("家庭详情 (服务) / household page, service", hp["service_ms"], hp["baseline_ms"], t["household_ms"]),
        ("家庭详情 (事件处理) / household page, event handler", h["household_ms"], hp["baseline_ms"],
         t["household_ms"]),
    )
    for what, portal, bare, limit in pages:
        rows.append(_judge(Row("registry", what, size, _ms(portal["median"]), _ms(bare["median"]),
                               _x(portal["median"] / bare["median"]), _limit(limit, "ms"), str(portal["n"])),
                           portal["median"] <= limit))
    first, bare = lp.get("county_first_page_ms"), lp.get("county_first_page_baseline_ms")
    if first and bare:
        rows.append(Row("registry", "全县第一页 (无筛选) / whole-county first list page, no filter", size,
                        _ms(first["median"]), _ms(bare["median"]), _x(first["median"] / bare["median"]),
                        n=str(first["n"])))
    return rows


def _monitoring_rows(key: str, r: dict, t: dict) -> list[Row]:
    m, f = r["result"], r["file"]
    p, b = m["portal_seconds"], m["baseline_seconds"]
    ratio = m.get("ratio", p["median"] / b["median"])
    return [_judge(Row(key, "数据比对导入: 文件到预警提交 / department file import, bytes to warnings committed",
                       f"{r['county']['households']:,} 户, {f['rows']:,} 行", _s(p["median"]), _s(b["median"]),
                       _x(ratio), f"≤ {t['import_seconds']:g} s 且 ≤ {t['import_ratio']:g}x", str(p["n"])),
                   p["median"] <= t["import_seconds"] and ratio <= t["import_ratio"])]


def _report_rows(key: str, r: dict, t: dict) -> list[Row]:
    m = r["result"]
    postgres = r.get("postgres", key.endswith("postgres"))
    size = f"{r['county']['households']:,} 户"
    limit = t["postgres_report_seconds"] if postgres else t["report_seconds"]
    rep, agg, base = m["report_seconds"], m["aggregation_seconds"], m["baseline_seconds"]
    ratio = m.get("ratio", agg["median"] / base["median"])
    return [
        # no bare baseline exists for a whole report with its PDF: the target is absolute
        _judge(Row(key, "县月度报告 + PDF / county monthly report, build + PDF", size, _s(rep["median"]),
                   target=_limit(limit, "s"), n=str(rep["n"])), rep["median"] <= limit),
        _judge(Row(key, "月度汇总 vs 手写 GROUP BY / aggregation (month_figures) vs hand-written SQL", size,
                   _s(agg["median"]), _s(base["median"]), _x(ratio), f"≤ {t['aggregation_ratio']:g}x",
                   str(agg["n"])), ratio <= t["aggregation_ratio"]),
    ]


def _load_rows(r: dict, t: dict) -> list[Row]:
    res, rec = r["result"], r["reconcile"]
    lat, base = res["latency_ms"]["all"], res["baseline_ms"]["under_load"]
    size = f"{r['users']} 用户 × {r['duration_seconds']:g} s, {r['workers']} workers"
    ratio = res.get("ratio_p95")
    logged = (r.get("server_log_problems") or {}).get("count", 0)
    return [
        # the figure is the p95 (not a median) of every action; the baseline a no-op event's p95
        _judge(Row("load", "p95 操作延迟 / p95 latency of every action (p50 "
                   f"{lat['p50']:.0f}, p99 {lat['p99']:.0f}, max {lat['max']:.0f} ms)", size, _ms(lat["p95"]),
                   _ms(base["p95"]) if base.get("n") else "—", _x(ratio) if ratio else "—",
                   _limit(t["p95_ms"], "ms"), str(lat["n"])), lat["p95"] <= t["p95_ms"]),
        _judge(Row("load", f"错误 / errors (reconnects {res['reconnects']}, server log {logged})", size,
                   str(res["errors"] + logged), target=f"= {t['errors']:g}", n=str(res["steps"])),
               res["errors"] + logged <= t["errors"]),
        _judge(Row("load", f"对账 / reconciliation: {rec['confirmed']} visits confirmed, {rec['visit_rows']} rows, "
                   f"{rec['audit_entries']} audit entries", size, "一致 exact" if rec["exact"] else "不一致 NOT exact",
                   target="一致 exact", n=str(rec["confirmed"])), bool(rec["exact"])),
    ]


def _rows_for(job: Job, result: dict | None) -> list[Row]:
    if result is None:
        return [Row(job.key, "全部测量项 / all figures", ok=None, verdict=NOT_RUN)]
    if "error" in result:
        return [Row(job.key, "全部测量项 / all figures", ok=False, verdict=ERROR, measured=result["error"])]
    targets = {**DEFAULT_TARGETS[job.bench], **(result.get("targets") or {})}
    if job.bench == "registry":
        rows = _registry_rows(result, targets)
    elif job.bench == "monitoring":
        rows = _monitoring_rows(job.key, result, targets)
    elif job.bench == "load":
        rows = _load_rows(result, targets)
    else:
        rows = _report_rows(job.key, result, targets)
    when = str(result.get("finished_at", ""))[:16].replace("T", " ")
    for row in rows:
        row.measured = when or "—"
    return rows


def summary_rows(results: dict[str, dict | None]) -> list[Row]:
    """One or more rows per benchmark, in the order of JOBS. `results` maps a job's key
    ("registry", "monitoring-postgres", ...) to its JSON as the benchmark wrote it, to None
    when it has not been run (未运行), or to {"error": "..."} when it failed this time."""
    rows = []
    for job in JOBS:
        rows += _rows_for(job, results.get(job.key))
    return rows


def failed(rows: list[Row], *, errors_only: bool = False) -> bool:
    """Any figure over its target, or any benchmark that failed to run (errors_only: just those)."""
    return any(row.ok is False and (not errors_only or row.verdict == ERROR) for row in rows)


# ---- the summary ----------------------------------------------------------------------------------

def _machine_lines(machine: dict) -> list[str]:
    return [
        f"- CPU: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; RAM {machine.get('ram_gb', '?')} GB",
        f"- OS: {machine.get('os', '?')}",
        f"- Python {machine.get('python', '?')}, SQLite {machine.get('sqlite', '?')}, "
        f"PostgreSQL {machine.get('postgres') or '—'}",
        f"- Load average (1, 5, 15 min) at start / end: {machine.get('load_average_at_start', '?')} / "
        f"{machine.get('load_average_at_end', '?')} - the machine is shared; other work on it makes every figure "
        "slower, the ratios much less so (the baseline runs under the same load)",
    ]


_SAME_MACHINE = ("cpu", "cores", "ram_gb", "python", "sqlite")


def render_summary(results: dict[str, dict | None], *, machine: dict, command: str, started: str,
                   finished: str, fresh: set[str], links: dict[str, str], quick: bool = False) -> str:
    """The markdown of docs/benchmarks.md. `fresh`: the keys measured by this command (the others
    come from JSON files measured earlier and say so); `links`: key -> path of its report,
    relative to the summary."""
    rows = summary_rows(results)
    lines = [
        "# 性能基准汇总 Benchmarks summary",
        "",
        f"Written {finished} by `{command}` (started {started}).",
        "",
    ]
    if quick:
        lines += ["> **--quick**: small counties and 2 runs each - **not the targets' sizes**. These figures only "
                  "show that every benchmark runs; pass/fail here says nothing about the targets (and does not set the "
                  "exit code: only a benchmark that fails to run does).", ""]
    lines += ["## Machine", "", *_machine_lines(machine), ""]
    earlier = sorted(k for k, r in results.items() if r and "error" not in r and k not in fresh)
    other = [k for k in earlier
             if any(str((results[k].get("machine") or {}).get(f)) != str(machine.get(f)) for f in _SAME_MACHINE)]
    lines += [
        "## Results",
        "",
        "Each figure is the **median** over n timed runs (for the page rows: n pages or households timed, over "
        "the runs). Each **ratio** is against a **bare baseline timed in the same run** on the same data and "
        "the same machine - the same database work done without the portal (plain SQL, `pd.read_csv` + "
        "`pd.merge`, hand-written GROUP BY queries); each benchmark's report describes its baseline. "
        "The whole monthly report with its PDF has no bare equivalent: its target is a time. The load test's "
        "figure is the **p95** of every simulated user's action (not a median); its baseline is the p95 of a "
        "no-op event sent through the same server during the same run.",
        "",
        "| 基准 benchmark | 测量项 what | 规模 size | 中位数 median | 同次裸基线 bare baseline | 比值 ratio "
        "| 目标 target | 结果 result | n | 测于 measured | 详情 details |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        link = links.get(row.key)
        details = f"[{Path(link).name}]({link})" if link and results.get(row.key) and \
            "error" not in results[row.key] else "—"
        measured = row.measured
        if results.get(row.key) and "error" not in results[row.key]:
            measured += " (本次 this run)" if row.key in fresh else " (此前 earlier)"
        lines.append(f"| {TITLES[row.key]} | {row.what} | {row.size or '—'} | {row.median} | {row.baseline} | "
                     f"{row.ratio} | {row.target} | {row.verdict} | {row.n} | {measured} | {details} |")
    verdicts = [r for r in rows if r.ok is not None]
    missing = [TITLES[j.key] for j in JOBS if results.get(j.key) is None]
    lines += [
        "",
        f"**{sum(r.ok is True for r in verdicts)} of {len(verdicts)} figures with a target pass"
        + (f"; {sum(r.ok is False for r in verdicts)} fail or failed to run" if failed(rows) else "") + ".**"
        + (f" Not run: {', '.join(missing)}." if missing else ""),
        "",
        "Rows marked 此前 (earlier) were not measured by this command: they are read from the JSON files a "
        "previous run left in the same directory, dated in the measured column.",
    ]
    if other:
        lines += ["", "Some earlier rows ran on a different machine or software:"]
        for k in other:
            m = results[k]["machine"]
            lines.append(f"- {TITLES[k]}: {m.get('cpu')}, {m.get('cores')} cores, {m.get('ram_gb')} GB, "
                         f"Python {m.get('python')}, SQLite {m.get('sqlite')}")
    lines += [
        "",
        "## Reproduce",
        "",
        "```",
        "source scripts/env.sh",
        "python benchmarks/run_all.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "```",
        "",
        "runs every benchmark at the targets' sizes (about 20 minutes on this machine: the PostgreSQL county of "
        "500,000 households, and the load test's 5 minutes with its setup) and rewrites this page; "
        "`--only registry,monitoring,report,load` "
        "picks benchmarks, `--no-postgres` skips the PostgreSQL runs, `--quick` is a smoke run into a temporary "
        "directory, `--summary-only` rewrites this page from the JSON files already in `docs/benchmarks/`.",
        "",
    ]
    return "\n".join(lines)


# ---- running ----------------------------------------------------------------------------------------

def load_results(directory: Path) -> dict[str, dict | None]:
    results: dict[str, dict | None] = {}
    for job in JOBS:
        path = directory / f"{job.key}.json"
        try:
            results[job.key] = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            results[job.key] = None
        except (OSError, ValueError) as exc:
            results[job.key] = {"error": f"unreadable {path.name}: {exc}"}
    return results


def run_job(job: Job, *, quick: bool, url: str, directory: Path) -> str | None:
    """Runs one benchmark in its own process; returns None, or why it failed."""
    out = directory / f"{job.key}.md"
    argv = [sys.executable, str(job.script), *job.argv(quick=quick, url=url, out=out)]
    shown = " ".join(argv[1:]).replace(url, "<postgres>") if url else " ".join(argv[1:])
    print(f"\n=== {job.key}: python {shown}", file=sys.stderr, flush=True)
    started = time.time()
    env = {**os.environ, "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false"}
    # the child prints its report on stdout (it is in the file too) and its progress on stderr
    done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False)
    took = time.time() - started
    json_path = out.with_suffix(".json")
    if done.returncode != 0:
        why = f"exit code {done.returncode}"
    elif not json_path.exists() or json_path.stat().st_mtime < started:
        why = "no new JSON written"
    else:
        why = None
    print(f"=== {job.key}: {'ok' if why is None else why} in {took:.0f} s", file=sys.stderr, flush=True)
    return why


def _machine(url: str) -> dict:
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.registry_bench import machine
        described = machine()
    except Exception:  # noqa: BLE001 - the summary still gets the basics
        described = {"cores": os.cpu_count(), "os": platform.platform(), "python": platform.python_version(),
                     "sqlite": sqlite3.sqlite_version, "load_average_at_start": _loadavg()}
    described["postgres"] = _postgres_version(url) if url else ""
    return described


def _postgres_version(url: str) -> str:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as c:
            version = str(c.execute(sa.text("SHOW server_version")).scalar())
        engine.dispose()
        return version
    except Exception as exc:  # noqa: BLE001 - only for the description
        return f"? ({type(exc).__name__})"


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 runs, into a temporary directory "
                        "(not the targets' sizes: a smoke run)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", ""),
                        help="PostgreSQL URL for the PostgreSQL runs (default: $TEST_POSTGRES_URL; none: skipped)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL runs")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated: registry,monitoring,report,load")
    parser.add_argument("--out", default="", help="the summary (default docs/benchmarks.md; with --quick, "
                        "benchmarks.md in the temporary directory)")
    parser.add_argument("--summary-only", action="store_true", help="run nothing; rewrite the summary from the "
                        "JSON files in docs/benchmarks/")
    args = parser.parse_args(argv)
    only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = sorted(set(only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    url = "" if args.no_postgres else args.postgres
    command = "python benchmarks/run_all.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if url:
        command = command.replace(url, "<postgres>")  # a URL may carry a password

    directory = Path(tempfile.mkdtemp(prefix="benchmarks-quick-")) if args.quick else REPORTS_DIR
    out = Path(args.out) if args.out else (directory / "benchmarks.md" if args.quick else SUMMARY)
    if not out.is_absolute():
        out = Path.cwd() / out
    started = _now()
    machine = _machine(url)

    errors: dict[str, str] = {}
    fresh: set[str] = set()
    if not args.summary_only:
        if not url:
            print("no PostgreSQL URL (--postgres or TEST_POSTGRES_URL): the PostgreSQL runs are skipped",
                  file=sys.stderr)
        if args.quick:
            print(f"--quick: small sizes, NOT the targets' sizes; reports go to {directory}", file=sys.stderr)
        for job in JOBS:
            if job.bench not in only or (job.postgres and not url):
                continue
            why = run_job(job, quick=args.quick, url=url, directory=directory)
            if why:
                errors[job.key] = why
            else:
                fresh.add(job.key)

    results = load_results(directory)
    for key, why in errors.items():
        results[key] = {"error": why}
    machine["load_average_at_end"] = _loadavg()
    if not machine.get("postgres"):  # not connected this time: the version the PostgreSQL rows ran on
        for key in ("monitoring-postgres", "report-postgres"):
            database = str((results.get(key) or {}).get("database", ""))
            if database.startswith("PostgreSQL"):
                machine["postgres"] = f"{database.removeprefix('PostgreSQL').strip()} (as in {key}.json)"
                break
    links = {job.key: os.path.relpath(directory / f"{job.key}.md", out.parent) for job in JOBS}
    text = render_summary(results, machine=machine, command=command, started=started, finished=_now(),
                          fresh=fresh, links=links, quick=args.quick)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, "utf-8")
    print(text)
    print(f"written: {out}", file=sys.stderr)
    # at --quick sizes the targets do not apply: only a benchmark that failed to run fails the command
    return 1 if failed(summary_rows(results), errors_only=args.quick) else 0


if __name__ == "__main__":
    sys.exit(main())
