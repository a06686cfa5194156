"""A synthetic county for demos, load tests and benchmarks, from a fixed seed.

`generate_county(engine, households=50_000)` writes households, members, one economic
status each and tag periods straight into a migrated database with bulk Core inserts (no
ORM object per row), in chunks of CHUNK households: 50,000 households (150,000 people) in
well under a minute on SQLite; PostgreSQL works too. What the data looks like is
described in demo/synthetic_households.py, which builds it.

Every synthetic household carries note = SYNTHETIC_NOTE (合成数据). generate_county refuses
(SyntheticDataExists, with a message naming --replace) when the database already holds
synthetic households, unless replace=True, which first deletes them and every row that
refers to them (found through the foreign keys, so later tables are covered too) - real
households are never touched.

`synthetic_import_rows(n_members)` gives member rows in the registry import format
(domain/import_columns.py) for the import tests and the import benchmark; its ID numbers
never clash with generate_county's.

With counties > 1 (the city scale) the households spread over the demo county and
synthetic counties beside it (demo/synthetic_areas.py). Thirteen months of applications,
warnings, referrals, meetings and visits for them: demo/synthetic_history.py. Both are
described in docs/synthetic.md.

Command line: `lowincome-portal generate-county [--scale county|city] [--households N] [--seed S]
[--replace] [--no-history]`.
"""

import csv
import io
import json
import math
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import resources

import sqlalchemy as sa
from faker import Faker
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from ..db.tables import Area, AuditEntry, EconomicStatus, Household, HouseholdTag, Member
from ..domain import areas as area_rules
from ..domain import registry as codes
from ..services import audit_seal
from .synthetic_areas import ensure_city_areas
from .synthetic_households import (
    COUNTY_SEQUENCES,
    IMPORT_SEQUENCES,
    TAG_SHARES,
    People,
    Places,
    Quota,
    build_households,
    contact,
    current_tags_text,
    household_sizes,
    id_area_code,
    id_check_digit,
)

SYNTHETIC_NOTE = "合成数据"
# --scale: households, and counties to spread them over (the demo county plus synthetic ones)
SCALES = {"county": {"households": 50_000, "counties": 1}, "city": {"households": 500_000, "counties": 10}}
COUNTY_PREFIX = "500231"  # the demo county's area codes
CHUNK = 5000              # households generated and inserted at a time

ProgressFn = Callable[[int, int], None]

__all__ = ["SCALES", "SYNTHETIC_NOTE", "SyntheticDataExists", "TAG_SHARES", "current_tags_text", "generate_county",
           "id_area_code", "id_check_digit", "import_rows_csv", "remove_synthetic", "synthetic_import_rows"]


class SyntheticDataExists(RuntimeError):
    """The database already holds synthetic households and replace was not asked for."""


# ---- the database -----------------------------------------------------------------------

def _villages(conn, prefixes: tuple[str, ...] = (COUNTY_PREFIX,)) -> list[tuple[str, str, str]]:
    rows = conn.execute(sa.select(Area.code, Area.name, Area.level)
                        .where(sa.or_(*[Area.code.like(p + "%") for p in prefixes])).order_by(Area.code)).all()
    names = {code: name for code, name, _ in rows}
    return [(code, name, names.get(area_rules.parent_code(code), ""))
            for code, name, level in rows if level == area_rules.VILLAGE]


def _county_names(conn, prefixes: tuple[str, ...]) -> dict[str, str]:
    codes = [p + "000000" for p in prefixes]
    return {code[:6]: name for code, name in conn.execute(sa.select(Area.code, Area.name)
                                                          .where(Area.code.in_(codes))).all()}


def _ensure_areas(engine: Engine) -> None:
    with engine.connect() as conn:
        if _villages(conn):
            return
    from ..db.uow import unit_of_work
    from .seed import seed_demo

    with unit_of_work(engine) as session:
        seed_demo(session)


def _delete_with_dependents(conn, table: sa.Table, where, existing: set[str], depth: int = 0) -> int:
    """Delete rows of `table` matching `where` and, first, every row that refers to them."""
    if depth > 6:
        raise RuntimeError("foreign keys nest too deep to remove synthetic data safely")
    for other in SQLModel.metadata.sorted_tables:
        if other is table or other.name not in existing:
            continue
        for fk in other.foreign_keys:
            if fk.column.table is table:
                _delete_with_dependents(conn, other, fk.parent.in_(sa.select(fk.column).where(where)),
                                        existing, depth + 1)
    return conn.execute(table.delete().where(where)).rowcount


