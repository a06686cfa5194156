"""The synthetic county: valid, consistent, reproducible, removable - on SQLite and PostgreSQL."""

from collections import Counter, defaultdict
from datetime import UTC, date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from stdnum.cn import ric

from lowincome_portal.db.tables import AuditEntry, EconomicStatus, Household, HouseholdTag, Member
from lowincome_portal.demo import synthetic
from lowincome_portal.demo.synthetic import (
    SYNTHETIC_NOTE,
    SyntheticDataExists,
    current_tags_text,
    generate_county,
    import_rows_csv,
    synthetic_import_rows,
)
from lowincome_portal.domain import registry as codes
from lowincome_portal.domain.registry_input import no_labour_by_rule

TODAY = date(2026, 6, 15)
N = 300


def _age(birth: date) -> int:
    return TODAY.year - birth.year - ((TODAY.month, TODAY.day) < (birth.month, birth.day))


def _snapshot(engine) -> dict:
    """The generated facts without surrogate keys or timestamps, in a comparable form."""
    with engine.connect() as c:
        households = c.execute(sa.select(Household).order_by(Household.id)).mappings().all()
        first = households[0]["id"]
        skip = {"id", "created_at", "updated_at"}
        out = {"households": [{k: v for k, v in h.items() if k not in skip} for h in households]}
        for name, table in (("members", Member), ("economic", EconomicStatus), ("tags", HouseholdTag)):
            rows = c.execute(sa.select(table).order_by(table.id)).mappings().all()
            out[name] = [{**{k: v for k, v in r.items() if k not in skip | {"household_id"}},
                          "household": r["household_id"] - first} for r in rows]
    return out


def test_county_is_valid_and_consistent(engine):
    summary = generate_county(engine, households=N, seed=7, today=TODAY)
    assert summary["households"] == N and summary["members"] == 3 * N
    assert summary["economic_status"] == N

    with Session(engine) as s:
        households = s.exec(select(Household)).all()
        members = s.exec(select(Member)).all()
        economics = s.exec(select(EconomicStatus)).all()
        tags = s.exec(select(HouseholdTag)).all()
    assert len(households) == N and all(h.note == SYNTHETIC_NOTE for h in households)
    assert len({h.area_code[:9] for h in households}) > 10  # spread over the townships

    ids = [m.id_number for m in members]
    assert len(ids) == len(set(ids)) == 3 * N
    by_household = defaultdict(list)
    for m in members:
        assert ric.is_valid(m.id_number), m.id_number
        assert ric.get_birth_place(m.id_number)["county"] == "垫江县"
        assert int(m.id_number[14]) < 5  # generate_county's half of the sequence numbers
        assert m.birth_date == ric.get_birth_date(m.id_number) and m.birth_date <= TODAY
        assert m.sex == ("male" if int(m.id_number[16]) % 2 else "female")
        assert (m.disability_grade is None) == (m.disability_type == "")
        if no_labour_by_rule(_age(m.birth_date), m.disability_type, m.disability_grade):
            assert m.labour_capacity == "none", (m.id_number, m.labour_capacity)
        assert m.labour_capacity in codes.LABOUR_CAPACITY and m.relation in codes.RELATIONS
        assert m.employment in codes.EMPLOYMENT and m.schooling in codes.SCHOOLING
        by_household[m.household_id].append(m)

    assert Counter(e.household_id for e in economics) == Counter({h.id: 1 for h in households})
    open_tags = defaultdict(set)
    for t in tags:
        assert t.start_date <= TODAY and t.tag in codes.TAG_LABELS
        if t.end_date is None:
            open_tags[t.household_id].add(t.tag)
        else:
            assert t.start_date < t.end_date <= TODAY and t.end_reason
    assert any(t.end_date for t in tags)  # some history
    for h in households:
        family = by_household[h.id]
        heads = [m for m in family if m.relation == codes.HEAD]
        assert len(heads) == 1
        assert (h.head_name, h.head_id_number) == (heads[0].name, heads[0].id_number)
        assert h.member_count == len(family) >= 1
        assert h.current_tags == current_tags_text(open_tags[h.id])
        assert not {codes.DIBAO, codes.TEKUN} <= open_tags[h.id]
    counts = Counter(t for s in open_tags.values() for t in s)
    assert counts[codes.DIBAO] == round(N * 0.06) and counts[codes.TEKUN] >= 1


