"""Schema only through migrations: upgrade head on an empty database, autogenerate finds
nothing left to write, downgrade base removes everything, on SQLite and PostgreSQL."""

import sqlalchemy as sa

from lowincome_portal.db import migrations
from lowincome_portal.db.engine import engine_for


def _tables(url):
    names = set(sa.inspect(engine_for(url)).get_table_names())
    return names - {"alembic_version"}


def test_upgrade_autogenerate_downgrade(empty_db_url):
    migrations.upgrade(empty_db_url)
    assert {"area", "portal_user", "user_role", "user_session", "audit_entry",
            "organisation", "policy_parameter"} <= _tables(empty_db_url)
    assert migrations.pending_differences(engine_for(empty_db_url)) == []

    migrations.downgrade(empty_db_url, "base")
    assert _tables(empty_db_url) == set()

    migrations.upgrade(empty_db_url)  # and back up again
    assert migrations.pending_differences(engine_for(empty_db_url)) == []
