"""The generic operations behind the low-code pages: list, detail, form, create, edit,
delete, reveal and export for any declared resource (see resources/spec.py).

Every operation checks "<resource>.<op>" with `permissions.can` and, for resources placed
in an area, that the row lies in the user's area. Every change writes the audit trail in
the caller's transaction.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, and_, col, func, or_, select

from ..db.tables import Area
from ..domain import areas as area_rules
from ..domain import registry_input as check
from ..domain.errors import NotFound, PermissionDenied, ValidationError
from ..domain.masking import MASKERS
from ..domain.permissions import Actor, Scope, can, require
from ..resources import get_resource
from ..resources.spec import Field, Resource
from . import audit

MAX_EXPORT_ROWS = 200_000
PAGE_SIZES = (20, 50, 100)
YES, NO = "是", "否"


@dataclass
class ListQuery:
    search: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = ""
    descending: bool = False
    page: int = 1
    page_size: int = 50


@dataclass
class ListPage:
    rows: list[dict[str, str]]
    total: int
    page: int
    page_count: int


# ---- scope and queries -------------------------------------------------------------

def area_range(code: str) -> tuple[str, str]:
    """The codes inside an area as an index-friendly range (no LIKE, no full scan)."""
    prefix = area_rules.significant_prefix(code)
    pad = 12 - len(prefix)
    return prefix + "0" * pad, prefix + "9" * pad


def _in_area(column, code: str):
    low, high = area_range(code)
    return and_(column >= low, column <= high)


def _scope_of(resource: Resource, row) -> Scope | None:
    if resource.area_field is None:
        return None
    return Scope(area_code=getattr(row, resource.area_field))


def _require(actor: Actor, resource: Resource, op: str, row=None) -> None:
    require(actor, resource.action(op), _scope_of(resource, row) if row is not None else None)


def _base_query(resource: Resource, actor: Actor):
    query = select(resource.model)
    if resource.area_field is not None:
        if not actor.area_code:
            raise PermissionDenied()
        query = query.where(_in_area(getattr(resource.model, resource.area_field), actor.area_code))
    narrow = resource.hook("narrow_query")
    return narrow(query, actor) if narrow else query


def _filtered(resource: Resource, actor: Actor, query: ListQuery):
    stmt = _base_query(resource, actor)
    for name, value in query.filters.items():
        if not value or name not in resource.filters:
            continue
        custom = resource.hook("filter_clause")
        clause = custom(name, value) if custom else None
        if clause is None:
            f = resource.field(name)
            column = getattr(resource.model, name)
            if f.kind == "area":
                clause = _in_area(column, value) if area_rules.is_valid_code(value) else column == value
            elif f.kind == "bool":
                clause = column == (value == "true")
            elif f.multiple:
                clause = col(column).contains(f" {value} ", autoescape=True)
            else:
                clause = column == value
        stmt = stmt.where(clause)
    term = query.search.strip()
    if term and resource.search_fields:
        custom = resource.hook("search_clause")
        clause = custom(term) if custom else None
        if clause is None:
            clause = or_(*[col(getattr(resource.model, n)).contains(term, autoescape=True)
                           for n in resource.search_fields])
        stmt = stmt.where(clause)
    return stmt


def _ordered(resource: Resource, stmt, query: ListQuery):
    sort = query.sort if query.sort in resource.sortable else resource.default_sort
    descending = query.descending if query.sort in resource.sortable else resource.default_descending
    column = col(getattr(resource.model, sort))
    key = col(getattr(resource.model, resource.key))
    order = [column.desc() if descending else column.asc()]
    if sort != resource.key:
        order.append(key.desc() if descending else key.asc())
    return stmt.order_by(*order)


# ---- display -----------------------------------------------------------------------

def area_labels(session: Session, codes: set[str]) -> dict[str, str]:
    """“新民镇 凤凰村” for village codes, “新民镇” for townships: two small queries at most."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    parents = {area_rules.parent_code(c) for c in codes if area_rules.is_valid_code(c)}
    wanted = codes | {p for p in parents if p and area_rules.level_of(p) != area_rules.COUNTY}
    names = dict(session.exec(select(Area.code, Area.name).where(col(Area.code).in_(wanted))).all())
    labels = {}
    for code in codes:
        parent = area_rules.parent_code(code) if area_rules.is_valid_code(code) else None
        parts = [names.get(parent, "")] if parent in names else []
        labels[code] = " ".join([*parts, names.get(code, code)])
    return labels