def test_same_seed_same_data_and_replace(engine):
    generate_county(engine, households=120, seed=11, today=TODAY)
    first = _snapshot(engine)
    with pytest.raises(SyntheticDataExists, match="--replace"):
        generate_county(engine, households=120, seed=11, today=TODAY)
    summary = generate_county(engine, households=120, seed=11, today=TODAY, replace=True)
    assert summary["removed_households"] == 120
    assert _snapshot(engine) == first
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(Household.__table__)).scalar_one() == 120
        notes = c.execute(sa.select(AuditEntry.note).where(AuditEntry.username == "system",
                                                           AuditEntry.note.like("%合成数据%"))).scalars().all()
    assert len(notes) == 2

    generate_county(engine, households=120, seed=12, today=TODAY, replace=True)
    assert _snapshot(engine)["members"] != first["members"]


def test_real_households_survive_and_ids_keep_counting(engine):
    """Replace deletes only synthetic rows; later ordinary inserts get fresh ids (PostgreSQL sequence)."""
    with Session(engine) as s:
        real = Household(area_code="500231100200", head_name="真实户")
        s.add(real)
        s.commit()
        real_id = real.id
    generate_county(engine, households=50, seed=3, today=TODAY)
    generate_county(engine, households=50, seed=3, today=TODAY, replace=True)
    with Session(engine) as s:
        assert s.get(Household, real_id).head_name == "真实户"
        later = Household(area_code="500231100200", head_name="之后登记")
        s.add(later)
        s.commit()
        assert later.id > real_id
        assert s.exec(select(sa.func.count()).select_from(Household)).one() == 52


def test_import_rows_follow_the_import_format_and_import(engine, actor_of):
    from lowincome_portal.domain.import_columns import HEADERS

    generate_county(engine, households=60, seed=5, today=TODAY)
    headers, rows = synthetic_import_rows(200, seed=5, today=TODAY)
    assert headers == list(HEADERS) and len(rows) == 200
    col = {h: i for i, h in enumerate(headers)}
    ids = [r[col["身份证号"]] for r in rows]
    assert len(set(ids)) == 200 and all(ric.is_valid(i) and int(i[14]) >= 5 for i in ids), ids
    assert synthetic_import_rows(200, seed=5, today=TODAY) == (headers, rows)

    from lowincome_portal.services.registry_import import import_registry

    with Session(engine, expire_on_commit=False) as s:
        report = import_registry(s, actor=actor_of("minzheng"), filename="synthetic.csv",
                                 data=import_rows_csv(headers, rows), today=TODAY)
        assert report.ok, report.errors[:5]
        s.commit()
    assert report.members == 200
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(Member.__table__)).scalar_one() == 180 + 200


def test_helpers():
    assert synthetic.id_check_digit("11010519491231002") == "X"
    assert current_tags_text(["monitoring", "dibao"]) == " dibao monitoring "
    assert current_tags_text([]) == ""


def test_cli_generate_county(db_url, capsys):
    from lowincome_portal.cli import main

    assert main(["generate-county", "--households", "40", "--seed", "9"]) == 0
    assert "40 户 120 人" in capsys.readouterr().out
    assert main(["generate-county", "--households", "40"]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["generate-county", "--households", "30", "--replace"]) == 0
    assert "先删除了 40 户" in capsys.readouterr().out


# ---- history (demo/synthetic_history.py) and the city scale ------------------------------------

HISTORY_N = 2000


