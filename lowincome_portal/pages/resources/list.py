"""The generic list page (/r/<resource>): search, filters, sortable columns, paging on the
server, a link to each record, "新增" and an Excel export of the filtered list."""

from typing import TypedDict

import reflex as rx

from ... import routes
from ...components.shell import shell
from ...components.table import pager
from ...db.uow import unit_of_work
from ...domain.permissions import can
from ...resources import REGISTRY
from ...services import resources as resource_service
from ...state.base import protected
from .common import ResourcePageState, resource_op

ALL = "__all__"  # a Radix select item cannot carry an empty value


class Column(TypedDict):
    key: str
    label: str
    sortable: bool
    link: bool


class Option(TypedDict):
    value: str
    label: str


class Filter(TypedDict):
    name: str
    label: str
    value: str
    options: list[Option]


class ResourceListState(ResourcePageState):
    description: str = ""
    search_help: str = ""
    columns: list[Column] = []
    rows: list[dict[str, str]] = []
    filters: list[Filter] = []
    search: str = ""
    sort: str = ""
    descending: bool = False
    page: int = 1
    page_count: int = 1
    total: int = 0
    can_create: bool = False
    can_export: bool = False
    create_href: str = ""

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter_resource("read")
        self.rows, self.total = [], 0
        if actor is None:
            return redirect
        resource = REGISTRY[self._resource]
        self.description = resource.description
        self.search_help = resource.search_help
        self.columns = [Column(key=n, label=resource.field(n).label, sortable=n in resource.sortable,
                               link=i == 0) for i, n in enumerate(resource.list_columns)]
        self.search, self.sort, self.descending, self.page = "", "", False, 1
        create_href = resource.hook("create_href")
        self.create_href = create_href() if create_href else routes.resource_new(resource.name)
        create_action = resource.hook("create_action")
        self.can_create = can(actor, create_action() if create_action else resource.action("create"))
        self.can_export = can(actor, resource.action("export"))
        with unit_of_work() as session:
            options = resource_service.filter_options(session, actor=actor, name=resource.name)
        self.filters = [Filter(name=o["name"], label=o["label"], value=ALL,
                               options=[Option(value=ALL, label="全部"), *o["options"]])
                        for o in options]
        self._load(actor)
        return None

    def _query(self) -> resource_service.ListQuery:
        return resource_service.ListQuery(
            search=self.search,
            filters={f["name"]: f["value"] for f in self.filters if f["value"] != ALL},
            sort=self.sort, descending=self.descending, page=self.page)

    def _load(self, actor) -> None:
        with unit_of_work() as session:
            result = resource_service.list_page(session, actor=actor, name=self._resource,
                                                query=self._query())
        self.rows, self.total = result.rows, result.total
        self.page, self.page_count = result.page, result.page_count

    @rx.event
    @protected(resource_op("read"))
    def apply_search(self, actor, form_data: dict):
        self.search = str(form_data.get("search", ""))[:100]
        self.page = 1
        self._load(actor)

    @rx.event
    @protected(resource_op("read"))
    def set_filter(self, actor, name: str, value: str):
        self.filters = [{**f, "value": value} if f["name"] == name else f for f in self.filters]
        self.page = 1
        self._load(actor)

    @rx.event
    @protected(resource_op("read"))
    def clear_filters(self, actor):
        self.filters = [{**f, "value": ALL} for f in self.filters]
        self.search, self.page = "", 1
        self._load(actor)

    @rx.event
    @protected(resource_op("read"))
    def sort_by(self, actor, key: str):
        self.descending = not self.descending if self.sort == key else False
        self.sort = key
        self._load(actor)

    @rx.event
    @protected(resource_op("read"))
    def prev_page(self, actor):
        self.page = max(1, self.page - 1)
        self._load(actor)

    @rx.event
    @protected(resource_op("read"))
    def next_page(self, actor):
        self.page = min(self.page_count, self.page + 1)
        self._load(actor)

    @rx.event
    @protected(resource_op("export"))
    def export(self, actor):
        with unit_of_work() as session:
            filename, data = resource_service.export_workbook(session, actor=actor, name=self._resource,
                                                             query=self._query())
        return rx.download(data=data, filename=filename)


def _filter(f: Filter) -> rx.Component:
    return rx.vstack(
        rx.text(f["label"], size="1", color_scheme="gray"),
        rx.select.root(
            rx.select.trigger(id="filter-" + f["name"], min_width="9em"),
            rx.select.content(rx.foreach(f["options"], lambda o: rx.select.item(o["label"],
                                                                                 value=o["value"]))),
            value=f["value"],
            on_change=lambda v: ResourceListState.set_filter(f["name"], v),
        ),
        spacing="1",
    )


def _toolbar() -> rx.Component:
    S = ResourceListState
    return rx.vstack(
        rx.hstack(
            rx.form(
                rx.hstack(
                    rx.input(name="search", placeholder=S.search_help, id="search-input",
                             width="22em", default_value=S.search),
                    rx.button("查询", type="submit", id="search-button"),
                    spacing="2",
                ),
                on_submit=S.apply_search,
                reset_on_submit=False,
            ),
            rx.spacer(),
            rx.cond(S.can_export, rx.button(rx.icon("download", size=16), "导出 Excel",
                                            on_click=S.export, variant="outline", id="export-button",
                                            white_space="nowrap")),
            rx.cond(S.can_create, rx.link(rx.button(rx.icon("plus", size=16), "新增", white_space="nowrap"),
                                          href=S.create_href, id="new-button")),
            width="100%",
            align="center",
        ),
        rx.hstack(
            rx.foreach(S.filters, _filter),
            rx.button("清除条件", on_click=S.clear_filters, variant="ghost", size="1",
                      id="clear-filters", align_self="end"),
            spacing="3",
            wrap="wrap",
            align="end",
        ),
        width="100%",
        spacing="3",
    )


def _header_cell(c: Column) -> rx.Component:
    S = ResourceListState
    arrow = rx.cond(S.sort == c["key"], rx.cond(S.descending, " ↓", " ↑"), "")
    return rx.table.column_header_cell(
        rx.cond(c["sortable"],
                rx.link(c["label"], arrow, on_click=S.sort_by(c["key"]), cursor="pointer",
                        id="sort-" + c["key"], underline="none"),
                rx.text(c["label"])),
        white_space="nowrap",
    )


def _row(row: dict) -> rx.Component:
    S = ResourceListState
    return rx.table.row(
        rx.foreach(S.columns, lambda c: rx.table.cell(
            rx.cond(c["link"], rx.link(row[c["key"]], href=row["_href"]),
                    rx.text(row[c["key"]], size="2")))),
        id="row-" + row["_key"],
    )


def resource_list_page() -> rx.Component:
    S = ResourceListState
    return shell(
        S.resource_label,
        rx.text(S.description, size="2", color_scheme="gray"),
        _toolbar(),
        rx.table.root(
            rx.table.header(rx.table.row(rx.foreach(S.columns, _header_cell))),
            rx.table.body(rx.foreach(S.rows, _row)),
            variant="surface", size="1", width="100%", id="resource-table",
        ),
        rx.cond(S.total == 0, rx.text("没有符合条件的记录", color_scheme="gray", id="empty-list")),
        pager(S.page, S.page_count, S.total, S.prev_page, S.next_page),
    )
