"""Registry benchmark: import, list page and household page on a 50,000-household county.

    python benchmarks/registry_bench.py [--households 50000] [--runs 5] [--out docs/benchmarks/registry.md]

Builds a fresh temporary SQLite database (migrate, demo county, generate_county), then
measures, each against a bare baseline doing the same database work without the portal:

(a) import of 50,000 member rows (synthetic_import_rows: new people, IDs that cannot clash
    with the county's) through services.registry_import.import_registry, into a fresh copy
    of the county per run, from CSV and from .xlsx; baseline: a plain Core executemany of
    the same households and members into the same tables (rows already in memory).
(b) the registry list: one township, one tag, sorted by head's name, page of 50, through
    services.resources.list_page (the generic low-code list, resource "households");
    baseline: the bare SQL for the same page (count + 50 rows).
(c) the household page: services.household_view.household_overview for random households;
    baseline: a bare select of the household and its members.

Each figure is the median over --runs runs (b and c: of all samples of all runs). Writes a
markdown report to --out and the same numbers as JSON next to it (same name, .json).
Targets: (a) <= 60 s and <= 3x baseline; (b) median <= 100 ms; (c) median <= 150 ms.
"""

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from lowincome_portal.db import migrations  # noqa: E402
from lowincome_portal.db.engine import engine_for  # noqa: E402
from lowincome_portal.db.tables import Household, Member, User  # noqa: E402
from lowincome_portal.db.uow import unit_of_work  # noqa: E402
from lowincome_portal.demo.seed import seed_demo  # noqa: E402
from lowincome_portal.demo.synthetic import generate_county, import_rows_csv, synthetic_import_rows  # noqa: E402
from lowincome_portal.services.auth import actor_for  # noqa: E402

TARGETS = {"import_seconds": 60.0, "import_ratio": 3.0, "list_ms": 100.0, "household_ms": 150.0}
LIST_TAGS = ("dibao", "monitoring", "dibao_edge", "tekun")
ACTOR = "minzheng"  # county civil affairs: sees the whole county


# ---- the machine ----------------------------------------------------------------------------

