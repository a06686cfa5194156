"""The benchmarks' summary (benchmarks/run_all.py) on hand-made JSON shaped like the three
benchmarks' output: the rows, the ratios against the same run's baseline, pass/fail against the
targets and a benchmark that was not run. No benchmark runs here."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
run_all = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_all)

MACHINE = {"cpu": "AMD EPYC", "cores": 2, "ram_gb": 23.5, "os": "Linux", "python": "3.11.7", "sqlite": "3.40.1",
           "postgres": "15.20", "load_average_at_start": "1.00 1.00 1.00", "load_average_at_end": "1.10 1.00 1.00"}


def stats(median: float, n: int = 3) -> dict:
    return {"median": median, "p90": median, "min": median, "max": median, "n": n}


def registry(*, csv_seconds: float = 4.0, list_ms: float = 24.0) -> dict:
    return {
        "machine": MACHINE, "finished_at": "2026-11-29T08:40:58+00:00",
        "targets": {"import_seconds": 60.0, "import_ratio": 3.0, "list_ms": 100.0, "household_ms": 150.0},
        "county": {"households": 50000, "members": 150000},
        "import": {"members": 50000, "households": 16666,
                   "formats": {"csv": {"seconds": stats(csv_seconds), "ratio": csv_seconds / 2.0},
                               "xlsx": {"seconds": stats(5.0), "ratio": 2.5}},
                   "baseline_seconds": stats(2.0)},
        "list": {"service_ms": stats(list_ms, 60), "baseline_ms": stats(6.0, 60), "ratio": list_ms / 6.0,
                 "county_first_page_ms": stats(5.0, 9), "county_first_page_baseline_ms": stats(0.5, 9)},
        "household": {"service_ms": stats(3.0, 60), "baseline_ms": stats(0.75, 60), "ratio": 4.0},
        "handlers": {"list_ms": stats(26.0, 60), "household_ms": stats(5.0, 60)},
    }


def monitoring(*, portal: float = 3.6, baseline: float = 1.8) -> dict:
    return {
        "machine": MACHINE, "finished_at": "2026-11-29T12:44:13+00:00",
        "targets": {"import_seconds": 30.0, "import_ratio": 3.0},
        "county": {"households": 50000}, "file": {"rows": 1000000},
        "result": {"portal_seconds": stats(portal), "baseline_seconds": stats(baseline),
                   "ratio": portal / baseline},
    }


def report(*, postgres: bool = False, seconds: float = 3.7, aggregation: float = 0.46, sql: float = 0.49) -> dict:
    return {
        "machine": MACHINE, "finished_at": "2026-11-29T13:23:56+00:00", "postgres": postgres,
        "targets": {"report_seconds": 5.0, "aggregation_ratio": 2.0, "postgres_report_seconds": 30.0},
        "county": {"households": 500000 if postgres else 50000},
        "result": {"report_seconds": stats(seconds, 2), "aggregation_seconds": stats(aggregation, 2),
                   "baseline_seconds": stats(sql, 2), "ratio": aggregation / sql},
    }


def all_results(**changes) -> dict:
    results = {"registry": registry(), "monitoring": monitoring(), "monitoring-postgres": monitoring(),
               "report": report(), "report-postgres": report(postgres=True, seconds=12.4)}
    results.update(changes)
    return results


def render(results: dict, fresh=("registry", "monitoring", "report")) -> str:
    links = {job.key: f"benchmarks/{job.key}.md" for job in run_all.JOBS}
    return run_all.render_summary(results, machine=MACHINE, command="python benchmarks/run_all.py",
                                  started="2026-11-29T13:00:00+00:00", finished="2026-11-29T13:10:00+00:00",
                                  fresh=set(fresh), links=links)


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in rows[1:]]  # without the header


def row_of(text: str, benchmark: str, what: str) -> list[str]:
    found = [r for r in table_rows(text) if r[0].startswith(benchmark) and what in r[1]]
    assert len(found) == 1, (benchmark, what, found)
    return found[0]


# columns: benchmark, what, size, median, baseline, ratio, target, result, n, measured, details
BENCH, WHAT, SIZE, MEDIAN, BASE, RATIO, TARGET, RESULT, N, MEASURED, DETAILS = range(11)


def test_every_figure_has_a_row_with_median_baseline_ratio_and_verdict():
    text = render(all_results())
    rows = table_rows(text)
    # registry: 2 imports, 4 pages, 1 reference row; monitoring 1 + 1; report 2 + 2; load not run: 1
    assert len(rows) == 7 + 2 + 4 + 1
    csv = row_of(text, "登记 Registry", ".csv")
    assert csv[MEDIAN:N + 1] == ["4.00 s", "2.00 s", "2.00x", "≤ 60 s 且 ≤ 3x", "通过 pass", "3"]
    handler = row_of(text, "登记 Registry", "list page, event handler")
    # the handler's ratio is worked out against the list's bare baseline of the same run: 26 / 6
    assert handler[MEDIAN:RESULT + 1] == ["26.0 ms", "6.0 ms", "4.33x", "≤ 100 ms", "通过 pass"]
    assert handler[N] == "60"
    reference = row_of(text, "登记 Registry", "first list page")
    assert reference[TARGET] == "—" and reference[RESULT] == "参考 info" and reference[RATIO] == "10.00x"
    pg = row_of(text, "月度报告 Monthly report (PostgreSQL)", "build + PDF")
    assert pg[MEDIAN:RESULT + 1] == ["12.40 s", "—", "—", "≤ 30 s", "通过 pass"]
    assert pg[SIZE] == "500,000 户"
    aggregation = row_of(text, "月度报告 Monthly report (SQLite)", "aggregation")
    assert aggregation[RATIO] == "0.94x" and aggregation[RESULT] == "通过 pass"
    assert "**12 of 12 figures with a target pass.**" in text
    assert "median" in text and "bare baseline timed in the same run" in text
    assert not run_all.failed(run_all.summary_rows(all_results()))


def test_a_missed_target_is_a_failure():
    results = all_results(monitoring=monitoring(portal=6.0, baseline=1.5),          # 4x: over 3x
                          report=report(seconds=5.5),                                 # over 5 s
                          registry=registry(csv_seconds=61.0))                        # over 60 s
    text = render(results)
    slow = row_of(text, "数据比对 Monitoring (SQLite)", "department file import")
    assert slow[RATIO] == "4.00x" and slow[RESULT] == "**未达标 FAIL**"
    assert row_of(text, "月度报告 Monthly report (SQLite)", "build + PDF")[RESULT] == "**未达标 FAIL**"
    assert row_of(text, "登记 Registry", ".csv")[RESULT] == "**未达标 FAIL**"
    assert row_of(text, "登记 Registry", ".xlsx")[RESULT] == "通过 pass"
    assert row_of(text, "数据比对 Monitoring (PostgreSQL)", "department file import")[RESULT] == "通过 pass"
    assert "9 of 12 figures with a target pass; 3 fail" in text
    assert run_all.failed(run_all.summary_rows(results))


def test_a_missing_postgres_file_is_shown_as_not_run_and_is_no_failure():
    results = all_results(**{"monitoring-postgres": None, "report-postgres": None})
    text = render(results)
    for benchmark in ("数据比对 Monitoring (PostgreSQL)", "月度报告 Monthly report (PostgreSQL)"):
        row = row_of(text, benchmark, "all figures")
        assert row[RESULT] == "未运行 not run" and row[MEDIAN] == "—" and row[DETAILS] == "—"
    assert ("Not run: 数据比对 Monitoring (PostgreSQL), 月度报告 Monthly report (PostgreSQL), "
            "负载测试 Load test (PostgreSQL, Redis).") in text
    assert "**9 of 9 figures with a target pass.**" in text
    assert not run_all.failed(run_all.summary_rows(results))


def test_a_benchmark_that_failed_to_run_fails_the_summary():
    results = all_results(report={"error": "exit code 1"})
    text = render(results)
    row = row_of(text, "月度报告 Monthly report (SQLite)", "all figures")
    assert row[RESULT] == "**出错 error**" and row[MEASURED] == "exit code 1"
    assert run_all.failed(run_all.summary_rows(results))


def test_rows_say_whether_this_run_measured_them_and_link_their_report():
    text = render(all_results(), fresh=("registry",))
    registry_row = row_of(text, "登记 Registry", ".csv")
    assert registry_row[MEASURED] == "2026-11-29 08:40 (本次 this run)"
    assert registry_row[DETAILS] == "[registry.md](benchmarks/registry.md)"
    pg = row_of(text, "数据比对 Monitoring (PostgreSQL)", "department file import")
    assert pg[MEASURED] == "2026-11-29 12:44 (此前 earlier)"
    assert pg[DETAILS] == "[monitoring-postgres.md](benchmarks/monitoring-postgres.md)"


def test_the_machine_is_described():
    text = render(all_results())
    for part in ("AMD EPYC, 2 cores; RAM 23.5 GB", "Python 3.11.7, SQLite 3.40.1, PostgreSQL 15.20",
                 "1.00 1.00 1.00 / 1.10 1.00 1.00", "python benchmarks/run_all.py"):
        assert part in text


def test_files_are_read_by_name_and_a_missing_one_is_none(tmp_path):
    import json

    (tmp_path / "report.json").write_text(json.dumps(report()), "utf-8")
    (tmp_path / "monitoring.json").write_text("{broken", "utf-8")
    results = run_all.load_results(tmp_path)
    assert results["report"]["result"]["report_seconds"]["median"] == 3.7
    assert results["registry"] is None and results["report-postgres"] is None
    assert "error" in results["monitoring"]


@pytest.mark.parametrize("quick", [False, True])
def test_the_jobs_run_the_documented_sizes(quick, tmp_path):
    jobs = {job.key: job.argv(quick=quick, url="postgresql://x", out=tmp_path / f"{job.key}.md")
            for job in run_all.JOBS}
    pg = jobs["report-postgres"]
    assert pg[pg.index("--database-url") + 1] == "postgresql://x"
    assert pg[pg.index("--out") + 1] == str(tmp_path / "report-postgres.md")
    households = int(pg[pg.index("--households") + 1])
    assert (households < 500_000) if quick else (households == 500_000 and "--applications" in pg)
    assert "--database-url" not in jobs["report"] and "--database-url" not in jobs["registry"]


def test_at_quick_sizes_only_a_benchmark_that_failed_to_run_counts():
    slow = all_results(report=report(seconds=9.0))
    assert run_all.failed(run_all.summary_rows(slow))
    assert not run_all.failed(run_all.summary_rows(slow), errors_only=True)
    broken = all_results(report={"error": "exit code 1"})
    assert run_all.failed(run_all.summary_rows(broken), errors_only=True)