def _plain(value):
    """A backend-neutral form of a column value (SQLite and PostgreSQL return different types)."""
    from datetime import datetime as dt
    from decimal import Decimal

    if isinstance(value, Decimal | float):
        return f"{value:.2f}"
    if isinstance(value, dt):
        return (value.astimezone(UTC) if value.tzinfo else value).replace(tzinfo=None).isoformat()
    if isinstance(value, bool):
        return int(value)
    return value if value is None or isinstance(value, int | str) else str(value)


def _digest(engine) -> dict[str, str]:
    """A hash of every generated row per table, with the registry's "written now" stamps left out."""
    import hashlib

    from sqlmodel import SQLModel

    now_stamped = {"household", "economic_status", "household_tag"}
    tables = ("household", "member", "economic_status", "household_tag", "application", "application_event",
              "risk_warning", "risk_warning_event", "need", "referral", "referral_event", "meeting", "agenda_item",
              "action_item", "visit")
    out = {}
    with engine.connect() as c:
        for name in tables:
            table = SQLModel.metadata.tables[name]
            cols = [col for col in table.c if not (name in now_stamped and col.name in ("created_at", "updated_at"))]
            rows = c.execute(sa.select(*cols).order_by(table.c.id)).all()
            text = repr([tuple(_plain(v) for v in row) for row in rows])
            out[name] = f"{len(rows)}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    return out


def _history(engine, households=HISTORY_N, seed=21, counties=1):
    from lowincome_portal.demo.synthetic_history import add_history

    county = generate_county(engine, households=households, seed=seed, today=TODAY, counties=counties)
    return county, add_history(engine, today=TODAY, seed=seed)


def _frame(engine, query) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(query).mappings().all()]


