"""Home page pending work from the registry: households still without an economic status."""

from datetime import date

from sqlmodel import Session

from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.services import home, household_records, households
from tests.idnumbers import make_id


def _section(engine, actor, title):
    with Session(engine) as s:
        return next(x for x in home.pending_work(s, actor=actor) if x["title"] == title)


def test_households_without_economic_status_are_pending_in_their_area_only(engine, actor_of):
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        first = households.create_household(s, actor=xinmin, household={"area_code": "500231100200",
                                                                         "address": "一组"},
                                            head={"name": "孙大娘", "id_number": make_id(birth=date(1950, 1, 1))})
    title = "尚未录入家庭经济状况的家庭"
    assert _section(engine, xinmin, title)["items"] == ["孙大娘（一组）"]
    assert _section(engine, actor_of("shaping"), title)["items"] == []
    with unit_of_work(engine) as s:
        household_records.record_economic_status(s, actor=xinmin, household_id=first,
                                                 values={"wage_income": "1000"}, recorded_on=date.today())
    assert _section(engine, xinmin, title)["items"] == []
    with Session(engine) as s:
        assert all(x["title"] != title for x in home.pending_work(s, actor=actor_of("admin")))
