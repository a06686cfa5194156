"""The dispatch form for one need (派单), shared by the household's needs panel and the 不漏
list: to the competent department, or to the pool that matching partners see.

The form shows 就高不就低 first - the household's overlapping kinds, the higher one on top,
and the sentence that will be recorded on the referral - and, for coordinators who may
record one, the justification a second referral of the same kind and period needs (不重).
The need being dispatched is kept by the server (it was loaded with the caller's scope
checked); the service checks everything again when the form is sent.
"""

import reflex as rx

from ...db.uow import unit_of_work
from ...domain import referrals as rules
from ...services import referral_views, referrals
from ...services.households import today_in_china
from ...state.base import protected
from .common import an_id, form_text, native_select, texts

DISPATCH = "referral.dispatch"
MODES = {"assigned": "派给主管部门", "pool": "发布到需求池（合作机构认领）"}
DISPATCHED = {"assigned": "已派给{org}", "pool": "已发布到需求池，{count} 家合作机构将收到通知"}


class DispatchMixin(rx.State, mixin=True):
    """The dispatch form's state; a page mixes it in and overrides `_after_dispatch`."""

    # the need being dispatched ({} = form closed)
    dispatch_need: dict[str, str] = {}
    dispatch_departments: list[dict[str, str]] = []
    # 就高不就低: the household's overlapping kinds, higher first
    dispatch_overlaps: list[dict[str, str]] = []
    dispatch_note: str = ""
    dispatch_pool_count: str = "0"
    # a referral of the same kind and period already exists (不重): what it is
    dispatch_duplicate: str = ""
    dispatch_mode: str = "assigned"
    can_justify: bool = False
    _dispatch_need_id: int = 0

    def _after_dispatch(self, actor, referral_id: int) -> None:
        """Reload what the page shows after a referral was made (the page overrides it)."""

    def _close_dispatch(self) -> None:
        self.dispatch_need, self.dispatch_departments, self.dispatch_overlaps = {}, [], []
        self.dispatch_note, self.dispatch_duplicate, self.dispatch_pool_count = "", "", "0"
        self.dispatch_mode, self._dispatch_need_id = "assigned", 0

    @rx.event
    @protected(DISPATCH)
    def open_dispatch(self, actor, need_id: str):
        """Load the choices for one need: its departments, the pool's reach, overlaps, duplicates."""
        with unit_of_work() as session:
            options = referral_views.dispatch_options(session, actor=actor, need_id=an_id(need_id),
                                                      today=today_in_china())
        self._close_dispatch()
        if not options["can_dispatch"]:
            self.error = rules.MSG_NEED_NOT_OPEN.format(status=options["need"]["status_label"])
            return
        self._dispatch_need_id = int(options["need"]["id"])
        self.dispatch_need = texts(options["need"])
        self.dispatch_departments = [{"value": str(d["id"]), "label": d["name"]} for d in options["departments"]]
        # higher first, as the service ordered them; the first is the one 就高不就低 picks
        self.dispatch_overlaps = [texts(o) | {"rank": str(i + 1), "higher": "1" if i == 0 else ""}
                                  for i, o in enumerate(options["overlaps"])]
        self.dispatch_note = str(options["suggested_note"] or "")
        self.dispatch_pool_count = str(options["pool_count"])
        self.dispatch_duplicate = "；".join(
            f"该户{d['period']}已有同类转介（编号 {d['id']}，{d['status_label']}）" for d in options["duplicates"])
        # no department offers the kind: the pool is the only way
        self.dispatch_mode = "assigned" if self.dispatch_departments else "pool"
        self.can_justify = bool(options["can_justify"])

    @rx.event
    @protected(DISPATCH)
    def close_dispatch(self, actor):
        self._close_dispatch()

    @rx.event
    @protected(DISPATCH)
    def pick_dispatch_mode(self, actor, mode: str):
        self.dispatch_mode = "pool" if mode == "pool" else "assigned"

    @rx.event
    @protected(DISPATCH)
    def dispatch_need_now(self, actor, form_data: dict):
        mode = self.dispatch_mode
        org = an_id(form_data.get("organisation_id")) or None
        with unit_of_work() as session:
            referral_id = referrals.dispatch(
                session, actor=actor, need_id=self._dispatch_need_id, mode=mode,
                organisation_id=org if mode == "assigned" else None,
                justification=form_text(form_data, "justification").strip(),
                higher_benefit_note=form_text(form_data, "higher_benefit_note").strip(), today=today_in_china())
        org_name = next((d["label"] for d in self.dispatch_departments if d["value"] == str(org)), "主管部门")
        message = DISPATCHED[mode].format(org=org_name, count=self.dispatch_pool_count)
        self._close_dispatch()
        self._after_dispatch(actor, referral_id)
        self.info = message


