"""The agenda of one meeting: each item with its kind, title, detail and household, the
buttons that reorder, drop and restore it, its minutes form, and what was decided.

For an item about a household the form also asks the assistance kind: a 转介 decision
then records a need and dispatches it to the responsible unit (services/meeting_agenda.py).
The minutes form uses native <select>s: they submit with the form, allow an empty "not
chosen" option, and take a recorded value as their default. Titles, details and
discussions are drawn with rx.text, so whatever a user typed shows as text, never markup.
"""

import reflex as rx

from ...domain.meetings import DECISIONS
from ...domain.referrals import ASSISTANCE_KINDS
from .state import MeetingState as S

KIND_COLOURS = (("application", "blue"), ("overdue", "red"), ("hard_case", "purple"), ("follow_up", "orange"),
                ("summary", "gray"))
SELECT_STYLE = {"padding": "0.35em 0.5em", "border": "1px solid var(--gray-7)", "border_radius": "var(--radius-2)",
                "background": "var(--color-surface)", "font_size": "var(--font-size-2)", "min_width": "10em"}


def _hidden(name: str, value) -> rx.Component:
    return rx.el.input(type="hidden", name=name, value=value)


def _label(text: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(text, size="1", weight="medium"), control, spacing="1")


def _select(name: str, element_id, default, options, fixed: dict[str, str] | None = None) -> rx.Component:
    """A native select with an empty first choice; `options` a list var of {"value", "label"}
    or `fixed` a dict known when the page is built."""
    choices = ([rx.el.option(label, value=value) for value, label in fixed.items()] if fixed is not None
               else [rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"]))])
    return rx.el.select(rx.el.option("（未选择）", value=""), *choices, name=name, id=element_id,
                        default_value=default, style=SELECT_STYLE)


def _minutes_form(item) -> rx.Component:
    item_id = item["id"]
    return rx.form(
        rx.vstack(
            _hidden("item_id", item_id),
            rx.text_area(name="discussion", default_value=item["discussion"], placeholder="讨论情况", rows="2",
                         max_length=4000, width="100%", id="minutes-discussion-" + item_id),
            rx.hstack(
                _label("决定", _select("decision", "minutes-decision-" + item_id, item["decision"], None,
                                      fixed=DECISIONS)),
                _label("责任单位", _select("responsible_org_id", "minutes-unit-" + item_id,
                                          item["responsible_org_id"], S.units)),
                _label("责任人", _select("responsible_user_id", "minutes-user-" + item_id,
                                        item["responsible_user_id"], S.people)),
                _label("办理期限", rx.input(type="date", name="deadline", default_value=item["deadline"],
                                           id="minutes-deadline-" + item_id, width="11em")),
                # 转介 of an item about a household dispatches a referral of this kind to the unit
                rx.cond(item["household_href"] != "",
                        _label("转介救助类别", _select("assistance_kind", "minutes-kind-" + item_id, "", None,
                                                   fixed=ASSISTANCE_KINDS))),
                rx.button("保存记录", type="submit", size="2", id="minutes-save-" + item_id),
                spacing="3", align="end", wrap="wrap",
            ),
            spacing="2", width="100%",
        ),
        on_submit=S.save_minutes, reset_on_submit=False, id="minutes-form-" + item_id, width="100%",
    )


def _decision(item) -> rx.Component:
    """What the minutes recorded for the item, once a decision is saved."""
    return rx.cond(
        item["decided"] == "1",
        rx.vstack(
            rx.hstack(
                rx.badge("决定：", item["decision_label"], color_scheme="green", variant="solid"),
                rx.cond(item["responsible_name"] != "", rx.text("责任：", item["responsible_name"], size="2")),
                rx.cond(item["deadline"] != "", rx.text("期限：", item["deadline"], size="2")),
                spacing="3", align="center", wrap="wrap",
            ),
            rx.cond(item["discussion"] != "",
                    rx.text(item["discussion"], size="2", white_space="pre-wrap", color_scheme="gray")),
            spacing="1", id="item-decision-" + item["id"],
        ),
    )


def _buttons(item) -> rx.Component:
    item_id = item["id"]
    return rx.cond(
        S.editable,
        rx.cond(
            item["dropped"] == "1",
            rx.button("恢复", size="1", variant="soft", on_click=S.restore_item(item_id), id="item-restore-" + item_id),
            rx.hstack(
                rx.icon_button(rx.icon("arrow_up", size=14), size="1", variant="soft", title="上移",
                               disabled=item["can_move_up"] != "1", on_click=S.move_item(item_id, "up"),
                               id="item-up-" + item_id),
                rx.icon_button(rx.icon("arrow_down", size=14), size="1", variant="soft", title="下移",
                               disabled=item["can_move_down"] != "1", on_click=S.move_item(item_id, "down"),
                               id="item-down-" + item_id),
                rx.cond(item["decided"] != "1",
                        rx.button("移出", size="1", variant="soft", color_scheme="gray",
                                  on_click=S.drop_item(item_id), id="item-drop-" + item_id)),
                spacing="1",
            ),
        ),
    )


def _item(item) -> rx.Component:
    dropped = item["dropped"] == "1"
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(rx.cond(dropped, "—", item["number"]), weight="bold", min_width="1.5em"),
                rx.badge(item["kind_label"], color_scheme=rx.match(item["kind"], *KIND_COLOURS, "gray"),
                         variant="soft"),
                rx.text(item["title"], weight="medium", class_name="item-title"),
                rx.cond(dropped, rx.badge("已移出", color_scheme="gray", variant="outline")),
                rx.spacer(),
                rx.cond(item["application_href"] != "",
                        rx.link(item["tracking_no"], href=item["application_href"], size="2",
                                id="item-application-" + item["id"])),
                rx.cond(item["household_href"] != "",
                        rx.link(rx.icon("house", size=14), item["household_name"], " ", item["household_id_masked"],
                                href=item["household_href"], size="2", id="item-household-" + item["id"])),
                _buttons(item),
                width="100%", align="center", spacing="2",
            ),
            rx.cond(item["detail"] != "", rx.text(item["detail"], size="2", white_space="pre-wrap")),
            _decision(item),
            rx.cond(S.editable & ~dropped, _minutes_form(item)),
            spacing="2", width="100%", opacity=rx.cond(dropped, "0.6", "1"),
        ),
        # keyed by the item, not its place: after a move, a half-typed minutes form stays with its item
        width="100%", id="item-" + item["id"], key=item["id"],
    )


def _add_item_form() -> rx.Component:
    return rx.cond(
        S.editable,
        rx.form(
            rx.hstack(
                rx.input(name="title", placeholder="新增议题", max_length=200, id="add-item-title", width="20em"),
                rx.input(name="detail", placeholder="说明（选填）", max_length=2000, id="add-item-detail", width="28em"),
                rx.button(rx.icon("plus", size=14), "添加议题", type="submit", id="add-item-submit"),
                spacing="2", wrap="wrap",
            ),
            on_submit=S.add_item, reset_on_submit=True, id="add-item-form",
        ),
    )


def agenda() -> rx.Component:
    return rx.vstack(
        rx.heading("议题与会议记录", size="4"),
        rx.cond(S.items.length() > 0, rx.foreach(S.items, _item),
                rx.text("暂无议题", size="2", color_scheme="gray")),
        _add_item_form(),
        spacing="3", width="100%", id="agenda",
    )