def remove_synthetic(conn) -> int:
    """Delete the synthetic households and everything attached to them; returns how many households."""
    existing = set(sa.inspect(conn).get_table_names())
    return _delete_with_dependents(conn, Household.__table__, Household.note == SYNTHETIC_NOTE, existing)


def _write_chunk(conn, homes: list[dict], now: datetime, registered_at: datetime) -> dict:
    household_rows, member_rows, economic_rows, tag_rows = [], [], [], []
    for h in homes:
        head = h["members"][0]
        household_rows.append({
            "id": h["id"], "area_code": h["area_code"], "address": h["address"], "phone": h["phone"],
            "bank_name": h["bank_name"], "bank_account": h["bank_account"], "status": "active",
            "note": SYNTHETIC_NOTE, "head_name": head["name"], "head_id_number": head["id_number"],
            "member_count": len(h["members"]), "current_tags": current_tags_text(h["tags"]),
            "created_at": now, "updated_at": now,
        })
        for m in h["members"]:
            row = {k: v for k, v in m.items() if not k.startswith("_")}
            row.update(household_id=h["id"], active=True, left_on=None, left_reason="", created_at=registered_at)
            member_rows.append(row)
        economic_rows.append({**h["economics"], "created_at": now})
        tag_rows.extend({**t, "created_at": now} for t in h["tag_rows"])
    conn.execute(sa.insert(Household.__table__), household_rows)
    conn.execute(sa.insert(Member.__table__), member_rows)
    conn.execute(sa.insert(EconomicStatus.__table__), economic_rows)
    if tag_rows:
        conn.execute(sa.insert(HouseholdTag.__table__), tag_rows)
    return {"members": len(member_rows), "tag_rows": len(tag_rows),
            "ended_tag_rows": sum(1 for t in tag_rows if t["end_date"])}


