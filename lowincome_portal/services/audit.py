"""The audit trail: every change writes one entry in the same transaction as the change.

Entries are only ever added (the database refuses UPDATE and DELETE on the table).
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, func, select

from ..db.tables import AuditEntry
from ..db.timeutil import CHINA, china_text
from ..domain.permissions import Actor, require
from . import audit_seal

# Values that must never reach the trail, whatever a caller hands in.
_SECRET_KEYS = {"password", "password_hash", "token", "token_hash"}

ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出",
    "lock": "账号锁定",
    "unlock": "解除锁定",
    "password_change": "修改密码",
    "password_reset": "重置密码",
    "disable": "停用",
    "enable": "启用",
    "roles_change": "调整角色",
    "session_end": "会话结束",
    "reveal": "查看完整信息",
    "import": "导入",
    "export": "导出",
    "submit": "提交申请",
    "transition": "办理",
    "investigate": "入户调查",
    "post_notice": "张贴公示",
    "resolve": "处理异议",
    "lookup_failed": "查询失败",
    "approve": "审定",
    "dispatch": "派单",
    "claim": "认领",
    "complete": "办结",
    "return": "退回",
    "assign": "指派核查",
    "handle": "处置",
    "feed_back": "反馈",
    "escalate": "逾期升级",
    "backup": "备份数据库",
    "restore": "恢复数据库",
}

# The kinds of record the trail names, as county staff call them.
ENTITY_LABELS = {
    "user": "账号",
    "organisation": "合作机构",
    "area": "区划",
    "policy_parameter": "政策参数",
    "household": "家庭",
    "member": "家庭成员",
    "economic_status": "家庭经济状况",
    "household_tag": "对象标识",
    "visit": "走访",
    "service_station": "服务站点",
    "application": "申请",
    "objection": "公示异议",
    "public_notice": "公示公开",
    "application_lookup": "进度查询",
    "meeting": "联席会议",
    "agenda_item": "会议议题",
    "action_item": "会议督办事项",
    "hard_case": "疑难个案",
    "need": "帮扶需求",
    "referral": "转介事项",
    "notification": "消息提醒",
    "risk_warning": "监测预警",
    "import_batch": "数据比对批次",
    "data_source": "数据来源",
    "source_column": "数据列映射",
    "warning_rule": "预警规则",
    "warning_threshold": "预警阈值",
    "monitoring_defaults": "预警规则默认配置",
    "database": "数据库",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return value


def _dump(values: dict | None) -> str:
    if not values:
        return ""
    clean = {k: _jsonable(v) for k, v in values.items() if k not in _SECRET_KEYS}
    return json.dumps(clean, ensure_ascii=False, sort_keys=True, default=str)


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: Any = "",
    old: dict | None = None,
    new: dict | None = None,
    note: str = "",
    username: str = "",
) -> AuditEntry:
    """Add one audit entry to the caller's transaction. `username` names the subject when
    there is no signed-in actor (a failed login)."""
    entry = AuditEntry(
        user_id=actor.user_id if actor else None,
        username=actor.username if actor else username,
        user_area_code=actor.area_code if actor else None,
        action=action,
        entity=entity,
        entity_id=str(entity_id or ""),
        old_values=_dump(old),
        new_values=_dump(new),
        note=note[:255],
    )
    entry.seal = audit_seal.seal_of(entry.model_dump())
    session.add(entry)
    return entry


def changes(old: dict, new: dict) -> tuple[dict, dict]:
    """Only the keys whose value differs, as (old, new)."""
    keys = [k for k in new if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    entity: str = ""
    entity_id: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _day_start_utc(day: date) -> datetime:
    # In UTC: SQLite keeps the UTC wall time and compares text, so a Beijing-zoned bound would
    # be read as UTC and miss the first eight hours of every Beijing day.
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).astimezone(UTC)


def list_entries(
    session: Session, *, actor: Actor, filters: AuditFilter, page: int = 1, page_size: int = 50
) -> tuple[list[dict], int]:
    """A page of audit entries, newest first, with the total count. Admins only."""
    require(actor, "audit.view")
    query = select(AuditEntry)
    if filters.username:
        query = query.where(AuditEntry.username == filters.username.strip())
    if filters.entity:
        query = query.where(AuditEntry.entity == filters.entity.strip())
    if filters.entity_id:
        query = query.where(AuditEntry.entity_id == filters.entity_id.strip())
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.date_from:
        query = query.where(AuditEntry.at >= _day_start_utc(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEntry.at < _day_start_utc(filters.date_to + timedelta(days=1)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(AuditEntry.id).desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return [_entry_dict(e) for e in rows], total


def _entry_dict(entry: AuditEntry) -> dict:
    return {
        "id": entry.id,
        "at": china_text(entry.at, "%Y-%m-%d %H:%M:%S"),
        "username": entry.username or "—",
        "area": entry.user_area_code or "",
        "action": ACTION_LABELS.get(entry.action, entry.action),
        "entity": ENTITY_LABELS.get(entry.entity, entry.entity),
        "entity_id": entry.entity_id,
        "old": entry.old_values,
        "new": entry.new_values,
        "note": entry.note,
    }
