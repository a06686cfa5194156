"""Small form widgets shared by pages."""

import reflex as rx


def choice_select(options: list[dict], value, on_change, trigger_id: str) -> rx.Component:
    """A dropdown of fixed options ({"value", "label"}), controlled by a state var."""
    return rx.select.root(
        rx.select.trigger(id=trigger_id),
        rx.select.content(*[rx.select.item(o["label"], value=o["value"]) for o in options]),
        value=value,
        on_change=on_change,
    )
