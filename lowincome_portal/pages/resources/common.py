"""What the three generic resource pages share: which resource the page was entered for,
and the permission each handler checks for it."""

import reflex as rx

from ... import routes
from ...domain.errors import NotFound
from ...resources import REGISTRY
from ...state.base import SessionState


def resource_op(op: str):
    """The action a generic handler checks: "<resource>.<op>" for the page's resource."""

    def action(state) -> str:
        return f"{state._resource or '<none>'}.{op}"

    return action


class ResourcePageState(SessionState):
    # Backend-only: set from the route on entry, never from the browser.
    _resource: str = ""
    resource_label: str = ""
    list_href: str = ""

    def _enter_resource(self, op: str):
        """Page entry: the route's resource must exist and `op` be allowed on it."""
        name = self._route_arg("resource")
        if name not in REGISTRY:
            self._resource = ""
            self.page_access = "denied"
            self.error = NotFound("没有这个数据表").message
            return None, None
        resource = REGISTRY[name]
        # checked first: a change of user resets the page state, which the lines after refill
        actor, redirect = self._enter(resource.action(op))
        self._resource = name
        self.resource_label = resource.label
        self.list_href = routes.resource_list(name)
        return actor, redirect

    def _record_key(self) -> str:
        return self._route_arg("record")


def back_link(href, label: str = "返回列表") -> rx.Component:
    return rx.link(rx.hstack(rx.icon("arrow_left", size=16), rx.text(label), spacing="1",
                             align="center"), href=href, id="back-link")
