"""Production configuration comes from the environment only: a missing secret key (or a
database or Redis that cannot serve several workers) stops start-up with a clear message;
the key seals session tokens and the audit trail, so a database copy is useless without it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from lowincome_portal import deployment
from lowincome_portal.db.tables import AuditEntry
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.services import audit, audit_seal, auth

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"PORTAL_DEPLOYMENT": "production", "PORTAL_SECRET_KEY": "k" * 20 + "x7Gq2LmPz9Rt4Wv8Yb3N",
        "DATABASE_URL": "postgresql+psycopg://portal@db:5432/portal", "REFLEX_REDIS_URL": "redis://cache:6379/0"}


def test_complete_production_settings_pass():
    assert deployment.production_problems(GOOD) == []
    deployment.require_production_ready(GOOD)


@pytest.mark.parametrize(("change", "named"), [
    ({"PORTAL_SECRET_KEY": ""}, "PORTAL_SECRET_KEY"),
    ({"PORTAL_SECRET_KEY": "short"}, "PORTAL_SECRET_KEY"),
    ({"PORTAL_SECRET_KEY": "changeme"}, "PORTAL_SECRET_KEY"),
    ({"DATABASE_URL": ""}, "DATABASE_URL"),
    ({"DATABASE_URL": "sqlite:///data/portal.db"}, "DATABASE_URL"),
    ({"REFLEX_REDIS_URL": ""}, "REFLEX_REDIS_URL"),
])
def test_each_missing_setting_is_named(change, named):
    env = {**GOOD, **change}
    problems = deployment.production_problems(env)
    assert len(problems) == 1 and named in problems[0]
    with pytest.raises(deployment.ConfigurationError, match="门户未启动"):
        deployment.require_production_ready(env)
    with pytest.raises(deployment.ConfigurationError):
        deployment.secret_key(env)  # nothing is sealed under a production setup that cannot start


def test_outside_production_a_checkout_makes_its_own_key(tmp_path, monkeypatch):
    monkeypatch.setattr(deployment, "DEV_KEY_FILE", tmp_path / "data" / "dev_secret_key")
    first = deployment.secret_key({})
    assert len(first) >= 32 and deployment.secret_key({}) == first
    assert oct((tmp_path / "data" / "dev_secret_key").stat().st_mode & 0o777) == "0o600"
    assert deployment.secret_key({"PORTAL_SECRET_KEY": "from-the-environment"}) == b"from-the-environment"


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORTAL_SECRET_KEY", "DATABASE_URL", "REFLEX_REDIS_URL", "PORTAL_DEPLOYMENT")}
    return {**env, **extra}


def test_the_production_start_script_stops_without_a_key():
    done = subprocess.run(["bash", "scripts/prod.sh"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=_clean_env(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                                         REFLEX_REDIS_URL="redis://127.0.0.1:6379/0"))
    assert done.returncode == 1
    assert "PORTAL_SECRET_KEY" in done.stderr and "门户未启动" in done.stderr
    assert "DATABASE_URL" not in done.stderr  # only what is missing is named


def test_every_worker_refuses_to_load_the_app_without_a_key():
    """A start that skips the script (reflex run by hand) still stops, in the app module itself."""
    done = subprocess.run([sys.executable, "-c", "import lowincome_portal.lowincome_portal"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env=_clean_env(PORTAL_DEPLOYMENT="production"))
    assert done.returncode != 0
    assert "ConfigurationError" in done.stderr and "PORTAL_SECRET_KEY" in done.stderr


def test_session_tokens_are_stored_under_the_key(engine, monkeypatch):
    with unit_of_work(engine) as s:
        token = auth.login(s, "xinmin", DEMO_PASSWORD).token
    with unit_of_work(engine) as s:
        assert auth.check_session(s, token).actor is not None
    # The same database under another key: the stored value no longer matches the token.
    monkeypatch.setenv("PORTAL_SECRET_KEY", "another-deployment-key-" + "z" * 20)
    with unit_of_work(engine) as s:
        assert auth.check_session(s, token).actor is None


def test_audit_seals_reveal_an_entry_changed_behind_the_triggers(engine, actor_of):
    with unit_of_work(engine) as s:
        audit.record(s, actor=actor_of("admin"), action="update", entity="area", entity_id="500231100200",
                     old={"name": "凤凰村"}, new={"name": "凤凰新村"})
    with Session(engine) as s:
        report = audit_seal.verify(s)
        assert report.intact and report.checked > 0 and report.unsealed == 0
    with engine.begin() as c:
        target = c.execute(sa.select(sa.func.max(AuditEntry.__table__.c.id))).scalar_one()
        if engine.dialect.name == "postgresql":
            c.execute(sa.text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
        else:
            c.execute(sa.text("DROP TRIGGER audit_entry_no_update"))
        c.execute(sa.text("UPDATE audit_entry SET new_values = :v WHERE id = :i"),
                  {"v": '{"name": "篡改"}', "i": target})
        c.execute(sa.text("INSERT INTO audit_entry (at, username, action, entity, entity_id, old_values, "
                          "new_values, note, seal) VALUES (:at, 'admin', 'delete', 'household', '1', '', '', '', "
                          ":seal)"), {"at": "2026-11-01 00:00:00", "seal": "0" * 64})
    with Session(engine) as s:
        report = audit_seal.verify(s)
    assert len(report.broken) == 2 and target in report.broken


def test_verify_audit_command(engine, db_url, capsys):
    from lowincome_portal.cli import main

    assert main(["verify-audit"]) == 0
    assert "全部签名一致" in capsys.readouterr().out
