"""One referral (/referrals/<id>): the need it carries, where it went and its deadlines, the
就高不就低 and 不重 notes the dispatcher recorded, the outcome once delivered, and every step.

Staff see referrals of their area; a partner sees only those its organisation holds (the
service refuses the rest and the page shows nothing). Partners act on /partner.
"""

import reflex as rx

from ... import routes
from ...components.history import history_row
from ...components.shell import shell
from ...db.uow import unit_of_work
from ...domain import referrals as rules
from ...domain.errors import NotFound, PortalError
from ...services import referral_views
from ...services.households import today_in_china
from ...state.base import SessionState
from ..resources.common import back_link
from .common import overdue_badges, status_badge, texts

VIEW, PARTNER = "referral.view", "partner.portal"


class ReferralState(SessionState):
    _referral_id: int = 0
    referral: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    is_partner: bool = False

    @rx.event
    def on_enter(self):
        self.referral, self.steps, self.is_partner = {}, [], False
        actor, redirect = self._enter(VIEW)
        if actor is None and self.page_access == "denied":
            # a partner opens the referrals its organisation holds (e.g. from a notification)
            actor, redirect = self._enter(PARTNER)
            self.is_partner = actor is not None
        if actor is None:
            return redirect
        self._referral_id = self._route_id("referral_id")
        try:
            if not self._referral_id:
                raise NotFound(rules.MSG_NO_REFERRAL)
            with unit_of_work() as session:
                view = referral_views.referral_detail(session, actor=actor, referral_id=self._referral_id,
                                                      today=today_in_china())
        except PortalError as exc:
            self.error = exc.message
            return None
        self.referral = texts(view)
        self.steps = [texts(e) for e in view["events"]]
        return None


S = ReferralState


def _item(label: str, *value) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label, min_width="7em"),
                             rx.data_list.value(rx.hstack(*value, spacing="2", align="center", wrap="wrap")))


def _summary() -> rx.Component:
    r = S.referral
    return rx.card(
        rx.hstack(
            rx.data_list.root(
                _item("户主", rx.cond(r["household_href"] != "",
                                    rx.link(r["head_name"], href=r["household_href"], weight="bold",
                                            id="referral-head"),
                                    rx.text(r["head_name"], weight="bold", id="referral-head")),
                      rx.text(r["phone"], size="2", color_scheme="gray")),
                _item("村（社区）", rx.text(r["village"])),
                _item("救助类别", rx.text(r["kind_label"], weight="bold", id="referral-kind")),
                _item("需求", rx.text(r["description"], white_space="pre-wrap")),
                _item("需求金额", rx.text(r["amount"])),
                _item("紧急程度", rx.text(r["urgency_label"])),
                _item("需求来源", rx.text(r["source_label"], "，", r["recorded_on"], " 登记")),
            ),
            rx.data_list.root(
                _item("状态", rx.box(status_badge(r), id="referral-status"), overdue_badges(r)),
                _item("派单方式", rx.text(r["mode_label"])),
                _item("承办机构", rx.text(r["organisation_name"], id="referral-organisation")),
                _item("认领期限", rx.text(r["claim_due_on"])),
                _item("办理期限", rx.text(r["delivery_due_on"])),
                _item("所属期", rx.text(r["period"])),
            ),
            spacing="9", align="start", wrap="wrap",
        ),
        width="100%",
    )


def _notes() -> rx.Component:
    r = S.referral
    return rx.fragment(
        rx.cond(r["higher_benefit_note"] != "",
                rx.callout(rx.text("就高不就低：", r["higher_benefit_note"]), icon="arrow_up_wide_narrow", color_scheme="amber",
                           id="referral-higher-note", width="100%")),
        rx.cond(r["duplicate_justification"] != "",
                rx.callout(rx.text("重复转介理由：", r["duplicate_justification"]), icon="copy", color_scheme="red",
                           id="referral-justification", width="100%")),
        rx.cond(r["return_reason"] != "",
                rx.callout(rx.text("最近一次退回原因：", r["return_reason"]), icon="undo_2", color_scheme="gray",
                           id="referral-return-reason", width="100%")),
    )


def _outcome() -> rx.Component:
    r = S.referral
    return rx.cond(
        r["status"] == "completed",
        rx.card(rx.vstack(
            rx.heading("办结情况", size="3"),
            rx.data_list.root(
                _item("帮扶内容", rx.text(r["outcome"], white_space="pre-wrap", id="referral-outcome")),
                _item("金额（元）", rx.text(r["delivered_amount"], id="referral-amount")),
                _item("送达日期", rx.text(r["delivered_on"])),
                _item("附件", rx.text(r["attachments"])),
            ),
            spacing="2"), width="100%"),
    )


def _steps() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("办理过程", size="3"),
        rx.foreach(S.steps, lambda e: history_row(e["at"], e["action_label"], "→ " + e["status_label"],
                                                   e["organisation_name"], e["comment"], who=e["actor_name"])),
        spacing="1", width="100%", id="referral-steps"), width="100%")


def referral_page() -> rx.Component:
    back = rx.cond(S.is_partner, back_link(routes.PARTNER, "返回机构工作台"),
                   back_link(routes.REFERRALS, "返回转介帮扶"))
    # the holder acts (start, complete, return) on its own page, where the forms are
    act = rx.cond(S.is_partner & ((S.referral["can_complete"] == "1") | (S.referral["can_start"] == "1")),
                  rx.link(rx.button("到机构工作台办理", size="2"), href=routes.PARTNER, id="referral-act"))
    return shell(
        "转介事项",
        rx.hstack(back, rx.spacer(), act, width="100%", align="center"),
        rx.cond(S.referral.contains("id"),
                rx.vstack(_summary(), _notes(), _outcome(), _steps(), spacing="4", width="100%")),
    )
