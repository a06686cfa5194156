"""The audit trail (admins): filter by user, record, action and date range."""

from datetime import date
from typing import TypedDict

import reflex as rx

from ..components.forms import choice_select
from ..components.shell import shell
from ..components.table import data_table, pager
from ..db.uow import unit_of_work
from ..domain.errors import ValidationError
from ..services import audit
from ..state.base import SessionState, protected

PAGE_SIZE = 50
ALL_ACTIONS = "all"
ACTION_OPTIONS = [{"value": ALL_ACTIONS, "label": "全部操作"}] + [
    {"value": k, "label": v} for k, v in audit.ACTION_LABELS.items()]
ALL_ENTITIES = "all"
ENTITY_OPTIONS = [{"value": ALL_ENTITIES, "label": "全部记录类型"}] + [
    {"value": k, "label": v} for k, v in audit.ENTITY_LABELS.items()]
MSG_BAD_DATE = "日期格式应为 年-月-日，例如 2026-01-31"
MSG_DATE_ORDER = "开始日期不能晚于结束日期"


class AuditRow(TypedDict):
    id: int
    at: str
    username: str
    area: str
    action: str
    entity: str
    entity_id: str
    old: str
    new: str
    note: str


def _parse_day(text: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(MSG_BAD_DATE) from exc


class AuditState(SessionState):
    rows: list[AuditRow] = []
    total: int = 0
    page: int = 1
    action: str = ALL_ACTIONS
    entity: str = ALL_ENTITIES
    # The filters in force, as typed (kept server-side to page through them).
    _filters: dict = {}

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter("audit.view")
        if actor is not None:
            self.page, self._filters = 1, {}
            self._reload(actor)
        return redirect

    def _reload(self, actor) -> None:
        filters = audit.AuditFilter(**self._filters)
        with unit_of_work() as session:
            rows, self.total = audit.list_entries(session, actor=actor, filters=filters,
                                                  page=self.page, page_size=PAGE_SIZE)
        self.rows = [AuditRow(**r) for r in rows]

    @rx.event
    def set_action(self, value: str):
        self.action = value if value in audit.ACTION_LABELS else ALL_ACTIONS

    @rx.event
    def set_entity(self, value: str):
        self.entity = value if value in audit.ENTITY_LABELS else ALL_ENTITIES

    @rx.event
    @protected("audit.view")
    def apply_filters(self, actor, form_data: dict):
        date_from = _parse_day(str(form_data.get("date_from", "")))
        date_to = _parse_day(str(form_data.get("date_to", "")))
        if date_from and date_to and date_from > date_to:
            raise ValidationError(MSG_DATE_ORDER)
        self._filters = {
            "username": str(form_data.get("username", ""))[:32],
            "entity": "" if self.entity == ALL_ENTITIES else self.entity,
            "entity_id": str(form_data.get("entity_id", ""))[:64],
            "action": "" if self.action == ALL_ACTIONS else self.action,
            "date_from": date_from,
            "date_to": date_to,
        }
        self.page = 1
        self._reload(actor)

    @rx.event
    @protected("audit.view")
    def prev_page(self, actor):
        self.page = max(1, self.page - 1)
        self._reload(actor)

    @rx.event
    @protected("audit.view")
    def next_page(self, actor):
        self.page = min(self.page_count, self.page + 1)
        self._reload(actor)


def audit_page() -> rx.Component:
    return shell(
        "审计日志",
        rx.form(
            rx.hstack(
                rx.input(name="username", placeholder="用户名", id="filter-username", width="9em"),
                choice_select(ENTITY_OPTIONS, AuditState.entity, AuditState.set_entity, "filter-entity"),
                rx.input(name="entity_id", placeholder="记录编号", id="filter-entity-id", width="7em"),
                choice_select(ACTION_OPTIONS, AuditState.action, AuditState.set_action, "filter-action"),
                rx.input(name="date_from", type="date", id="filter-date-from"),
                rx.text("至", size="2"),
                rx.input(name="date_to", type="date", id="filter-date-to"),
                rx.button("查询", type="submit", id="audit-search"),
                spacing="2", wrap="wrap", align="center",
            ),
            on_submit=AuditState.apply_filters,
            reset_on_submit=False,
        ),
        data_table(AuditState.rows, [("at", "时间"), ("username", "用户"), ("area", "用户区域"),
                                     ("action", "操作"), ("entity", "记录类型"),
                                     ("entity_id", "记录编号"), ("old", "原值"), ("new", "新值"),
                                     ("note", "说明")], table_id="audit-table"),
        pager(AuditState.page, AuditState.page_count, AuditState.total,
              AuditState.prev_page, AuditState.next_page),
    )
