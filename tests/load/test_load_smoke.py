"""The load smoke test (负载冒烟测试): the production server - `reflex run --env prod`, two
granian workers sharing their state through a private Redis, PostgreSQL in a fresh schema - under
ten simulated caseworkers on the real websocket for 20 seconds (benchmarks/load/, the same code
as the full 100-user run of benchmarks/load_test.py). No errors, every change reconciled with the
visit rows and the audit trail; the p95 latency is printed, not judged (this machine is shared)."""

import os
import shutil

import pytest

from tests.conftest import _PG_PROBLEM, POSTGRES_URL

pytestmark = [pytest.mark.load, pytest.mark.postgres]


def test_ten_caseworkers_on_two_workers(tmp_path, capsys):
    if _PG_PROBLEM:
        pytest.skip(_PG_PROBLEM)
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed (Debian package redis-server)")
    from benchmarks.load.runner import run_load

    # "build": the production command with its frontend build; LOAD_SMOKE_FRONTEND=none skips the build
    frontend = os.environ.get("LOAD_SMOKE_FRONTEND", "build")
    result = run_load(users=10, duration=20, ramp=5, workers=2, households=1500, postgres=POSTGRES_URL,
                      frontend=frontend, work_dir=tmp_path / "portal", baseline_samples=10)
    r, rec = result["result"], result["reconcile"]
    latency = r["latency_ms"]["all"]
    with capsys.disabled():
        print(f"\nload smoke: {r['steps']} steps, {r['events_sent']} events, p50 {latency['p50']:.0f} ms, "
              f"p95 {latency['p95']:.0f} ms, p99 {latency['p99']:.0f} ms, max {latency['max']:.0f} ms; "
              f"{rec['confirmed']} visits confirmed = {rec['visit_rows']} rows = {rec['audit_entries']} audit entries; "
              f"errors {r['errors']}, reconnects {r['reconnects']}; frontend {result['setup']['frontend']}, "
              f"start {result['setup']['startup_seconds']} s")
    assert r["errors"] == 0, r["error_samples"]
    assert result["server_log_problems"]["count"] == 0, result["server_log_problems"]["samples"]
    assert rec["confirmed"] > 0
    assert rec["exact"], rec
    assert rec["confirmed"] == rec["visit_rows"] == rec["audit_entries"]
    assert r["reconnects"] == 0 and r["disconnects"] == 0
    assert len(result["workers_alive_at_end"]) == 2
    assert latency["n"] == r["steps"]
