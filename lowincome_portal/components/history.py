"""One line of a record's history (a household's timeline, an application's or a referral's
steps): when, what kind of event, what happened, and who did it."""

import reflex as rx


def history_row(at, kind, *what, who, at_width: str = "10em") -> rx.Component:
    return rx.hstack(
        rx.text(at, size="2", color_scheme="gray", min_width=at_width),
        rx.badge(kind, variant="soft"),
        *[rx.text(part, size="2", white_space="pre-wrap") for part in what],
        rx.spacer(),
        rx.text(who, size="1", color_scheme="gray"),
        width="100%", align="center", border_bottom="1px solid var(--gray-4)", padding_y="0.35em",
    )
