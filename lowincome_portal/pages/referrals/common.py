"""What the referral pages share: the flattening of service dicts for the browser, ids sent
by the browser, native selects for fixed and loaded choices, and the status badge.

Native <select>s (as on the meeting page) because they submit with their form, allow an
empty "not chosen" option and need no handler per change.
"""

import reflex as rx

from ..meetings.common import form_text, texts

__all__ = ["SELECT_STYLE", "an_id", "form_text", "native_select", "overdue_badges", "status_badge", "texts"]

SELECT_STYLE = {"padding": "0.35em 0.5em", "border": "1px solid var(--gray-7)", "border_radius": "var(--radius-2)",
                "background": "var(--color-surface)", "font_size": "var(--font-size-2)", "width": "100%"}
STATUS_COLOURS = (("assigned", "blue"), ("pooled", "orange"), ("claimed", "cyan"), ("in_service", "violet"),
                  ("completed", "green"))


def an_id(value) -> int:
    """A record id sent by the browser (0 when not a number: the service then says not found)."""
    try:
        return int(str(value or "0").strip())
    except ValueError:
        return 0


def native_select(name: str, element_id: str, fixed: dict[str, str] | None = None, options=None,
                  default="", empty: str | None = "（请选择）") -> rx.Component:
    """A native select: `fixed` a code -> label dict known when the page is built, or
    `options` a list var of {"value", "label"} loaded by the state."""
    choices = ([rx.el.option(label, value=value) for value, label in fixed.items()] if fixed is not None
               else [rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"]))])
    first = [rx.el.option(empty, value="")] if empty is not None else []
    return rx.el.select(*first, *choices, name=name, id=element_id, default_value=default, style=SELECT_STYLE)


def status_badge(row) -> rx.Component:
    return rx.badge(row["status_label"], color_scheme=rx.match(row["status"], *STATUS_COLOURS, "gray"),
                    variant="soft")


def overdue_badges(row) -> rx.Component:
    """Red marks for a claim or a delivery past its deadline (the row's "1"/"" flags)."""
    return rx.hstack(
        rx.cond(row["claim_overdue"] == "1", rx.badge("认领超期", color_scheme="red", variant="solid")),
        rx.cond(row["delivery_overdue"] == "1", rx.badge("办理超期", color_scheme="red", variant="solid")),
        spacing="1",
    )
