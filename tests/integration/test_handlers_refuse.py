"""Protected event handlers, called the way a hostile client would (directly, with any
arguments), refuse lower roles, other townships and signed-out browsers, and change nothing."""

import inspect

import pytest
import reflex as rx
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import AuditEntry, User, UserRole
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.seed import DEMO_PASSWORD
from lowincome_portal.pages.audit import AuditState
from lowincome_portal.pages.users import UsersState
from lowincome_portal.services import auth
from lowincome_portal.state.base import SessionState
from tests.page_states import settle


def state_for(state_cls, engine, username=None, token=None):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_cls.get_full_name().split("."))
    if username:
        with unit_of_work(engine) as s:
            state.token = auth.login(s, username, DEMO_PASSWORD).token
    elif token is not None:
        state.token = token
    return state


def snapshot(engine):
    with Session(engine) as s:
        return (
            [(u.id, u.disabled, u.password_hash, u.area_code, u.must_change_password, u.locked_until)
             for u in s.exec(select(User).order_by(User.id)).all()],
            sorted((r.user_id, r.role) for r in s.exec(select(UserRole)).all()),
            s.exec(select(func.count()).select_from(AuditEntry)
                   .where(AuditEntry.action.not_in(["login", "login_failed"]))).one(),
        )


def admin_calls(target_id):
    """Every account handler with arguments that would change the target if allowed."""
    return [
        (UsersState.disable, (target_id,)),
        (UsersState.enable, (target_id,)),
        (UsersState.unlock, (target_id,)),
        (UsersState.reset_password, (target_id,)),
        (UsersState.open_edit, (target_id,)),
        (UsersState.apply_search, ({"search": ""},)),
        (UsersState.next_page, ()),
        (AuditState.apply_filters, ({"username": "admin"},)),
    ]


@pytest.mark.parametrize("username", ["minzheng", "nongye", "xinmin", "fenghuang", "cishan", "lingdao"])
def test_lower_roles_are_refused_and_nothing_changes(engine, actor_of, username):
    target = actor_of("shaping").user_id
    before = snapshot(engine)
    for handler, args in admin_calls(target):
        state = state_for(UsersState if handler is not AuditState.apply_filters else AuditState,
                          engine, username)
        result = settle(handler.fn(state, *args))
        assert state.error == "您没有执行此操作的权限", handler.fn.__name__
        assert result is None
    # Submitting the account form with a hand-made payload is refused too.
    state = state_for(UsersState, engine, username)
    state.form_mode, state.form_roles, state.form_area = "create", ["admin"], "500231000000"
    settle(UsersState.submit_form.fn(state, {"username": "intruder", "display_name": "x"}))
    assert state.error == "您没有执行此操作的权限"
    assert state.rows == []
    assert snapshot(engine) == before


def test_signed_out_forged_and_expired_tokens_are_sent_to_sign_in(engine, actor_of):
    target = actor_of("shaping").user_id
    before = snapshot(engine)
    for token in ("", "forged-token-value"):
        for handler, args in admin_calls(target):
            state = state_for(UsersState if handler is not AuditState.apply_filters else AuditState,
                              engine, token=token)
            result = settle(handler.fn(state, *args))
            assert result is not None  # a redirect to the sign-in page
            assert state.notice in (auth.MSG_NOT_SIGNED_IN, auth.MSG_INVALID_TOKEN)
    assert snapshot(engine) == before


def test_admin_of_the_county_is_allowed(engine, actor_of):
    target = actor_of("shaping").user_id
    state = state_for(UsersState, engine, "admin")
    settle(UsersState.disable.fn(state, target))
    assert state.error == "" and "已停用" in state.info
    assert any(r["username"] == "shaping" and r["disabled"] for r in state.rows)


def test_page_entry_marks_denied_without_loading_rows(engine):
    state = state_for(UsersState, engine, "xinmin")
    settle(UsersState.on_enter.fn(state))
    assert state.page_access == "denied" and state.rows == []
    state = state_for(UsersState, engine, "admin")
    settle(UsersState.on_enter.fn(state))
    assert state.page_access == "ok" and len(state.rows) == 9


def _app_states():
    import lowincome_portal.lowincome_portal  # noqa: F401 - registers every page state

    seen, todo = [], [SessionState]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.get_substates())
    return seen


# Handlers that need no sign-in: they only shape the page or a form the server re-checks.
PUBLIC = {"login", "logout", "close_form", "toggle_role",
          "set_form_area", "set_form_org", "set_action", "set_entity", "setvar",
          "set_value", "set_flag", "ask_delete", "open_panel", "open_step",
          "add_member_row", "remove_member_row", "set_member_field", "pick_village"}


def test_every_handler_is_guarded_or_known_public():
    """A new handler must go through `protected` (or check on page entry), or be listed above."""
    for cls in _app_states():
        for name, handler in cls.event_handlers.items():
            if name in PUBLIC:
                continue
            if name == "on_enter":
                source = inspect.getsource(handler.fn)
                assert ("self._enter(" in source or "self._enter_resource(" in source
                        or cls.__name__ == "LoginState"), f"{cls.__name__}.on_enter"
                continue
            assert getattr(handler.fn, "protected_action", None), f"{cls.__name__}.{name} is not guarded"
            # The checked actor is injected on the server, never taken from the browser.
            assert "actor" not in inspect.signature(handler.fn).parameters, f"{cls.__name__}.{name}"


def test_signing_in_and_out_clears_what_the_tab_showed(engine):
    """Another person signing in on a tab left open (or the owner signing out) finds none of the
    earlier user's page data in the tab's state: pages once entered are cleared."""
    from lowincome_portal.pages.home import HomeState
    from lowincome_portal.pages.login import LoginState
    from tests.page_states import state_for as signed_in

    home = signed_in(HomeState, engine, "minzheng")
    root = home.parent_state.parent_state
    settle(HomeState.on_enter.fn(home))
    assert home.last_login  # the county officer's own sign-in time is on the page
    login = root.get_substate(LoginState.get_full_name().split("."))
    settle(LoginState.login.fn(login, {"username": "xinmin", "password": DEMO_PASSWORD}))
    assert login.error == "" and home.last_login == "" and home.sections == []
    settle(HomeState.on_enter.fn(home))
    assert home.last_login and home.sections
    settle(SessionState.logout.fn(home))
    assert home.sections == [] and home.last_login == ""