def display(f: Field, value: Any, areas: dict[str, str], choices: dict[str, str] | None = None,
            masked: bool = True) -> str:
    if value is None or value == "":
        return ""
    if f.masked and masked:
        return MASKERS[f.masked](str(value))
    if f.kind == "bool":
        return YES if value else NO
    if f.kind == "area":
        return areas.get(value, value)
    if f.kind == "choice":
        labels = choices if choices is not None else f.choices or {}
        if f.multiple:
            return "、".join(labels.get(code, code) for code in str(value).split())
        return labels.get(str(value), str(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def choices_of(session: Session, actor: Actor, resource: Resource, f: Field) -> dict[str, str]:
    """The options of a choice or area field for this user (areas: only inside their area)."""
    custom = resource.hook("choices_for")
    if custom:
        found = custom(session, actor, f)
        if found is not None:
            return found
    if f.kind == "area":
        if not actor.area_code:
            return {}
        # only the actor's part of the area table (a city holds thousands of villages)
        rows = session.exec(select(Area).where(_in_area(Area.code, actor.area_code))
                            .order_by(Area.code)).all()
        inside = [a for a in rows if area_rules.contains(actor.area_code, a.code)
                  and (not f.area_levels or a.level in f.area_levels)]
        labels = area_labels(session, {a.code for a in inside})
        return {a.code: labels[a.code] for a in inside}
    return dict(f.choices or {})


def _row_dict(session, actor, resource: Resource, rows, columns: tuple[str, ...],
              reveal: bool = False) -> list[dict[str, str]]:
    fields = [resource.field(n) for n in columns]
    area_codes = {getattr(r, f.name) for r in rows for f in fields if f.kind == "area"}
    areas = area_labels(session, area_codes)
    choices = {f.name: choices_of(session, actor, resource, f) for f in fields
               if f.kind == "choice" and resource.hook("choices_for")}
    href = resource.hook("detail_href")
    out = []
    for r in rows:
        key = str(getattr(r, resource.key))
        d = {f.name: display(f, getattr(r, f.name), areas, choices.get(f.name), masked=not reveal)
             for f in fields}
        d["_key"] = key
        d["_href"] = href(key) if href else f"/r/{resource.name}/{key}"
        out.append(d)
    return out


# ---- reading -----------------------------------------------------------------------

def list_page(session: Session, *, actor: Actor, name: str, query: ListQuery) -> ListPage:
    """One page of rows (display text), filtered, searched and sorted on the server."""
    resource = get_resource(name)
    _require(actor, resource, "read")
    size = query.page_size if query.page_size in PAGE_SIZES else 50
    stmt = _filtered(resource, actor, query)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    page_count = max(1, math.ceil(total / size))
    page = min(max(1, query.page), page_count)
    # Only the shown columns, as plain rows, not a whole ORM object per row. A small saving (about
    # 5% of a list page's CPU in-process), on the page every caseworker opens first.
    shown = [getattr(resource.model, name)
             for name in dict.fromkeys((resource.key, *resource.list_columns))]
    rows = session.execute(_ordered(resource, stmt, query).with_only_columns(*shown)
                           .offset((page - 1) * size).limit(size)).all()
    return ListPage(rows=_row_dict(session, actor, resource, rows, resource.list_columns),
                    total=total, page=page, page_count=page_count)


def filter_options(session: Session, *, actor: Actor, name: str) -> list[dict]:
    """The filter dropdowns of a list: [{name, label, options: [{value, label}]}]."""
    resource = get_resource(name)
    _require(actor, resource, "read")
    out = []
    for fname in resource.filters:
        f = resource.field(fname)
        if f.kind == "bool":
            options = {"true": YES, "false": NO}
        elif f.kind == "area":
            # a list filters by any area the user may see, whatever level the field stores
            options = choices_of(session, actor, resource, Field(f.name, f.label, kind="area",
                                 area_levels=(area_rules.TOWNSHIP, area_rules.VILLAGE)))
        else:
            options = choices_of(session, actor, resource, f)
        custom = resource.hook("filter_choices")
        if custom:
            options = custom(session, actor, f, options)
        out.append({"name": f.name, "label": f.label,
                    "options": [{"value": k, "label": v} for k, v in options.items() if k]})
    return out


def _load(session: Session, resource: Resource, key: str):
    try:
        pk = int(key) if resource.key == "id" else key
    except (TypeError, ValueError):
        raise NotFound() from None
    row = session.get(resource.model, pk)
    if row is None:
        raise NotFound()
    return row


def locked_reason(resource: Resource, row) -> str:
    check_row = resource.hook("locked_reason")
    return (check_row(row) or "") if check_row else ""


def detail(session: Session, *, actor: Actor, name: str, key: str) -> dict:
    """One row for the detail page: every field as label and display text (masked)."""
    resource = get_resource(name)
    row = _load(session, resource, key)
    _require(actor, resource, "read", row)
    scope = _scope_of(resource, row)
    areas = area_labels(session, {getattr(row, f.name) for f in resource.fields if f.kind == "area"})
    reveal_ok = can(actor, resource.action("reveal"), scope)
    fields = []
    for f in resource.fields:
        value = getattr(row, f.name)
        fields.append({"name": f.name, "label": f.label,
                       "value": display(f, value, areas, choices_of(session, actor, resource, f)
                                        if f.kind == "choice" else None),
                       "revealable": bool(f.masked and value and reveal_ok)})
    locked = locked_reason(resource, row)
    return {
        "key": str(getattr(row, resource.key)),
        "title": _title(resource, row),
        "fields": fields,
        "can_edit": can(actor, resource.action("edit"), scope) and not locked,
        "can_delete": can(actor, resource.action("delete"), scope) and not locked,
        "locked_reason": locked,
    }


def _title(resource: Resource, row) -> str:
    first = resource.list_columns[0] if resource.list_columns else resource.key
    return f"{resource.label}：{getattr(row, first)}"


def form_fields(session: Session, *, actor: Actor, name: str, key: str | None = None) -> list[dict]:
    """The fields of the create form (key None) or the edit form, with current values as text:
    [{name, label, kind, required, value, multiple, selected, options: [{value, label}], help,
    readonly, placeholder}]. A `multiple` field also gives its codes as `selected` (a list)
    and `value` as the same codes space-separated, so the value round-trips through update."""
    resource = get_resource(name)
    row = None
    if key is None:
        _require(actor, resource, "create")
    else:
        row = _load(session, resource, key)
        _require(actor, resource, "edit", row)
        reason = locked_reason(resource, row)
        if reason:
            raise ValidationError(reason)
    out = []
    for f in resource.form_fields:
        if row is not None:
            value = getattr(row, f.name)
        else:
            value = f.default() if callable(f.default) else f.default
        options = {}
        if f.kind in ("choice", "area"):
            options = {k: v for k, v in choices_of(session, actor, resource, f).items() if k}
        selected = []
        if f.kind == "bool":
            text = "true" if value else "false"
        elif f.multiple:
            # the options' order; a stored code no longer offered stays last, so an untouched
            # save names it instead of silently dropping it
            stored = split_codes(value)
            selected = [c for c in options if c in stored] + [c for c in stored if c not in options]
            text = " ".join(selected)
        elif f.masked and row is not None:
            text = ""  # a masked value is never sent to the form; blank keeps it
        else:
            text = "" if value is None else display(f, value, {}, masked=False) \
                if f.kind not in ("choice", "area") else str(value)
        out.append({"name": f.name, "label": f.label, "kind": f.kind, "required": f.required,
                    "value": text, "multiple": f.multiple, "selected": selected,
                    "options": [{"value": k, "label": v} for k, v in options.items()], "help": f.help,
                    "readonly": bool(row is not None and f.fixed_after_create),
                    "placeholder": "不修改请留空" if f.masked and row is not None else ""})
    return out


# ---- checking input ----------------------------------------------------------------

_CODE_SEPARATORS = re.compile(r"[\s,，、]+")


def split_codes(raw: Any) -> list[str]:
    """The codes of a several-codes value: a list, or text split on spaces, commas and 、
    (“ medical education ”, "medical,education"); blanks and repeats dropped."""
    items = raw if isinstance(raw, (list, tuple, set)) else _CODE_SEPARATORS.split(str(raw or ""))
    return list(dict.fromkeys(c for c in (str(i).strip() for i in items) if c))


def _coerce_codes(session, actor, resource: Resource, f: Field, raw: Any) -> str:
    """A `multiple` choice field: every code must be an option; stored as " a b " in the
    options' order (a space at each end so a list filter's `LIKE '% a %'` finds a code, as
    Household.current_tags and domain.referrals.codes_text have it), or "" for none."""
    codes = split_codes(raw)
    if not codes:
        if f.required:
            raise ValidationError(f"请选择{f.label}")
        return ""
    options = choices_of(session, actor, resource, f)
    unknown = [c for c in codes if c not in options]
    if unknown:
        raise ValidationError(f"{f.label}“{'、'.join(unknown)}”不在可选范围内")
    text = f" {' '.join(c for c in options if c in codes)} "
    if len(text) > f.max_length:
        raise ValidationError(f"{f.label}选得太多，超过 {f.max_length} 个字符")
    return text


def _coerce(session, actor, resource: Resource, f: Field, raw: Any):
    if f.multiple:
        return _coerce_codes(session, actor, resource, f, raw)
    text = "" if raw is None else str(raw).strip()
    if f.kind == "bool":
        return text in ("true", "on", "1", YES)
    if text == "":
        if f.required:
            raise ValidationError(f"请填写{f.label}")
        return None if f.kind in ("int", "decimal", "date") else ""
    if f.kind in ("text", "textarea"):
        return check.text(text, f.label, max_length=f.max_length)
    if f.kind == "phone":
        return check.phone(text, f.label)
    if f.kind == "date":
        return check.a_date(text, f.label)
    if f.kind in ("int", "decimal"):
        try:
            number = Decimal(text.replace(",", ""))
            if not number.is_finite():
                raise ArithmeticError
        except (ArithmeticError, ValueError):
            raise ValidationError(f"{f.label}“{text}”不是有效数字") from None
        if f.kind == "int" and number != number.to_integral():
            raise ValidationError(f"{f.label}应为整数")
        if f.min_value is not None and number < Decimal(str(f.min_value)):
            raise ValidationError(f"{f.label}不能小于 {f.min_value}")
        if f.max_value is not None and number > Decimal(str(f.max_value)):
            raise ValidationError(f"{f.label}不能大于 {f.max_value}")
        return int(number) if f.kind == "int" else number
    if f.kind in ("choice", "area"):
        options = choices_of(session, actor, resource, f)
        if text not in options:
            raise ValidationError(f"{f.label}“{text}”不在可选范围内")
        return text
    return text


def clean_values(session, actor, resource: Resource, raw: dict, row=None) -> dict:
    """Check every form field; returns typed values or raises the first clear message."""
    values = {}
    for f in resource.form_fields:
        if row is not None and f.fixed_after_create:
            continue
        if f.masked and row is not None and not str(raw.get(f.name, "")).strip():
            continue  # left blank on edit: keep the stored value
        if f.multiple and row is not None and f.name not in raw and f"has_{f.name}" not in raw:
            # not offered on this edit: keep the stored list. A form that drew the boxes sends
            # has_<name> (like household/forms.flag), so "none ticked" clears the list.
            continue
        values[f.name] = _coerce(session, actor, resource, f, raw.get(f.name))
    extra = resource.hook("clean")
    if extra:
        values = extra(session, actor, values, row)
    return values


def _for_audit(resource: Resource, values: dict) -> dict:
    """Values as the audit trail may hold them: masked fields (IDs, phones, accounts) never whole."""
    masked = {f.name for f in resource.fields if f.masked}
    return {k: ("***" if k in masked else v) for k, v in values.items()}


def _flush(session: Session, message: str) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise ValidationError(message) from None


# ---- changing ----------------------------------------------------------------------

def create(session: Session, *, actor: Actor, name: str, raw: dict) -> str:
    """Add a row from form text; audited. Requires "<name>.create" and, for placed rows,
    the new row inside the user's area."""
    resource = get_resource(name)
    _require(actor, resource, "create")
    values = clean_values(session, actor, resource, raw)
    if resource.area_field and not can(actor, resource.action("create"),
                                       Scope(area_code=values.get(resource.area_field))):
        raise PermissionDenied()
    custom = resource.hook("save_new")
    if custom:
        return str(custom(session, actor, values))
    row = resource.model(**values)
    session.add(row)
    _flush(session, f"保存失败：与已有{resource.label}重复（如名称或代码相同）")
    key = getattr(row, resource.key)
    audit.record(session, actor=actor, action="create", entity=resource.audit_entity, entity_id=key,
                 new=_for_audit(resource, values))
    return str(key)


def update(session: Session, *, actor: Actor, name: str, key: str, raw: dict) -> None:
    """Change a row from form text; audits the changed values only."""
    resource = get_resource(name)
    row = _load(session, resource, key)
    _require(actor, resource, "edit", row)
    reason = locked_reason(resource, row)
    if reason:
        raise ValidationError(reason)
    values = clean_values(session, actor, resource, raw, row)
    if resource.area_field and resource.area_field in values and not can(
            actor, resource.action("edit"), Scope(area_code=values[resource.area_field])):
        raise PermissionDenied()
    custom = resource.hook("save_changes")
    if custom:
        custom(session, actor, row, values)
        return
    old = {k: getattr(row, k) for k in values}
    old_changed, new_changed = audit.changes(old, values)
    if not new_changed:
        return
    for k, v in new_changed.items():
        setattr(row, k, v)
    session.add(row)
    _flush(session, f"保存失败：与已有{resource.label}重复（如名称或代码相同）")
    audit.record(session, actor=actor, action="update", entity=resource.audit_entity, entity_id=key,
                 old=_for_audit(resource, old_changed), new=_for_audit(resource, new_changed))


def delete(session: Session, *, actor: Actor, name: str, key: str) -> None:
    """Remove a row nothing else refers to; audited with its last values."""
    resource = get_resource(name)
    row = _load(session, resource, key)
    _require(actor, resource, "delete", row)
    reason = locked_reason(resource, row)
    if reason:
        raise ValidationError(reason)
    old = {f.name: getattr(row, f.name) for f in resource.fields if not f.masked}
    session.delete(row)
    _flush(session, f"该{resource.label}已被其他数据使用，不能删除；可改为停用")
    audit.record(session, actor=actor, action="delete", entity=resource.audit_entity, entity_id=key,
                 old=old)


def reveal(session: Session, *, actor: Actor, name: str, key: str, field_name: str) -> str:
    """The whole value of a masked field, for the roles that need it; every reveal is logged."""
    resource = get_resource(name)
    row = _load(session, resource, key)
    f = resource.field(field_name)
    if not f.masked:
        raise NotFound()
    _require(actor, resource, "reveal", row)
    audit.record(session, actor=actor, action="reveal", entity=resource.audit_entity, entity_id=key,
                 note=f"查看完整{f.label}")
    return str(getattr(row, f.name) or "")


def export_workbook(session: Session, *, actor: Actor, name: str, query: ListQuery) -> tuple[str, bytes]:
    """Every row of the filtered list as an Excel workbook. Masked fields are whole only for
    users who may reveal them, and then the export itself is logged as a reveal."""
    from .workbook_writer import workbook_bytes

    resource = get_resource(name)
    _require(actor, resource, "export")
    stmt = _ordered(resource, _filtered(resource, actor, query), query)
    rows = session.exec(stmt.limit(MAX_EXPORT_ROWS + 1)).all()
    if len(rows) > MAX_EXPORT_ROWS:
        raise ValidationError(f"导出超过 {MAX_EXPORT_ROWS} 行，请先用筛选条件缩小范围")
    whole = can(actor, resource.action("reveal")) and any(f.masked for f in resource.fields)
    columns = tuple(f.name for f in resource.fields)
    dicts = _row_dict(session, actor, resource, rows, columns, reveal=whole)
    headers = [resource.field(c).label for c in columns]
    body = [[d[c] for c in columns] for d in dicts]
    audit.record(session, actor=actor, action="export", entity=resource.audit_entity,
                 new={"rows": len(body), "search": query.search, "filters": query.filters,
                      "whole_values": whole},
                 note=f"导出{resource.label} {len(body)} 行" + ("（含完整证件号等）" if whole else ""))
    stamp = date.today().strftime("%Y%m%d")
    return f"{resource.label}_{stamp}.xlsx", workbook_bytes([(resource.label, headers, body)])
