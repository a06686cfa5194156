"""The audit trail lists entries by user, record, action and date range (admins only)."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.domain.errors import PermissionDenied
from lowincome_portal.services import audit, auth, users
from lowincome_portal.services.households import today_in_china


def entries(engine, actor, **filters):
    with Session(engine) as s:
        return audit.list_entries(s, actor=actor, filters=audit.AuditFilter(**filters))


def test_filters_by_user_record_action_and_date(engine, actor_of):
    admin = actor_of("admin")
    target = actor_of("xinmin").user_id
    with unit_of_work(engine) as s:
        auth.login(s, "xinmin", DEMO_PASSWORD)
        users.set_disabled(s, actor=admin, user_id=target, disabled=True)

    rows, total = entries(engine, admin, username="admin", action="disable")
    assert total == 1
    assert rows[0]["entity"] == "账号" and rows[0]["entity_id"] == str(target)
    assert rows[0]["action"] == "停用" and rows[0]["area"] == "500231000000"
    assert '"disabled": false' in rows[0]["old"] and '"disabled": true' in rows[0]["new"]

    _, by_record = entries(engine, admin, entity="user", entity_id=str(target))
    assert by_record >= 3  # created by the seed, signed in, disabled

    today = today_in_china()  # the filter's days are Beijing days (after 16:00 UTC it is tomorrow there)
    assert entries(engine, admin, date_from=today, date_to=today)[1] > 0
    assert entries(engine, admin, date_to=today - timedelta(days=1))[1] == 0
    assert entries(engine, admin, date_from=today + timedelta(days=1))[1] == 0


def test_only_admins_read_the_trail(engine, actor_of):
    for username in ("minzheng", "xinmin", "lingdao", "cishan"):
        with pytest.raises(PermissionDenied):
            entries(engine, actor_of(username))