def _proc(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine() -> dict:
    mem_kb = _proc("/proc/meminfo", "MemTotal").split()
    return {
        "cpu": _proc("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "ram_gb": round(int(mem_kb[0]) / 1024 / 1024, 1) if mem_kb else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sa.__version__,
        "load_average_at_start": _loadavg(),
    }


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


# ---- helpers ----------------------------------------------------------------------------------

def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median": statistics.median(ordered), "p90": ordered[int(0.9 * (len(ordered) - 1))],
            "min": ordered[0], "max": ordered[-1], "n": len(ordered)}


def _copy(template: Path, dest: Path) -> str:
    shutil.copyfile(template, dest)
    return f"sqlite:///{dest}"


def _drop(url: str, path: Path) -> None:
    engine_for(url).dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _actor(engine, username: str = ACTOR):
    with Session(engine) as s:
        return actor_for(s, s.exec(select(User).where(User.username == username)).one())


def build_county(workdir: Path, households: int, seed: int) -> tuple[Path, dict]:
    path = workdir / "county.db"
    url = f"sqlite:///{path}"
    started = time.perf_counter()
    migrations.upgrade(url)
    engine = engine_for(url)
    with unit_of_work(engine) as session:
        seed_demo(session)
    prepared = time.perf_counter() - started
    summary = generate_county(engine, households=households, seed=seed)
    with engine.connect() as c:  # fold the WAL into the file so a plain copy is complete
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        c.exec_driver_sql("ANALYZE")
    engine.dispose()
    summary["migrate_and_seed_seconds"] = round(prepared, 2)
    return path, summary


# ---- (a) import ------------------------------------------------------------------------------

def _baseline_rows(headers: list[str], rows: list[list[str]]) -> list[tuple[dict, list[dict]]]:
    """The import's rows as table rows, converted outside the timing (no checks at all)."""
    from lowincome_portal.domain import areas as area_rules
    from lowincome_portal.domain import registry as codes
    from lowincome_portal.domain.import_columns import BY_KEY

    at = {key: headers.index(c.header) for key, c in BY_KEY.items()}
    villages: dict[tuple[str, str], str] = {}
    text = (ROOT / "lowincome_portal/demo/dianjiang_areas_sample.csv").read_text("utf-8").splitlines()[1:]
    names = {line.split(",")[0]: line.split(",")[1] for line in text if line}
    for code, name in names.items():
        if area_rules.level_of(code) == area_rules.VILLAGE:
            villages[(names[area_rules.parent_code(code)], name)] = code
    reverse = {name: {v: k for k, v in mapping.items()} for name, mapping in (
        ("relation", codes.RELATIONS), ("labour_capacity", codes.LABOUR_CAPACITY), ("health", codes.HEALTH),
        ("disability_type", codes.DISABILITY_TYPES), ("employment", codes.EMPLOYMENT),
        ("schooling", codes.SCHOOLING))}
    grades = {v: int(k) for k, v in codes.DISABILITY_GRADES.items() if k}
    now = datetime.now(UTC)
    grouped: dict[str, tuple[dict, list[dict]]] = {}
    for r in rows:
        head = r[at["head_id_number"]]
        if head not in grouped:
            grouped[head] = ({
                "area_code": villages[(r[at["township"]], r[at["village"]])], "address": r[at["address"]],
                "phone": r[at["phone"]], "bank_name": r[at["bank_name"]], "bank_account": r[at["bank_account"]],
                "status": "active", "note": "", "head_name": "", "head_id_number": head, "member_count": 0,
                "current_tags": "", "created_at": now, "updated_at": now}, [])
        household, members = grouped[head]
        schooling = reverse["schooling"].get(r[at["schooling"]], "")
        member = {
            "id_number": r[at["id_number"]], "name": r[at["name"]],
            "sex": "male" if r[at["sex"]] == "男" else "female",
            "birth_date": date.fromisoformat(r[at["birth_date"]]),
            "relation": reverse["relation"][r[at["relation"]]],
            "labour_capacity": reverse["labour_capacity"].get(r[at["labour_capacity"]], "full"),
            "health": reverse["health"].get(r[at["health"]], "healthy"),
            "disability_type": reverse["disability_type"].get(r[at["disability_type"]], ""),
            "disability_grade": grades.get(r[at["disability_grade"]]),
            "employment": reverse["employment"].get(r[at["employment"]], ""),
            "schooling": schooling, "in_school": schooling not in ("", "dropped_out"),
            "medical_insurance": r[at["medical_insurance"]] != "否", "has_supporter": False,
            "active": True, "left_on": None, "left_reason": "", "created_at": now,
        }
        members.append(member)
        household["member_count"] += 1
        if member["relation"] == "head":
            household["head_name"] = member["name"]
    return list(grouped.values())


def _baseline_insert(engine, grouped: list[tuple[dict, list[dict]]]) -> tuple[float, float]:
    """Plain Core executemany: households (RETURNING id, as any insert of children needs),
    then their members; one transaction, committed. Returns (wall, CPU) seconds."""
    started, cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        households = [h for h, _ in grouped]
        ids = list(conn.execute(sa.insert(Household.__table__).returning(
            Household.__table__.c.id, sort_by_parameter_order=True), households).scalars())
        member_rows = [{**m, "household_id": hid} for hid, (_, members) in zip(ids, grouped) for m in members]
        conn.execute(sa.insert(Member.__table__), member_rows)
    return time.perf_counter() - started, time.process_time() - cpu


def bench_import(template: Path, workdir: Path, n_members: int, runs: int, formats: list[str]) -> dict:
    from lowincome_portal.services import spreadsheets
    from lowincome_portal.services.registry_import import import_registry
    from lowincome_portal.domain.import_columns import TEXT_HEADERS

    headers, rows = synthetic_import_rows(n_members)
    files = {"csv": import_rows_csv(headers, rows)}
    if "xlsx" in formats:
        files["xlsx"] = spreadsheets.workbook_bytes([("家庭成员", headers, rows)], text_headers=TEXT_HEADERS)
    grouped = _baseline_rows(headers, rows)
    result = {"members": len(rows), "households": len(grouped),
              "file_bytes": {k: len(v) for k, v in files.items()}, "formats": {}}
    baseline: list[float] = []
    baseline_cpu: list[float] = []
    timings: dict[str, list[float]] = {fmt: [] for fmt in formats}
    cpu_timings: dict[str, list[float]] = {fmt: [] for fmt in formats}
    for run in range(runs):
        for fmt in formats:
            path = workdir / f"import-{fmt}-{run}.db"
            url = _copy(template, path)
            engine = engine_for(url)
            actor = _actor(engine)
            started, cpu = time.perf_counter(), time.process_time()
            with Session(engine, expire_on_commit=False) as session:
                report = import_registry(session, actor=actor, filename=f"bench.{fmt}", data=files[fmt])
                if not report.ok:
                    raise SystemExit(f"import refused the synthetic file: {report.errors[:5]}")
                session.commit()
            timings[fmt].append(time.perf_counter() - started)
            cpu_timings[fmt].append(time.process_time() - cpu)
            assert report.members == len(rows), report
            _drop(url, path)
        path = workdir / f"baseline-{run}.db"
        url = _copy(template, path)
        wall, cpu = _baseline_insert(engine_for(url), grouped)
        baseline.append(wall)
        baseline_cpu.append(cpu)
        _drop(url, path)
        print(f"  import run {run + 1}/{runs}: " + ", ".join(f"{f} {timings[f][-1]:.2f} s" for f in formats)
              + f", baseline {baseline[-1]:.2f} s", file=sys.stderr)
    result["baseline_seconds"] = _stats(baseline)
    result["baseline_cpu_seconds"] = _stats(baseline_cpu)
    for fmt in formats:
        s, c = _stats(timings[fmt]), _stats(cpu_timings[fmt])
        result["formats"][fmt] = {"seconds": s, "ratio": s["median"] / result["baseline_seconds"]["median"],
                                  "cpu_seconds": c,
                                  "cpu_ratio": c["median"] / result["baseline_cpu_seconds"]["median"]}
    return result


# ---- (b) list page ---------------------------------------------------------------------------

def _list_samples(engine, rng: random.Random, per_run: int) -> list[tuple[str, str]]:
    with engine.connect() as c:
        townships = c.execute(sa.text("SELECT code FROM area WHERE level = 'township' ORDER BY code")).scalars().all()
    return [(rng.choice(townships), LIST_TAGS[i % len(LIST_TAGS)]) for i in range(per_run)]


_BARE_COUNT = sa.text("SELECT count(*) FROM household WHERE area_code BETWEEN :low AND :high "
                      "AND current_tags LIKE :tag")
_BARE_PAGE = sa.text("SELECT id, head_name, head_id_number, area_code, address, member_count, current_tags, status "
                     "FROM household WHERE area_code BETWEEN :low AND :high AND current_tags LIKE :tag "
                     "ORDER BY head_name, id LIMIT 50 OFFSET 0")


def bench_list(engine, runs: int, per_run: int, seed: int) -> dict:
    from lowincome_portal.services.resources import ListQuery, list_page

    actor = _actor(engine)
    rng = random.Random(seed)
    service, bare, totals = [], [], []
    for _ in range(runs):
        for township, tag in _list_samples(engine, rng, per_run):
            query = ListQuery(filters={"area_code": township, "current_tags": tag}, sort="head_name",
                              page=1, page_size=50)
            started = time.perf_counter()
            with Session(engine) as session:
                page = list_page(session, actor=actor, name="households", query=query)
            service.append(time.perf_counter() - started)
            params = {"low": township[:9] + "000", "high": township[:9] + "999", "tag": f"% {tag} %"}
            started = time.perf_counter()
            with Session(engine) as session:
                total = session.execute(_BARE_COUNT, params).scalar_one()
                rows = session.execute(_BARE_PAGE, params).all()
            bare.append(time.perf_counter() - started)
            assert total == page.total and len(rows) == len(page.rows), (township, tag, total, page.total)
            totals.append(total)
    # the whole county, no filter, default order: the first page a county user opens
    county, county_bare = [], []
    for _ in range(runs * 3):
        started = time.perf_counter()
        with Session(engine) as session:
            page = list_page(session, actor=actor, name="households", query=ListQuery(page_size=50))
        county.append(time.perf_counter() - started)
        started = time.perf_counter()
        with Session(engine) as session:
            session.execute(sa.text("SELECT count(*) FROM household")).scalar_one()
            session.execute(sa.text("SELECT * FROM household ORDER BY area_code, id LIMIT 50")).all()
        county_bare.append(time.perf_counter() - started)
    s, b = _stats([x * 1000 for x in service]), _stats([x * 1000 for x in bare])
    return {"service_ms": s, "baseline_ms": b, "ratio": s["median"] / b["median"],
            "rows_matched": {"median": statistics.median(totals), "max": max(totals)},
            "county_first_page_ms": _stats([x * 1000 for x in county]),
            "county_first_page_baseline_ms": _stats([x * 1000 for x in county_bare])}


# ---- (c) household page -----------------------------------------------------------------------

def _overview():
    try:
        from lowincome_portal.services.households import household_overview
    except ImportError:
        from lowincome_portal.services.household_view import household_overview
    return household_overview


def bench_household(engine, runs: int, per_run: int, seed: int) -> dict:
    household_overview = _overview()
    actor = _actor(engine)
    rng = random.Random(seed + 1)
    with engine.connect() as c:
        low, high = c.execute(sa.text("SELECT min(id), max(id) FROM household")).one()
    service, bare = [], []
    for _ in range(runs):
        for _ in range(per_run):
            household_id = rng.randint(low, high)
            started = time.perf_counter()
            with Session(engine) as session:
                view = household_overview(session, actor=actor, household_id=household_id)
            service.append(time.perf_counter() - started)
            started = time.perf_counter()
            with Session(engine) as session:
                session.get(Household, household_id)
                members = session.exec(select(Member).where(Member.household_id == household_id)).all()
            bare.append(time.perf_counter() - started)
            assert len(view["members"]) == len(members)
    s, b = _stats([x * 1000 for x in service]), _stats([x * 1000 for x in bare])
    return {"service_ms": s, "baseline_ms": b, "ratio": s["median"] / b["median"]}


# ---- (b) and (c) as the browser gets them: the page's event handler -----------------------------

def _page_state(state_cls, token: str):
    import reflex as rx

    import lowincome_portal.lowincome_portal  # noqa: F401 - registers every page state

    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_cls.get_full_name().split("."))
    state.token = token
    return root, state


