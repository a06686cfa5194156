"""Sign-in, lockout, session expiry and bad tokens, against a real database."""

from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import AuditEntry, PolicyParameter, User, UserSession
from lowincome_portal.db.timeutil import utcnow
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.domain.errors import ValidationError
from lowincome_portal.services import auth


def login(engine, username, password=DEMO_PASSWORD):
    with unit_of_work(engine) as s:
        return auth.login(s, username, password)


def check(engine, token):
    with unit_of_work(engine) as s:
        return auth.check_session(s, token)


def user(engine, username) -> User:
    with Session(engine) as s:
        return s.exec(select(User).where(User.username == username)).one()


def audit_actions(engine, username):
    with Session(engine) as s:
        return [e.action for e in s.exec(select(AuditEntry).where(AuditEntry.username == username)
                                         .order_by(AuditEntry.id)).all()]


def test_login_opens_a_session_and_is_audited(engine):
    outcome = login(engine, "xinmin")
    assert outcome.actor and outcome.actor.area_code == "500231100000"
    assert check(engine, outcome.token).actor.username == "xinmin"
    assert "login" in audit_actions(engine, "xinmin")
    # Only the hash of the token is stored.
    with Session(engine) as s:
        hashes = s.exec(select(UserSession.token_hash)).all()
    assert outcome.token not in hashes


def test_a_password_hashed_with_other_parameters_is_rehashed_at_sign_in(engine):
    """Hashes made with argon2-cffi's heavier default (before the OWASP parameters) still sign
    in, and the sign-in stores the hash again with the parameters in force."""
    from argon2 import PasswordHasher, extract_parameters

    with unit_of_work(engine) as s:
        u = s.exec(select(User).where(User.username == "xinmin")).one()
        u.password_hash = PasswordHasher().hash(DEMO_PASSWORD)
        s.add(u)
    assert extract_parameters(user(engine, "xinmin").password_hash).memory_cost == 65536
    assert login(engine, "xinmin").actor is not None
    stored = extract_parameters(user(engine, "xinmin").password_hash)
    assert (stored.type.name, stored.memory_cost, stored.time_cost, stored.parallelism) == ("ID", 19456, 2, 1)
    assert login(engine, "xinmin").actor is not None


def test_unknown_user_and_wrong_password_say_the_same(engine):
    assert login(engine, "nobody").message == auth.MSG_BAD_CREDENTIALS
    wrong = login(engine, "xinmin", "wrong-pass1")
    assert wrong.actor is None and wrong.message.startswith(auth.MSG_BAD_CREDENTIALS)
    assert "再错 4 次" in wrong.message


def test_five_failures_lock_for_fifteen_minutes(engine):
    for _ in range(4):
        assert login(engine, "shaping", "bad-pass1").actor is None
    fifth = login(engine, "shaping", "bad-pass1")
    assert "已锁定" in fifth.message and "15 分钟" in fifth.message
    locked = login(engine, "shaping")  # the right password is refused while locked
    assert locked.actor is None and "已锁定" in locked.message
    until = user(engine, "shaping").locked_until
    assert until is not None
    assert "lock" in audit_actions(engine, "shaping")
    # When the lock runs out the right password works again.
    with unit_of_work(engine) as s:
        u = s.exec(select(User).where(User.username == "shaping")).one()
        u.locked_until = utcnow() - timedelta(seconds=1)
        s.add(u)
    assert login(engine, "shaping").actor is not None


def test_lockout_threshold_is_a_dated_parameter(engine):
    with unit_of_work(engine) as s:
        s.add(PolicyParameter(code="login_max_failures", value=3,
                              effective_from=utcnow().date() - timedelta(days=1)))
    for _ in range(2):
        login(engine, "xinmin", "bad-pass1")
    assert "已锁定" in login(engine, "xinmin", "bad-pass1").message


def test_idle_session_expires(engine):
    token = login(engine, "xinmin").token
    with unit_of_work(engine) as s:
        row = s.exec(select(UserSession)).one()
        row.last_seen_at = utcnow() - timedelta(minutes=31)
        s.add(row)
    result = check(engine, token)
    assert result.actor is None and "30 分钟" in result.message
    # Once expired, it stays dead.
    assert check(engine, token).message == auth.MSG_ENDED


def test_forged_tampered_and_logged_out_tokens(engine):
    token = login(engine, "xinmin").token
    assert check(engine, "").message == auth.MSG_NOT_SIGNED_IN
    assert check(engine, "forged-token").message == auth.MSG_INVALID_TOKEN
    assert check(engine, token[:-1] + ("A" if token[-1] != "A" else "B")).message == auth.MSG_INVALID_TOKEN
    with unit_of_work(engine) as s:
        auth.logout(s, token)
    assert check(engine, token).message == auth.MSG_ENDED


def test_disabled_user_is_refused_at_login_and_mid_session(engine):
    token = login(engine, "xinmin").token
    with unit_of_work(engine) as s:
        u = s.exec(select(User).where(User.username == "xinmin")).one()
        u.disabled = True
        s.add(u)
    assert check(engine, token).message == auth.MSG_DISABLED
    assert login(engine, "xinmin").message == auth.MSG_DISABLED


def test_change_password_rules_and_other_sessions_end(engine):
    first = login(engine, "xinmin")
    second = login(engine, "xinmin")
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        auth.change_password(s, actor=first.actor, token=first.token, old="wrong",
                             new="NewPass2027", confirm="NewPass2027")
    assert err.value.message == auth.MSG_WRONG_OLD
    with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
        auth.change_password(s, actor=first.actor, token=first.token, old=DEMO_PASSWORD,
                             new="NewPass2027", confirm="NewPass2028")
    assert err.value.message == auth.MSG_MISMATCH
    with unit_of_work(engine) as s:
        auth.change_password(s, actor=first.actor, token=first.token, old=DEMO_PASSWORD,
                             new="NewPass2027", confirm="NewPass2027")
    assert check(engine, first.token).actor is not None
    assert check(engine, second.token).actor is None
    assert login(engine, "xinmin").actor is None
    assert login(engine, "xinmin", "NewPass2027").actor is not None


def test_failed_login_counts_survive_without_signing_in(engine):
    login(engine, "nongye", "bad-pass1")
    assert user(engine, "nongye").failed_attempts == 1
    login(engine, "nongye")
    assert user(engine, "nongye").failed_attempts == 0
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(AuditEntry)
                      .where(AuditEntry.action == "login_failed")).one() >= 1
