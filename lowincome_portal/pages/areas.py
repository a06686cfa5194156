"""The county's areas (read-only here; loaded from CSV with `lowincome-portal load-areas`)."""

from typing import TypedDict

import reflex as rx

from ..components.shell import shell
from ..components.table import data_table
from ..db.uow import unit_of_work
from ..services import areas as area_service
from ..state.base import SessionState


class AreaRow(TypedDict):
    code: str
    name: str
    level: str
    parent_code: str
    sample: str


class AreasState(SessionState):
    rows: list[AreaRow] = []

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter("area.view")
        if actor is not None:
            with unit_of_work() as session:
                self.rows = [AreaRow(**{**r, "sample": "示例" if r["sample"] else ""})
                             for r in area_service.list_areas(session, actor=actor)]
        return redirect


def areas_page() -> rx.Component:
    return shell(
        "区划管理",
        rx.text("区划按 12 位统计用区划代码管理。标注“示例”的为演示数据，请用本县实际区划替换"
                "（命令：lowincome-portal load-areas 文件.csv，列：区划代码,名称,上级代码）。",
                size="2", color_scheme="gray"),
        data_table(AreasState.rows, [("code", "区划代码"), ("name", "名称"), ("level", "层级"),
                                     ("parent_code", "上级代码"), ("sample", "备注")],
                   table_id="areas-table"),
    )
