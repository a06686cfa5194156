"""The low-code declaration: one `Resource` per table says what the generic pages draw.

A declaration names the list columns, filters, search fields, form fields with their
Chinese labels, choices and checks, the roles for each operation and the masked fields.
From it the portal draws list, detail, create and edit pages and an Excel export under
`/r/<name>`: adding a simple table is a model, a declaration and a migration.

Special cases override one hook (Django admin style) instead of forking the pages:
`choices_for`, `clean`, `save_new`, `save_changes`, `can_change_row`, `detail_href`, ...
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.permissions import grant

# Field kinds and what they mean for forms, lists and exports.
KINDS = ("text", "textarea", "int", "decimal", "date", "bool", "choice", "area", "phone")

# Operations a declaration grants roles for; the action checked is "<name>.<op>".
OPERATIONS = ("read", "create", "edit", "delete", "export", "reveal")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    required: bool = False
    max_length: int = 200
    # choice fields: code -> Chinese label (or filled per user by Resource.choices_for)
    choices: Mapping[str, str] | None = None
    # area fields: which levels may be chosen (county, township, village)
    area_levels: tuple[str, ...] = ()
    min_value: Any = None
    max_value: Any = None
    # a key of domain.masking.MASKERS: shown masked; whole only to the reveal roles, logged
    masked: str | None = None
    in_form: bool = True
    # set on create, fixed afterwards (keys, effective dates)
    fixed_after_create: bool = False
    help: str = ""
    default: Any = None
    # a choice field holding several space-delimited codes (e.g. a household's current tags)
    multiple: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name}: unknown kind {self.kind}")


@dataclass(frozen=True)
class Roles:
    read: tuple[str, ...] = ()
    create: tuple[str, ...] = ()
    edit: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    export: tuple[str, ...] = ()
    reveal: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resource:
    name: str  # the URL name: /r/<name>
    label: str  # what the county calls one of these, e.g. 服务站点
    model: type
    fields: tuple[Field, ...]
    list_columns: tuple[str, ...]
    roles: Roles
    audit_entity: str
    filters: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()
    search_help: str = ""
    sortable: tuple[str, ...] = ()
    default_sort: str = "id"
    default_descending: bool = False
    key: str = "id"
    # the column that places a row in an area (scope), if any
    area_field: str | None = None
    description: str = ""
    hooks: Any = None  # an object with any of the hook methods in hooks.py
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        names = {f.name for f in self.fields} | {self.key}
        for group in (self.list_columns, self.filters, self.search_fields, self.sortable):
            missing = set(group) - names
            if missing:
                raise ValueError(f"resource {self.name}: unknown fields {sorted(missing)}")
        for op in OPERATIONS:
            grant(self.action(op), getattr(self.roles, op))

    def action(self, op: str) -> str:
        return f"{self.name}.{op}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def form_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.in_form)

    def hook(self, name: str) -> Callable | None:
        return getattr(self.hooks, name, None) if self.hooks is not None else None
