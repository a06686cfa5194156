"""A plain data table and a pager, drawn from lists of dicts handed over by the state."""

from collections.abc import Callable

import reflex as rx


def data_table(rows, columns: list[tuple[str, str]], actions: Callable | None = None,
               table_id: str = "data-table") -> rx.Component:
    """`columns` are (key, Chinese header); `actions(row)` draws the last cell."""
    headers = [rx.table.column_header_cell(label, white_space="nowrap") for _, label in columns]
    if actions is not None:
        headers.append(rx.table.column_header_cell("操作"))

    def row_of(row):
        cells = [rx.table.cell(rx.text(row[key], size="2")) for key, _ in columns]
        if actions is not None:
            cells.append(rx.table.cell(actions(row)))
        return rx.table.row(*cells)

    return rx.table.root(
        rx.table.header(rx.table.row(*headers)),
        rx.table.body(rx.foreach(rows, row_of)),
        variant="surface",
        size="1",
        width="100%",
        id=table_id,
    )


def rows_table(rows, row: Callable, headers: tuple[str, ...], table_id: str) -> rx.Component:
    """A table whose rows the page draws itself (`row(r)` returns an rx.table.row), under headers."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap") for h in headers])),
        rx.table.body(rx.foreach(rows, row)),
        variant="surface", size="1", width="100%", id=table_id,
    )


def pager(page, page_count, total, on_prev, on_next) -> rx.Component:
    return rx.hstack(
        rx.text("共 ", total, " 条，第 ", page, " / ", page_count, " 页", size="2"),
        rx.button("上一页", on_click=on_prev, size="1", variant="outline", disabled=page <= 1),
        rx.button("下一页", on_click=on_next, size="1", variant="outline",
                  disabled=page >= page_count),
        align="center",
        spacing="3",
    )