def _overlaps(S) -> rx.Component:
    def row(o):
        return rx.hstack(
            rx.badge(o["rank"], variant=rx.cond(o["higher"] == "1", "solid", "soft"),
                     color_scheme=rx.cond(o["higher"] == "1", "red", "gray")),
            rx.text(o["kind_label"], weight=rx.cond(o["current"] == "1", "bold", "regular"), size="2"),
            rx.text("（", o["source"], "）", size="2", color_scheme="gray"),
            rx.cond(o["higher"] == "1", rx.badge("就高", color_scheme="red", variant="outline")),
            spacing="2", align="center", id="overlap-" + o["kind"],
        )

    return rx.cond(
        S.dispatch_overlaps.length() > 0,
        rx.callout(
            rx.vstack(
                rx.text("就高不就低：本户以下救助类别相互重叠，按待遇从高到低排列", weight="bold", size="2"),
                rx.foreach(S.dispatch_overlaps, row),
                spacing="1",
            ),
            icon="arrow_up_wide_narrow", color_scheme="amber", width="100%", id="dispatch-overlaps",
        ),
    )


def _field(label: str, control: rx.Component, width: str = "16em") -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium"), control, spacing="1", width=width)


def dispatch_form(S) -> rx.Component:
    """The form for `S.dispatch_need` (drawn only while a need is open)."""
    need = S.dispatch_need
    return rx.cond(
        need.contains("id"),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading("派单：", need["kind_label"], size="3"),
                    rx.text(need["description"], size="2", white_space="pre-wrap"),
                    _overlaps(S),
                    rx.cond(S.dispatch_duplicate != "",
                            rx.callout(S.dispatch_duplicate, icon="copy", color_scheme="red", width="100%",
                                       id="dispatch-duplicate")),
                    rx.radio_group.root(
                        rx.hstack(*[rx.radio_group.item(label, value=value, id=f"dispatch-mode-{value}")
                                    for value, label in MODES.items()], spacing="5"),
                        value=S.dispatch_mode, on_change=S.pick_dispatch_mode, name="mode", id="dispatch-mode",
                    ),
                    rx.cond(
                        S.dispatch_mode == "assigned",
                        _field("主管部门 *", native_select("organisation_id", "dispatch-organisation",
                                                        options=S.dispatch_departments), "22em"),
                        rx.text("将通知服务本村、提供此类帮扶的 ", S.dispatch_pool_count, " 家合作机构认领",
                                size="2", id="dispatch-pool-count"),
                    ),
                    _field("就高不就低说明（记入派单）",
                           rx.input(name="higher_benefit_note", default_value=S.dispatch_note, max_length=500,
                                    id="dispatch-note", width="100%"), "100%"),
                    rx.cond(S.can_justify,
                            _field("重复派单理由（同户同类同期已派单时必填）",
                                   rx.text_area(name="justification", max_length=500, rows="2",
                                                id="dispatch-justification", width="100%"), "100%")),
                    rx.hstack(rx.button("确认派单", type="submit", id="dispatch-submit"),
                              rx.button("取消", type="button", variant="soft", on_click=S.close_dispatch,
                                        id="dispatch-cancel"),
                              spacing="3"),
                    spacing="3", width="100%",
                ),
                on_submit=S.dispatch_need_now, reset_on_submit=False, id="dispatch-form",
                key=need["id"],
            ),
            width="100%",
        ),
    )
