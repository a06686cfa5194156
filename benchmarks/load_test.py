"""Load test: simulated caseworkers on the real websocket against the production server (负载测试).

    python benchmarks/load_test.py [--users 100] [--duration 300] [--workers 2] [--ramp 20]
        [--postgres URL | --url URL --portal-database-url URL] [--households 30000]
        [--frontend auto|build|reuse|none] [--work-dir DIR] [--port N] [--out docs/benchmarks/load.md]
        [--note TEXT ...] [--render-only]

Starts what production runs - `reflex run --env prod`, GRANIAN_WORKERS workers sharing their
state through Redis (a private redis-server), PostgreSQL (a fresh schema on --postgres, dropped
afterwards) - from a work copy of the project (--work-dir; Reflex writes .web/ there, and a
frontend built by an earlier run is reused). The database gets the demo county, --households
synthetic households (generate_county) and one township staff account per user (新民镇 and
沙坪镇 in turn). Then --users caseworkers, started evenly over --ramp seconds, each a browser tab
on the real socket.io websocket (benchmarks/load/portal_client.py), loop for --duration seconds:
sign in, open the registry list, search it, open one household of their township, open the
visit form and record one home visit, 1-3 s between actions, now and then sign out
(benchmarks/load/scenario.py).

Reported: every action's latency (emit to the answer that ends it; page loads until the page's
on_load handlers are done) per kind and overall - p50, p95, p99, max - against the target
p95 <= 300 ms; errors (failed or refused actions, server exceptions, error messages on the
page, errors in the server's log: must be 0); reconnects; the machine's load; and the
reconciliation: the visits the clients saw confirmed == the visit rows carrying the run's change
ids == the audit entries "create visit" of the load accounts in the test window (and sign-ins ==
audit entries == sessions). The bare baseline is a no-op event (set_is_hydrated) sent once a
second by a probe tab through the same server during the run.

With --url the portal is one already running (its database: --portal-database-url); only the
accounts (and households, unless there are synthetic ones already) are added to it. --postgres is
also accepted as --database-url (the name benchmarks/run_all.py passes).
Writes the markdown report to --out and the same numbers as JSON next to it ("pass": the
targets met). Exit code 0 when the run completed, whatever its figures (as the other benchmarks).
"""

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load.runner import DEFAULT_WORK_DIR, TARGET_P95_MS, run_load  # noqa: E402
from benchmarks.load.stats import loadavg  # noqa: E402
from benchmarks.registry_bench import machine  # noqa: E402

KIND_LABELS = {
    "connect": "打开网页（建立连接并加载登录页）/ connect and hydrate /login",
    "login": "登录 / sign in (LoginState.login, argon2)",
    "page:/": "首页 / home page",
    "page:/login": "登录页 / sign-in page",
    "page:/r/households": "家庭档案列表 / registry list",
    "search": "查询 / search the registry (apply_search)",
    "page:/households/[household_id]": "家庭全景 / household page",
    "plan_visit": "打开走访表 / open the visit form (plan_visit)",
    "record_visit": "记录走访 / record a visit (record_visit)",
    "logout": "退出 / sign out",
}