def generate_county(engine: Engine, households: int = 50_000, seed: int = 20251128,
                    progress: ProgressFn | None = None, *, replace: bool = False,
                    today: date | None = None, counties: int = 1, registered_at: datetime | None = None) -> dict:
    """Write a synthetic county of `households` households (3 members each on average).

    `counties` above 1 (the city scale) spreads them over the demo county and counties - 1
    synthetic counties (demo/synthetic_areas.py, added where missing), an equal share each.
    `registered_at` is when the members joined the register (their created_at; default now):
    the command line puts them before the history's window, which spares add_history
    rewriting 1.5 million rows at the city scale.

    Needs a migrated database; loads the demo areas first when none are there. Refuses with
    SyntheticDataExists when synthetic households are already present, unless `replace`,
    which first deletes them (and all rows attached to them). One transaction: the county
    appears whole or not at all. Writes one audit entry. For the CLI and benchmarks only.
    Same seed and same `today` (default: today) give the same data.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    today = today or date.today()
    _ensure_areas(engine)
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    now = datetime.now(UTC)
    summary = {"households": 0, "members": 0, "economic_status": 0, "tag_rows": 0, "ended_tag_rows": 0,
               "removed_households": 0, "seed": seed, "today": today.isoformat()}
    with engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(sa.text("LOCK TABLE household IN SHARE ROW EXCLUSIVE MODE"))
        present = conn.execute(sa.select(sa.func.count()).select_from(Household.__table__)
                               .where(Household.note == SYNTHETIC_NOTE)).scalar_one()
        if present and not replace:
            raise SyntheticDataExists(
                f"数据库中已有 {present} 户合成数据（备注为“{SYNTHETIC_NOTE}”）。"
                "如需重新生成，请加 --replace（将先删除这些合成数据）。")
        if present:
            summary["removed_households"] = remove_synthetic(conn)
        prefixes = (COUNTY_PREFIX, *(ensure_city_areas(conn, counties - 1) if counties > 1 else ()))
        villages = _villages(conn, prefixes)
        taken = set(conn.execute(sa.select(Member.id_number).where(Member.active)).scalars())
        accounts = set(conn.execute(sa.select(Household.bank_account)
                                    .where(Household.bank_account != "")).scalars())
        first_id = (conn.execute(sa.select(sa.func.max(Household.id))).scalar() or 0) + 1
        people = People(rng, today, COUNTY_SEQUENCES, taken)
        places = Places(rng, villages, fake, _county_names(conn, prefixes))
        sizes = household_sizes(rng, households)
        quota = Quota()
        if progress:
            progress(0, households)
        for start in range(0, households, CHUNK):
            part = sizes[start:start + CHUNK]
            homes = build_households(rng, people, places, part, first_id + start, quota, start + len(part), today, accounts)
            written = _write_chunk(conn, homes, now, registered_at or now)
            summary["households"] += len(homes)
            summary["economic_status"] += len(homes)
            for key in ("members", "tag_rows", "ended_tag_rows"):
                summary[key] += written[key]
            if progress:
                progress(start + len(part), households)
        if postgres:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('household', 'id'), "
                                 "(SELECT COALESCE(MAX(id), 1) FROM household))"))
        summary["tags"] = dict(quota.given)
        summary["counties"], summary["villages"] = len(prefixes), len(villages)
        summary["first_household_id"] = first_id if households else None
        summary["last_household_id"] = first_id + households - 1 if households else None
        entry = {
            "at": now, "user_id": None, "username": "system", "user_area_code": None,
            "action": "import", "entity": "household", "entity_id": "", "old_values": "",
            "new_values": json.dumps({k: summary[k] for k in ("households", "members", "seed",
                                                              "first_household_id", "last_household_id",
                                                              "removed_households")},
                                     ensure_ascii=False, sort_keys=True),
            "note": f"生成{SYNTHETIC_NOTE}：{summary['households']} 户 {summary['members']} 人",
        }
        conn.execute(sa.insert(AuditEntry.__table__), {**entry, "seal": audit_seal.seal_of(entry)})
    # Fresh statistics after a bulk load: until autovacuum gets to them the planner takes the
    # county's tables for nearly empty and picks plans (nested loops over the household_tag
    # index) that are ten times slower on the home page.
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    summary["seconds"] = round(time.perf_counter() - started, 2)
    summary["cpu_seconds"] = round(time.process_time() - cpu_started, 2)  # this process only (SQLite's work included)
    return summary


# ---- rows in the import format ----------------------------------------------------------

def _demo_villages() -> list[tuple[str, str, str]]:
    text = resources.files("lowincome_portal.demo").joinpath("dianjiang_areas_sample.csv").read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    names = {r[0]: r[1] for r in rows if r}
    return [(code, name, names.get(area_rules.parent_code(code), ""))
            for code, name, *_ in rows if code and area_rules.level_of(code) == area_rules.VILLAGE]


def synthetic_import_rows(n_members: int, seed: int = 20251129,
                          today: date | None = None) -> tuple[list[str], list[list[str]]]:
    """`n_members` member rows (whole households, exactly n_members rows) in the registry
    import format, for the demo areas: (headers, rows) with every cell as text.

    ID numbers use sequence numbers 500-999, so they never clash with generate_county's.
    The household columns are filled on every row of a household (they agree).
    """
    from ..domain.idcard import SEX_LABELS
    from ..domain.import_columns import COLUMNS

    today = today or date.today()
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    people = People(rng, today, IMPORT_SEQUENCES, set())
    places = Places(rng, _demo_villages(), fake)
    accounts: set[str] = set()
    sizes = household_sizes(rng, max(1, math.ceil(n_members / 3)))
    overflow = sum(sizes) - n_members
    while overflow > 0:  # trim whole households (or shrink the last ones) to n_members rows
        if sizes[-1] <= overflow:
            overflow -= sizes.pop()
        else:
            sizes[-1] -= overflow
            overflow = 0
    headers = [c.header for c in COLUMNS]
    keys = [c.key for c in COLUMNS]
    rows: list[list[str]] = []
    code_names = {code: (name, township) for code, name, township in places.villages}
    for size in sizes:
        members = people.household(size)
        area_code, address = places.pick()
        village, township = code_names[area_code]
        reach = contact(rng, members, False, accounts)
        head_id = members[0]["id_number"]
        household = {"township": township, "village": village, "address": address, **reach,
                     "head_id_number": head_id}
        for m in members:
            values = {
                **household,
                "name": m["name"],
                "id_number": m["id_number"],
                "relation": codes.RELATIONS[m["relation"]],
                "sex": SEX_LABELS[m["sex"]],
                "birth_date": m["birth_date"].isoformat(),
                "labour_capacity": codes.LABOUR_CAPACITY[m["labour_capacity"]],
                "health": codes.HEALTH[m["health"]],
                "disability_type": codes.DISABILITY_TYPES[m["disability_type"]] if m["disability_type"] else "",
                "disability_grade": codes.DISABILITY_GRADES[str(m["disability_grade"])] if m["disability_grade"] else "",
                "employment": codes.EMPLOYMENT.get(m["employment"], "") if m["employment"] else "",
                "schooling": codes.SCHOOLING[m["schooling"]] if m["schooling"] else "",
                "medical_insurance": "是" if m["medical_insurance"] else "否",
            }
            rows.append([values.get(k, "") for k in keys])
    return headers, rows


def import_rows_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    """The rows as a UTF-8 CSV file (with BOM, as Excel writes it)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