def test_history_is_reproducible_valid_and_consistent(engine, tmp_path):
    from lowincome_portal.db import migrations
    from lowincome_portal.db.engine import engine_for
    from lowincome_portal.db.tables import (
        ActionItem,
        Application,
        ApplicationEvent,
        Meeting,
        Need,
        Organisation,
        Referral,
        ReferralEvent,
        RiskWarning,
        RiskWarningEvent,
        Visit,
        WarningRule,
    )
    from lowincome_portal.db.uow import unit_of_work
    from lowincome_portal.demo.seed import seed_demo
    from lowincome_portal.demo.synthetic_history import default_volumes, window_start
    from lowincome_portal.domain import intake
    from lowincome_portal.domain import referrals as referral_rules
    from lowincome_portal.domain.monitoring_defaults import DEFAULT_RULES

    _county, made = _history(engine)
    volumes = default_volumes(HISTORY_N)
    assert made["applications"] == volumes["applications"] == 200 and made["warnings"] == volumes["warnings"]
    assert made["referrals"] == volumes["referrals"] and made["visits"] == volumes["visits"]
    assert made["meetings"] > 0 and made["referral_events"] >= made["referrals"]

    # same seed, another (fresh SQLite) database: the same rows, to the byte
    other_url = f"sqlite:///{tmp_path / 'again.db'}"
    migrations.upgrade(other_url)
    other = engine_for(other_url)
    with unit_of_work(other) as s:
        seed_demo(s, households=False)
    _history(other)
    assert _digest(engine) == _digest(other)
    other.dispose()

    homes = {h["id"]: h for h in _frame(engine, sa.select(Household.id, Household.area_code,
                                                              Household.current_tags, Household.head_id_number))}
    members = _frame(engine, sa.select(Member.household_id, Member.id_number, Member.sex, Member.birth_date))
    # valid ID numbers, and the registry's shape within tolerance
    assert all(ric.is_valid(m["id_number"]) for m in members)
    ages = [_age(m["birth_date"]) for m in members]
    assert 0.24 <= sum(a >= 60 for a in ages) / len(ages) <= 0.36
    assert 0.09 <= sum(a < 16 for a in ages) / len(ages) <= 0.19
    assert 0.46 <= sum(m["sex"] == "male" for m in members) / len(members) <= 0.56
    tags = Counter(t for h in homes.values() for t in h["current_tags"].split())
    assert tags[codes.DIBAO] == round(HISTORY_N * 0.06) and tags[codes.MONITORING] == round(HISTORY_N * 0.04)
    sizes = Counter(m["household_id"] for m in members)
    with engine.connect() as c:
        economics = c.execute(sa.select(EconomicStatus)).mappings().all()
    income = {e["household_id"]: float(e["wage_income"] + e["business_income"] + e["property_income"]
                                       + e["transfer_income"] - e["employment_costs"]) / sizes[e["household_id"]]
              for e in economics}
    dibao = [income[i] for i, h in homes.items() if f" {codes.DIBAO} " in h["current_tags"]]
    untagged = sorted(income[i] for i, h in homes.items() if not h["current_tags"])
    assert max(dibao) < 640 * 12 * 1.01  # below the demo 低保 standard
    assert 12_000 < untagged[len(untagged) // 2] < 24_000  # around the county's rural income

    first_day = window_start(TODAY)

    def in_window(*days):
        return all(d is None or first_day <= d < TODAY for d in days)

    # applications: state, entry day and version follow the events along the track tables
    apps = {a["id"]: a for a in _frame(engine, sa.select(Application))}
    by_app = defaultdict(list)
    for e in _frame(engine, sa.select(ApplicationEvent).order_by(ApplicationEvent.id)):
        by_app[e["application_id"]].append(e)
    for app_id, app in apps.items():
        events = by_app[app_id]
        assert events[0]["action"] == "submit" and events[0]["to_state"] == intake.track(app["track"]).start
        for before, after in zip(events, events[1:], strict=False):
            assert after["from_state"] == before["to_state"] and after["on_day"] >= before["on_day"]
            move = intake.find_transition(app["track"], after["from_state"], after["action"])
            assert move.target == after["to_state"]
        assert (app["state"], app["state_entered_on"], app["version"]) == \
            (events[-1]["to_state"], events[-1]["on_day"], len(events))
        assert app["area_code"] == homes[app["household_id"]]["area_code"]
        assert app["applicant_id_number"] == homes[app["household_id"]]["head_id_number"]
        assert (app["due_on"] is None) == (not intake.is_open(app["track"], app["state"]))
        decided = [e for e in events if e["action"] in ("confirm", "refuse", "include")]
        assert app["decided_on"] == (decided[0]["on_day"] if decided else None)
        assert in_window(*(e["on_day"] for e in events))

    # warnings: real rules that apply to the household, status and dates from the events
    rules = {r["code"]: r for r in _frame(engine, sa.select(WarningRule))}
    assert set(rules) == {r["code"] for r in DEFAULT_RULES}
    by_warning = defaultdict(list)
    for e in _frame(engine, sa.select(RiskWarningEvent).order_by(RiskWarningEvent.id)):
        by_warning[e["warning_id"]].append(e)
    warnings = _frame(engine, sa.select(RiskWarning))
    assert len({(w["household_id"], w["rule_code"], w["period"]) for w in warnings}) == len(warnings)
    for w in warnings:
        rule, events = rules[w["rule_code"]], by_warning[w["id"]]
        home = homes[w["household_id"]]
        assert w["area_code"] == home["area_code"]
        assert (w["severity"], w["department"]) == (rule["severity"], rule["department"])
        only_for = set(rule["applies_to_tags"].split())
        assert not only_for or only_for & set(home["current_tags"].split())
        assert w["status"] == events[-1]["status"] and [e["action"] for e in events][0] == "raise"
        days = {e["status"]: e["on_day"] for e in events}
        assert (w["raised_on"], w["handled_on"], w["fed_back_on"]) == \
            (days["pending"], days.get("handled"), days.get("fed_back"))
        assert in_window(*days.values())

    # referrals: an organisation that offers the kind there, status from the events
    orgs = {o["id"]: o for o in _frame(engine, sa.select(Organisation))}
    needs = {n["id"]: n for n in _frame(engine, sa.select(Need))}
    by_ref = defaultdict(list)
    for e in _frame(engine, sa.select(ReferralEvent).order_by(ReferralEvent.id)):
        by_ref[e["referral_id"]].append(e)
    for r in _frame(engine, sa.select(Referral)):
        events = by_ref[r["id"]]
        assert r["area_code"] == homes[r["household_id"]]["area_code"] == needs[r["need_id"]]["area_code"]
        assert r["status"] == events[-1]["status"] and events[0]["action"] == "dispatch"
        assert (r["organisation_id"] is None) == (r["status"] == "pooled")
        if r["organisation_id"]:
            org = orgs[r["organisation_id"]]
            assert referral_rules.matches(org["assistance_kinds"], org["areas_served"], r["kind"], r["area_code"])
        assert r["claimed_on"] == next((e["on_day"] for e in events if e["action"] == "claim"), None)
        assert (needs[r["need_id"]]["status"] == "met") == (r["status"] == "completed")
        assert in_window(*(e["on_day"] for e in events))

    # meetings, action items and visits inside the window, in areas that hold the households
    prefixes = {h["area_code"][:9] for h in homes.values()}
    for m in _frame(engine, sa.select(Meeting)):
        assert in_window(m["held_on"]) and (m["area_code"][:9] in prefixes or m["area_code"].endswith("000000"))
    assert all(in_window(a["done_on"]) for a in _frame(engine, sa.select(ActionItem)))
    assert all(in_window(v["visited_on"]) and v["household_id"] in homes for v in _frame(engine, sa.select(Visit)))


def test_reports_run_on_the_history(engine, actor_of):
    from lowincome_portal.domain import reporting
    from lowincome_portal.services import report_data, reports

    _history(engine, households=800, seed=4)
    period = reporting.previous_month(TODAY)
    with Session(engine) as s:
        figures = report_data.month_figures(s, area_code="500231000000", period=period)
        report = reports.build_report(s, actor=actor_of("minzheng"), area_code="500231000000", period=period,
                                      today=TODAY)
    assert figures["applications"]["received"] > 0 and figures["warnings"]["raised"] > 0
    assert report["meetings"]["held"] == 27  # the county and its 26 townships
    total = next(r for r in report["tags"] if r["tag"] == "total")
    assert total["households_end"] > 0 and total["persons_end"] > 0


def test_city_scale_spreads_over_synthetic_counties(engine):
    from lowincome_portal.db.tables import Area, Meeting
    from lowincome_portal.demo.synthetic_areas import COUNTY_NAMES

    county, made = _history(engine, households=900, seed=8, counties=3)
    assert (county["counties"], county["households"]) == (3, 900)
    with engine.connect() as c:
        spread = Counter(code[:6] for code in c.execute(sa.select(Household.area_code)).scalars())
        names = dict(c.execute(sa.select(Area.code, Area.name).where(Area.level == "county")).all())
        addresses = c.execute(sa.select(Household.area_code, Household.address)).all()
        meeting_counties = {code[:6] for code in c.execute(sa.select(Meeting.area_code)).scalars()}
        ids = c.execute(sa.select(Member.id_number)).scalars().all()
    assert set(spread) == {"500231", "500281", "500282"} and min(spread.values()) > 200
    assert names["500281000000"] == COUNTY_NAMES[0] and names["500282000000"] == COUNTY_NAMES[1]
    assert all(address.startswith(f"重庆市{names[code[:6] + '000000']}") for code, address in addresses)
    assert meeting_counties == set(spread) and made["applications"] > 0
    assert all(ric.is_valid(i) for i in ids)
    # a second city run reuses the synthetic areas
    generate_county(engine, households=30, seed=9, today=TODAY, counties=3, replace=True)


def test_cli_scales_and_history(db_url, capsys):
    from lowincome_portal.cli import main

    assert main(["generate-county", "--scale", "city", "--households", "60", "--no-history"]) == 0
    out = capsys.readouterr().out
    assert "60 户 180 人，10 个县" in out and "业务记录" not in out
    assert main(["generate-county", "--households", "50", "--replace"]) == 0
    out = capsys.readouterr().out
    assert "50 户 150 人，1 个县 78 个村" in out and "业务记录：救助申请 5 件" in out and "联席会议" in out