def _ms(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def _steady_row(lat: dict) -> list[str]:
    steady = lat.get("steady") or {}
    if not steady.get("n"):
        return []
    return [f"| 稳定阶段 / all actions from {lat['steady_from_seconds']:g} s on (after the ramp-up and its backlog) "
            f"| {steady['n']:,} | {_ms(steady['p50'])} | {_ms(steady['p95'])} | {_ms(steady['p99'])} | "
            f"{_ms(steady['max'])} |"]


def render(result: dict) -> str:
    r, rec, s = result["result"], result["reconcile"], result["setup"]
    lat, m, load = r["latency_ms"], result["machine"], r["load"]
    overall = lat["all"]
    base = r["baseline_ms"]
    ok = result["pass"]
    lines = [
        "# 负载测试 Load test - simulated caseworkers on the production server",
        "",
        f"Measured {result['finished_at']} with `{result['command']}`.",
        "",
        f"**{'通过 pass' if ok else '未达标 FAIL'}**: p95 {_ms(overall.get('p95'))} ms (target ≤ "
        f"{TARGET_P95_MS:.0f} ms), {r['errors']} errors, reconciliation "
        f"{'exact' if rec['exact'] else 'NOT exact'}, {result.get('server_log_problems', {}).get('count', 0)} "
        "error lines in the server's log.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gb']} GB; {m['os']}; Python {m['python']}",
        f"- Load average (1, 5, 15 min) at start / end: {result['load_average_at_start']} / "
        f"{result['load_average_at_end']}. The machine is shared with other work; everything - the two workers, "
        "Redis, PostgreSQL and the simulated users - runs on these cores.",
        "",
        "## Setup",
        "",
        f"- Server: `reflex run --env prod`, {result['workers']} granian workers (pids {s.get('worker_pids')}), "
        f"state in a private Redis, PostgreSQL schema `{s.get('schema', '(given)')}`; frontend: {s.get('frontend')} "
        f"(started in {s.get('startup_seconds')} s"
        + (", compile and bun build included" if s.get("frontend") == "build" else "")
        + (", no compile or build: the earlier build reused" if s.get("frontend") == "reuse" else "") + ")",
        f"- Data: demo county + {s.get('generated_households')} synthetic households "
        f"({s.get('generate_seconds')} s); in the load townships: "
        + ", ".join(f"{code} {n:,}" for code, n in (s.get("households_in_load_townships") or {}).items())
        + f"; {result['users']} township staff accounts (新民镇 / 沙坪镇)",
        f"- {result['users']} users started evenly over {result['ramp_seconds']} s, each looping for "
        f"{result['duration_seconds']} s (a loop in progress is finished): sign in, registry list, search, "
        f"household page, open the visit form, record one visit; {result['think_seconds'][0]:g}-"
        f"{result['think_seconds'][1]:g} s between actions; signs out after a loop with probability "
        f"{result['logout_chance']:g}",
        "",
        "## Result",
        "",
        f"{r['steps']:,} actions ({r['events_sent']:,} websocket events, {r['events_per_second']} events/s) in "
        f"{r['elapsed_seconds']} s; {r['loops']:,} loops.",
        "",
        "| 操作 action | n | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|",
    ]
    for kind, v in lat["by_kind"].items():
        lines.append(f"| {KIND_LABELS.get(kind, kind)} | {v['n']:,} | {_ms(v['p50'])} | {_ms(v['p95'])} | "
                     f"{_ms(v['p99'])} | {_ms(v['max'])} |")
    lines += [
        f"| **全部 all actions** | **{overall.get('n', 0):,}** | **{_ms(overall.get('p50'))}** | "
        f"**{_ms(overall.get('p95'))}** | **{_ms(overall.get('p99'))}** | **{_ms(overall.get('max'))}** |",
        *_steady_row(lat),
        f"| 同次裸基线: 空事件 / bare baseline: a no-op event, during the run | {base['under_load'].get('n', 0)} | "
        f"{_ms(base['under_load'].get('p50'))} | {_ms(base['under_load'].get('p95'))} | "
        f"{_ms(base['under_load'].get('p99'))} | {_ms(base['under_load'].get('max'))} |",
        f"| 空事件, 无负载 / the no-op event before the users started | {base['idle'].get('n', 0)} | "
        f"{_ms(base['idle'].get('p50'))} | {_ms(base['idle'].get('p95'))} | {_ms(base['idle'].get('p99'))} | "
        f"{_ms(base['idle'].get('max'))} |",
        "",
        f"Ratio p95 all actions / p95 no-op event during the run: "
        f"{r['ratio_p95']:.2f}x." if r.get("ratio_p95") else "",
        "",
        "Latency is measured in the client from the emit to the message that ends the action: for a handler its "
        "delta (or, for sign-in and sign-out, the redirect), for a page load the `is_hydrated` delta that follows "
        "the page's on_load handlers (the browser sends `update_vars_internal` and `on_load_internal`).",
        "",
        f"Errors: **{r['errors']}** ({r['failed_steps']} failed actions, {r['other_failures']} refused or "
        f"unconfirmed, {r['protocol_problems']} server exceptions or protocol surprises); error lines in the "
        f"server's log: {result.get('server_log_problems', {}).get('count', '—')}; reconnects: {r['reconnects']}; "
        f"unexpected disconnects: {r['disconnects']}."
        + (f" Reflex warned {result['lock_held_too_long_warnings']:,} times that a tab's state lock was held "
           "longer than its warning threshold (an event of that tab waited for a busy worker; not an error)."
           if result.get("lock_held_too_long_warnings") else ""),
    ]
    if r["error_samples"] or result.get("server_log_problems", {}).get("samples"):
        lines += ["", "```", *r["error_samples"][:15], *result.get("server_log_problems", {}).get("samples", [])[:10],
                  "```"]
    lines += [
        "",
        "## Reconciliation",
        "",
        "| what | clients | database |",
        "|---|---|---|",
        f"| visits recorded (record_visit confirmed 已记录走访) | {rec['confirmed']:,} | "
        f"{rec['visit_rows']:,} visit rows with the run's change ids |",
        f"| audit entries 'create visit' by the load accounts in the window | | {rec['audit_entries']:,} "
        f"({rec['audit_for_run_visits']:,} for those rows, one each) |",
        f"| outcome not seen (timeout, connection lost) / refused | {rec['unknown']} / {rec['refused']} | |",
        f"| sign-ins | {rec['logins_client']:,} | {rec['logins_audit']:,} audit entries, "
        f"{rec['sessions_created']:,} sessions |",
        f"| sign-outs | {rec['logouts_client']:,} | {rec['logouts_audit']:,} audit entries |",
        "",
        f"Confirmed but missing: {len(rec['missing_in_db'])}; in the database but not confirmed: "
        f"{len(rec['not_confirmed_in_db'])}; audit mismatches: {len(rec['audit_mismatch'])}. "
        f"**{'Every change accounted for.' if rec['exact'] else 'NOT every change accounted for.'}**",
        "",
        "## Machine load during the run",
        "",
        "CPU in % of one core (sampled every 2 s): mean / max.",
        "",
        "| process | CPU mean | CPU max |",
        "|---|---|---|",
    ]
    for key, label in (("machine_cpu", "whole machine (% of all cores)"), ("workers_cpu", "the portal's workers"),
                       ("master_cpu", "granian master"), ("redis_cpu", "Redis"),
                       ("postgres_cpu", "PostgreSQL backends serving the workers"),
                       ("clients_cpu", "the simulated users (this process)"),
                       ("other_cpu", "other work on the machine, not this test")):
        if key in load:
            lines.append(f"| {label} | {load[key]['mean']} | {load[key]['max']} |")
    if "loadavg_1min" in load:
        lines.append(f"| load average (1 min) | {load['loadavg_1min']['mean']} | {load['loadavg_1min']['max']} |")
    if "workers_rss_mb" in load:
        rss = load["workers_rss_mb"]
        lines.append(f"| workers' memory (MB, sum) | {rss['mean']} | {rss['max']} |")
    if result.get("notes"):
        lines += ["", "## Notes", ""]
        for note in result["notes"]:
            lines += [note, ""]
    lines += [
        "",
        "## Reproduce",
        "",
        "```",
        "source scripts/env.sh",
        result["command"],
        "```",
        "",
        "The same numbers are in the JSON file next to this report. The CI runs a short version "
        "(tests/load/test_load_smoke.py: 10 users, 20 s).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds each user keeps going")
    parser.add_argument("--ramp", type=float, default=20.0, help="seconds over which the users start")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--households", type=int, default=30_000, help="synthetic households to generate")
    parser.add_argument("--postgres", "--database-url", dest="postgres",
                        default=os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                        help="PostgreSQL server to make a fresh schema on (default $TEST_POSTGRES_URL)")
    parser.add_argument("--url", default="", help="use a portal already running here instead of starting one")
    parser.add_argument("--portal-database-url", default="", help="with --url: that portal's database")
    parser.add_argument("--frontend", default="auto", choices=("auto", "build", "reuse", "none"))
    parser.add_argument("--work-dir", default=str(DEFAULT_WORK_DIR), help="the project copy the portal runs from")
    parser.add_argument("--port", type=int, default=0, help="the portal's port (default: a free one; a reused "
                        "frontend build needs the port it was built for)")
    parser.add_argument("--seed", type=int, default=20251128)
    parser.add_argument("--keep-schema", action="store_true")
    parser.add_argument("--out", default="docs/benchmarks/load.md")
    parser.add_argument("--note", action="append", default=[], help="a paragraph for the report's notes "
                        "(e.g. what a profile of the run showed); repeatable")
    parser.add_argument("--render-only", action="store_true", help="run nothing: rewrite --out from the JSON "
                        "next to it, with --note paragraphs added")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not out.is_absolute():
        out = ROOT / out
    if args.render_only:
        result = json.loads(out.with_suffix(".json").read_text("utf-8"))
        result["notes"] = [*result.get("notes", []), *args.note]
        _write(out, result)
        return 0
    shown = " ".join(argv if argv is not None else sys.argv[1:])
    if args.postgres:
        shown = shown.replace(args.postgres, "<postgres>")
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    described = machine()
    result = run_load(users=args.users, duration=args.duration, workers=args.workers, ramp=args.ramp,
                      households=args.households, postgres="" if args.url else args.postgres, url=args.url,
                      database_url=args.portal_database_url, frontend=args.frontend, work_dir=Path(args.work_dir),
                      seed=args.seed, keep_schema=args.keep_schema, port=args.port or None)
    result.update({"machine": described, "started_at": started, "command": f"python benchmarks/load_test.py {shown}",
                   "targets": {"p95_ms": TARGET_P95_MS, "errors": 0}, "postgres": True,
                   "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                   "load_average_at_end": loadavg()})
    result["machine"]["load_average_at_end"] = result["load_average_at_end"]
    result["notes"] = list(args.note)
    _write(out, result)
    return 0


def _write(out: Path, result: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(result), "utf-8")
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), "utf-8")
    print(render(result))
    print(f"written: {out} and {out.with_suffix('.json')}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