def bench_handlers(url: str, runs: int, per_run: int, seed: int) -> dict:
    """The list and household pages through their event handlers, as a browser event runs them:
    the session check, the permission check, the service, the state update and the JSON delta
    Reflex sends back. Baseline: the bare SQL of the same page, as in (b) and (c)."""
    from lowincome_portal.demo.seed import DEMO_PASSWORD
    from lowincome_portal.pages.household.state import HouseholdState
    from lowincome_portal.pages.resources.list import ResourceListState
    from lowincome_portal.services import auth

    os.environ["DATABASE_URL"] = url  # the handlers open their own unit of work
    engine = engine_for(url)
    with unit_of_work(engine) as session:
        token = auth.login(session, ACTOR, DEMO_PASSWORD).token
    rng = random.Random(seed + 2)
    list_ms, list_bytes, household_ms, household_bytes = [], [], [], []
    with engine.connect() as c:
        low, high = c.execute(sa.text("SELECT min(id), max(id) FROM household")).one()
    for _ in range(runs):
        for township, tag in _list_samples(engine, rng, per_run):
            root, state = _page_state(ResourceListState, token)
            state._resource = "households"
            state.filters = [{"name": "area_code", "label": "", "value": township, "options": []},
                             {"name": "current_tags", "label": "", "value": tag, "options": []}]
            state.sort = "head_name"
            root._clean()
            started = time.perf_counter()
            ResourceListState.apply_search.fn(state, {"search": ""})
            delta = json.dumps(root.get_delta(), ensure_ascii=False, default=str)
            list_ms.append((time.perf_counter() - started) * 1000)
            list_bytes.append(len(delta.encode()))
            assert not state.error, state.error
            root, state = _page_state(HouseholdState, token)
            state._household_id = rng.randint(low, high)
            root._clean()
            started = time.perf_counter()
            state._reload(state._actor())
            delta = json.dumps(root.get_delta(), ensure_ascii=False, default=str)
            household_ms.append((time.perf_counter() - started) * 1000)
            household_bytes.append(len(delta.encode()))
    return {"list_ms": _stats(list_ms), "list_delta_bytes": statistics.median(list_bytes),
            "household_ms": _stats(household_ms), "household_delta_bytes": statistics.median(household_bytes)}


