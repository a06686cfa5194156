"""The partner portal's state: the organisation's notifications, the pool it may claim from,
the referrals it holds and its figures, and thin handlers over services/referrals.py.

Referral ids come from the browser; the service checks each one is pooled for this
organisation's kinds and areas (claim) or held by it (start, complete, return), so a
hand-made call on another organisation's referral changes nothing. After every action -
also a refused one, such as a claim another partner won a moment earlier - the page is
reloaded, so what the partner sees is what the database holds.
"""

import reflex as rx

from ...db.uow import unit_of_work
from ...services import referral_views, referrals
from ...services.households import today_in_china
from ...state.base import SessionState, protected
from ..referrals.common import an_id, form_text, texts

PORTAL = "partner.portal"


class PartnerState(SessionState):
    unread: int = 0
    # stored messages not yet read (deadline reminders count in `unread` but cannot be marked)
    unread_messages: bool = False
    notifications: list[dict[str, str]] = []
    pool: list[dict[str, str]] = []
    mine: list[dict[str, str]] = []
    figures: dict[str, str] = {}
    today: str = ""

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(PORTAL)
        if actor is None:
            self.notifications, self.pool, self.mine, self.figures, self.unread = [], [], [], {}, 0
            self.unread_messages = False
            return redirect
        self._load(actor)
        return None

    def _load(self, actor) -> None:
        today = today_in_china()
        with unit_of_work() as session:
            notes = referral_views.notifications(session, actor=actor)
            pool = referral_views.partner_pool(session, actor=actor, today=today)
            mine = referral_views.partner_mine(session, actor=actor, today=today)
            figures = referral_views.partner_figures(session, actor=actor, today=today)
        self.unread = int(notes["unread"])
        self.notifications = [texts(n) | {"key": f"{n['kind']}-{n['id'] or i}"} for i, n in enumerate(notes["items"])]
        self.unread_messages = any(n["kind"] == "message" and not n["read"] for n in notes["items"])
        self.pool = [texts(p) for p in pool]
        self.mine = [texts(m) for m in mine]
        self.figures = texts(figures)
        self.today = today.isoformat()

    def _act(self, actor, command, message: str) -> None:
        """Run one command in its own unit of work; reload whether it went through or not
        (a lost claim must disappear from the pool), then let a refusal show its message."""
        try:
            with unit_of_work() as session:
                command(session)
        except Exception:
            self._load(actor)
            raise
        self._load(actor)
        self.info = message

    @rx.event
    @protected(PORTAL)
    def refresh(self, actor):
        self._load(actor)

    @rx.event
    @protected(PORTAL)
    def mark_read(self, actor, notification_id: str):
        self._act(actor, lambda s: referrals.mark_notifications_read(s, actor=actor, ids=[an_id(notification_id)]),
                  "")

    @rx.event
    @protected(PORTAL)
    def mark_all_read(self, actor):
        self._act(actor, lambda s: referrals.mark_notifications_read(s, actor=actor, ids=None), "通知已全部标为已读")

    @rx.event
    @protected(PORTAL)
    def claim(self, actor, referral_id: str):
        rid = an_id(referral_id)
        self._act(actor, lambda s: referrals.claim(s, actor=actor, referral_id=rid, today=today_in_china()),
                  "认领成功，请在“我的事项”中查看联系方式并开始服务")

    @rx.event
    @protected(PORTAL)
    def start_service(self, actor, referral_id: str):
        rid = an_id(referral_id)
        self._act(actor, lambda s: referrals.start_service(s, actor=actor, referral_id=rid, today=today_in_china()),
                  "已开始服务")

    @rx.event
    @protected(PORTAL)
    def complete(self, actor, form_data: dict):
        rid = an_id(form_data.get("referral_id"))
        amount = form_text(form_data, "amount").strip()
        self._act(actor, lambda s: referrals.complete(
            s, actor=actor, referral_id=rid, outcome=form_text(form_data, "outcome"), amount=amount or None,
            delivered_on=form_text(form_data, "delivered_on").strip(),
            attachments=form_text(form_data, "attachments"), today=today_in_china()), "已办结，感谢您的帮扶")

    @rx.event
    @protected(PORTAL)
    def return_referral(self, actor, form_data: dict):
        rid = an_id(form_data.get("referral_id"))
        self._act(actor, lambda s: referrals.return_referral(
            s, actor=actor, referral_id=rid, reason=form_text(form_data, "reason"), today=today_in_china()),
                  "已退回，事项重新进入需求池")
