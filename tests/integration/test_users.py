"""Account administration: admins only, inside their area, audited, all-or-nothing."""

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import AuditEntry, User, UserRole, UserSession
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.domain.errors import PermissionDenied, ValidationError
from lowincome_portal.domain.roles import TOWNSHIP_STAFF, VILLAGE_STAFF
from lowincome_portal.services import auth, users

XINMIN = "500231100000"


def snapshot(engine):
    """Everything an account action could change, to show a refusal changed nothing."""
    with Session(engine) as s:
        return (
            [(u.id, u.username, u.disabled, u.password_hash, u.area_code, u.locked_until)
             for u in s.exec(select(User).order_by(User.id)).all()],
            sorted((r.user_id, r.role) for r in s.exec(select(UserRole)).all()),
            s.exec(select(func.count()).select_from(AuditEntry)).one(),
        )


def form(**kw):
    base = dict(username="newstaff", display_name="新员工", roles=frozenset({TOWNSHIP_STAFF}),
                area_code=XINMIN)
    base.update(kw)
    return users.AccountForm(**base)


def test_admin_creates_an_account_that_must_change_its_password(engine, actor_of):
    with unit_of_work(engine) as s:
        user_id, password = users.create_user(s, actor=actor_of("admin"), form=form())
    with unit_of_work(engine) as s:
        outcome = auth.login(s, "newstaff", password)
    assert outcome.actor.must_change_password
    assert outcome.actor.roles == {TOWNSHIP_STAFF}
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "user",
                                                AuditEntry.entity_id == str(user_id),
                                                AuditEntry.action == "create")).one()
    assert "newstaff" in entry.new_values and "password" not in entry.new_values
    assert entry.username == "admin" and entry.user_area_code == "500231000000"


@pytest.mark.parametrize("bad, message", [
    (dict(username="X"), "用户名须为"),
    (dict(username="admin"), "已被使用"),
    (dict(display_name=""), "请填写姓名"),
    (dict(area_code="500231100200"), "乡镇/街道级"),
    (dict(area_code="500231999000"), "所选区域不存在"),
    (dict(roles=frozenset()), "至少选择一个角色"),
    (dict(password="short"), "密码至少"),
])
def test_bad_account_input_is_refused_and_changes_nothing(engine, actor_of, bad, message):
    before = snapshot(engine)
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        users.create_user(s, actor=actor_of("admin"), form=form(**bad))
    assert message in err.value.message
    assert snapshot(engine) == before


@pytest.mark.parametrize("username", ["minzheng", "xinmin", "fenghuang", "cishan", "lingdao"])
def test_lower_roles_cannot_manage_accounts(engine, actor_of, username):
    target = actor_of("shaping").user_id
    before = snapshot(engine)
    calls = [
        lambda s, a: users.create_user(s, actor=a, form=form()),
        lambda s, a: users.set_disabled(s, actor=a, user_id=target, disabled=True),
        lambda s, a: users.reset_password(s, actor=a, user_id=target),
        lambda s, a: users.set_roles(s, actor=a, user_id=target, roles=frozenset({"admin"}),
                                     area_code="500231000000", org_id=None),
        lambda s, a: users.list_users(s, actor=a),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
            call(s, actor_of(username))
    assert snapshot(engine) == before


def test_disable_ends_live_sessions_and_enable_restores(engine, actor_of):
    with unit_of_work(engine) as s:
        token = auth.login(s, "xinmin", DEMO_PASSWORD).token
    target = actor_of("xinmin").user_id
    with unit_of_work(engine) as s:
        users.set_disabled(s, actor=actor_of("admin"), user_id=target, disabled=True)
    with unit_of_work(engine) as s:
        assert auth.check_session(s, token).message == auth.MSG_DISABLED
    with unit_of_work(engine) as s:
        users.set_disabled(s, actor=actor_of("admin"), user_id=target, disabled=False)
        assert auth.login(s, "xinmin", DEMO_PASSWORD).actor is not None


def test_admin_cannot_disable_or_demote_self(engine, actor_of):
    admin = actor_of("admin")
    with pytest.raises(ValidationError), unit_of_work(engine) as s:
        users.set_disabled(s, actor=admin, user_id=admin.user_id, disabled=True)
    with pytest.raises(ValidationError), unit_of_work(engine) as s:
        users.set_roles(s, actor=admin, user_id=admin.user_id, roles=frozenset({"county_civil"}),
                        area_code="500231000000", org_id=None)


def test_re_role_records_old_and_new_and_signs_the_user_out(engine, actor_of):
    target = actor_of("xinmin").user_id
    with unit_of_work(engine) as s:
        token = auth.login(s, "xinmin", DEMO_PASSWORD).token
    with unit_of_work(engine) as s:
        users.set_roles(s, actor=actor_of("admin"), user_id=target,
                        roles=frozenset({VILLAGE_STAFF}), area_code="500231100200", org_id=None)
    assert actor_of("xinmin").roles == {VILLAGE_STAFF}
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "roles_change")).one()
        assert "township_staff" in entry.old_values and "village_staff" in entry.new_values
        assert "500231100000" in entry.old_values and "500231100200" in entry.new_values
        assert s.exec(select(UserSession).where(UserSession.user_id == target)).one().ended_at
    with unit_of_work(engine) as s:
        assert auth.check_session(s, token).actor is None


def test_reset_password_unlocks_and_forces_a_change(engine, actor_of):
    target = actor_of("xinmin").user_id
    with unit_of_work(engine) as s:
        for _ in range(5):
            auth.login(s, "xinmin", "bad-pass1")
    with unit_of_work(engine) as s:
        temporary = users.reset_password(s, actor=actor_of("admin"), user_id=target)
    with unit_of_work(engine) as s:
        outcome = auth.login(s, "xinmin", temporary)
    assert outcome.actor and outcome.actor.must_change_password


def test_a_failure_midway_rolls_back_the_whole_change(engine, actor_of):
    """Multi-step changes are one transaction: a crash after the roles are written leaves none."""
    before = snapshot(engine)
    with pytest.raises(RuntimeError), unit_of_work(engine) as s:
        users.create_user(s, actor=actor_of("admin"), form=form())
        raise RuntimeError("crash after the insert")
    assert snapshot(engine) == before


def test_list_users_searches_and_pages(engine, actor_of):
    with Session(engine) as s:
        rows, total = users.list_users(s, actor=actor_of("admin"), search="镇", page=1, page_size=2)
    assert total == 3 and len(rows) == 2  # 新民镇, 沙坪镇, 凤凰村 (新民镇)
    assert {"username", "roles_label", "place", "status"} <= rows[0].keys()


def test_audit_trail_is_append_only_in_the_database(engine):
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as c:
        c.execute(sa.text("UPDATE audit_entry SET note = 'x'"))
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as c:
        c.execute(sa.text("DELETE FROM audit_entry"))