# ---- the report -------------------------------------------------------------------------------

def _verdict(ok: bool) -> str:
    return "通过 (pass)" if ok else "未达标 (FAIL)"


def render(result: dict) -> str:
    m, g, a, lp, hp = (result[k] for k in ("machine", "county", "import", "list", "household"))
    command = result["command"]
    lines = [
        "# Registry benchmark (登记模块性能基准)",
        "",
        f"Measured {result['finished_at']} with `{command}`.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gb']} GB; {m['os']}",
        f"- Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}",
        f"- Load average at start / end: {m['load_average_at_start']} / {m['load_average_at_end']}"
        " (other work on the machine makes every figure slower; compare runs on an idle machine)",
        "",
        "## The county",
        "",
        f"A fresh temporary SQLite database: migrate + demo county in {g['migrate_and_seed_seconds']} s, then "
        f"`generate_county` wrote {g['households']:,} households, {g['members']:,} members, "
        f"{g['economic_status']:,} economic-status rows and {g['tag_rows']:,} tag rows "
        f"({g['ended_tag_rows']:,} ended) in **{g['seconds']} s** ({g.get('cpu_seconds', '?')} s CPU; seed {g['seed']}).",
        "",
        "## Results",
        "",
        "| measure | portal (median) | bare baseline (median) | ratio | target | result |",
        "|---|---|---|---|---|---|",
    ]
    for fmt, f in a["formats"].items():
        seconds = f["seconds"]["median"]
        ok = seconds <= TARGETS["import_seconds"] and f["ratio"] <= TARGETS["import_ratio"]
        lines.append(f"| (a) import {a['members']:,} member rows ({a['households']:,} households), .{fmt} | "
                     f"{seconds:.2f} s | {a['baseline_seconds']['median']:.2f} s | {f['ratio']:.1f}x | "
                     f"<= 60 s and <= 3x | {_verdict(ok)} |")
    lines.append(f"| (b) list: one township + one tag, sorted, 50 rows | {lp['service_ms']['median']:.1f} ms | "
                 f"{lp['baseline_ms']['median']:.1f} ms | {lp['ratio']:.1f}x | <= 100 ms | "
                 f"{_verdict(lp['service_ms']['median'] <= TARGETS['list_ms'])} |")
    lines.append(f"| (c) household page (overview) | {hp['service_ms']['median']:.1f} ms | "
                 f"{hp['baseline_ms']['median']:.1f} ms | {hp['ratio']:.1f}x | <= 150 ms | "
                 f"{_verdict(hp['service_ms']['median'] <= TARGETS['household_ms'])} |")
    h = result["handlers"]
    for label, key, bare, target in (("(b) list page, query plus state (event handler)", "list_ms",
                                      lp["baseline_ms"]["median"], TARGETS["list_ms"]),
                                     ("(c) household page, query plus state (event handler)", "household_ms",
                                      hp["baseline_ms"]["median"], TARGETS["household_ms"])):
        median = h[key]["median"]
        lines.append(f"| {label} | {median:.1f} ms | {bare:.1f} ms | {median / bare:.1f}x | <= {target:.0f} ms | "
                     f"{_verdict(median <= target)} |")
    lines += [
        "",
        "## Details",
        "",
        "The two \"query plus state\" rows run the pages' own event handlers "
        "(`ResourceListState.apply_search`, `HouseholdState._reload`) as a browser event does: the session "
        "check against the database, the permission check, the service, the state update and the JSON delta "
        f"Reflex sends back (median {result['handlers']['list_delta_bytes']:,} bytes for a list page, "
        f"{result['handlers']['household_delta_bytes']:,} for a household page).",
        "",
        "(a) Import. Each run imports the same synthetic file (new people; their ID numbers cannot clash "
        "with the county's) through `services.registry_import.import_registry` as the county civil-affairs "
        f"user, into a fresh copy of the {g['households']:,}-household county, and commits. The time covers reading the "
        "file, every check, the inserts, the audit entry and the commit. The baseline inserts the same "
        "households and members, already converted to table rows in memory, with two Core executemany "
        "statements (households with RETURNING id, then members) and commits - no reading, no checks.",
        "",
    ]
    for fmt, f in a["formats"].items():
        s = f["seconds"]
        lines.append(f"- .{fmt} ({a['file_bytes'][fmt] / 1e6:.1f} MB): median {s['median']:.2f} s, "
                     f"min {s['min']:.2f}, max {s['max']:.2f} over {s['n']} runs; CPU median "
                     f"{f['cpu_seconds']['median']:.2f} s ({f['cpu_ratio']:.1f}x the baseline's CPU)")
    b, bc = a["baseline_seconds"], a["baseline_cpu_seconds"]
    lines += [
        f"- baseline: median {b['median']:.2f} s, min {b['min']:.2f}, max {b['max']:.2f} over {b['n']} runs; "
        f"CPU median {bc['median']:.2f} s",
        "- CPU is this process's CPU time (SQLite runs in-process, so it includes the database's work); it "
        "moves much less than wall time when other work shares the machine.",
        "",
        "(b) List. `services.resources.list_page(session, actor=..., name=\"households\", query=ListQuery("
        "filters={\"area_code\": <township>, \"current_tags\": <tag>}, sort=\"head_name\", page_size=50))` for "
        f"random townships and the tags {', '.join(LIST_TAGS)} in turn, each in a new session; baseline: the "
        "same count and page as two bare SQL statements (`area_code BETWEEN`, `current_tags LIKE '% tag %'`, "
        "`ORDER BY head_name, id LIMIT 50`).",
        "",
        f"- portal: median {lp['service_ms']['median']:.1f} ms, p90 {lp['service_ms']['p90']:.1f}, "
        f"max {lp['service_ms']['max']:.1f} ({lp['service_ms']['n']} pages); "
        f"baseline median {lp['baseline_ms']['median']:.1f} ms, p90 {lp['baseline_ms']['p90']:.1f}",
        f"- households matched per page query: median {lp['rows_matched']['median']:.0f}, "
        f"max {lp['rows_matched']['max']}",
        f"- for comparison, the whole county's first page (no filter, default order): median "
        f"{lp['county_first_page_ms']['median']:.1f} ms (bare {lp['county_first_page_baseline_ms']['median']:.1f} ms)",
        "",
        "(c) Household page. `household_overview(session, actor=..., household_id=...)` for random "
        "households, each in a new session; baseline: `session.get(Household, id)` and a select of its members.",
        "",
        f"- portal: median {hp['service_ms']['median']:.1f} ms, p90 {hp['service_ms']['p90']:.1f}, "
        f"max {hp['service_ms']['max']:.1f} ({hp['service_ms']['n']} households); "
        f"baseline median {hp['baseline_ms']['median']:.1f} ms",
        "",
        "## Reproduce",
        "",
        "```",
        "source scripts/env.sh",
        command,
        "```",
        "",
        "The same numbers are in the JSON file next to this report.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--import-members", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=20, help="list pages and households per run")
    parser.add_argument("--formats", default="csv,xlsx", help="import file formats, comma-separated")
    parser.add_argument("--seed", type=int, default=20251128)
    parser.add_argument("--out", default="docs/benchmarks/registry.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    out = Path(args.out)
    if not out.is_absolute():
        out = ROOT / out

    result = {"machine": machine(), "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
              "command": "python benchmarks/registry_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "targets": TARGETS}
    workdir = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    try:
        print(f"building the county ({args.households} households) in {workdir}", file=sys.stderr)
        template, result["county"] = build_county(workdir, args.households, args.seed)
        print(f"  generate_county: {result['county']['seconds']} s", file=sys.stderr)
        print("(a) import", file=sys.stderr)
        result["import"] = bench_import(template, workdir, args.import_members, args.runs, formats)
        engine = engine_for(f"sqlite:///{template}")
        print("(b) list page", file=sys.stderr)
        result["list"] = bench_list(engine, args.runs, args.samples, args.seed)
        print("(c) household page", file=sys.stderr)
        result["household"] = bench_household(engine, args.runs, args.samples, args.seed)
        print("(b, c) through the pages' event handlers", file=sys.stderr)
        result["handlers"] = bench_handlers(f"sqlite:///{template}", args.runs, args.samples, args.seed)
        engine.dispose()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result["machine"]["load_average_at_end"] = _loadavg()
    result["finished_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
    a, lp, hp = result["import"], result["list"], result["household"]
    result["pass"] = {
        **{f"import_{fmt}": f["seconds"]["median"] <= TARGETS["import_seconds"] and f["ratio"] <= TARGETS["import_ratio"]
           for fmt, f in a["formats"].items()},
        "list": max(lp["service_ms"]["median"], result["handlers"]["list_ms"]["median"]) <= TARGETS["list_ms"],
        "household": max(hp["service_ms"]["median"],
                         result["handlers"]["household_ms"]["median"]) <= TARGETS["household_ms"],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(result), "utf-8")
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), "utf-8")
    print(render(result))
    print(f"written: {out} and {out.with_suffix('.json')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
