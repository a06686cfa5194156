"""The synthetic county: valid, consistent, reproducible, removable - on SQLite and PostgreSQL."""

from collections import Counter, defaultdict
from datetime import date

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
