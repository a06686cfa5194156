"""What the warning pages share: badges for severity and status, the overdue marks, and
the flattening of service dicts (reused from the referral pages)."""

import reflex as rx

from ..referrals.common import SELECT_STYLE, an_id, form_text, native_select, texts

__all__ = ["SELECT_STYLE", "an_id", "due_marks", "form_text", "native_select", "options_of", "severity_badge",
           "status_badge", "texts"]

SEVERITY_COLOURS = (("high", "red"), ("medium", "orange"), ("low", "blue"))
STATUS_COLOURS = (("pending", "orange"), ("verifying", "blue"), ("handled", "violet"), ("fed_back", "green"))


def options_of(choices) -> list[dict[str, str]]:
    """{"value", "label"} options from a code -> label dict, or from a service's list of
    option dicts (whatever it calls its value and label)."""
    if isinstance(choices, dict):
        return [{"value": str(k), "label": str(v)} for k, v in choices.items()]
    out = []
    for c in choices or []:
        if isinstance(c, dict):
            value = c.get("value", c.get("code", c.get("id", "")))
            label = c.get("label", c.get("name", value))
        else:  # a (value, label) pair
            value, label = c
        out.append({"value": str(value), "label": str(label)})
    return out


def severity_badge(row) -> rx.Component:
    return rx.badge(row["severity_label"], color_scheme=rx.match(row["severity"], *SEVERITY_COLOURS, "gray"),
                    variant="solid")


def status_badge(row) -> rx.Component:
    return rx.badge(row["status_label"], color_scheme=rx.match(row["status"], *STATUS_COLOURS, "gray"),
                    variant="soft")


def due_marks(row) -> rx.Component:
    """The step's deadline with red marks when it is past (已超期) or was escalated (已升级)."""
    return rx.hstack(
        rx.text(row["due_on"], size="2", white_space="nowrap"),
        rx.cond(row["overdue"] == "1", rx.badge("已超期", color_scheme="red", variant="solid")),
        rx.cond(row["escalated"] == "1", rx.badge("已升级", color_scheme="red", variant="outline")),
        spacing="1", align="center",
    )
