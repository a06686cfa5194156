"""The public channel (渝快办-style, no account): a resident applies online at /apply and
follows the case at /apply/status with the tracking number and their ID number.

Why these states are plain `rx.State` subclasses and not `SessionState` ones: a visitor here
is nobody - there is no sign-in to check, no menu, no actor - and nothing on these pages may
reach staff data. Keeping them outside the signed-in state tree means they inherit none of
its session machinery (a page that "forgot" to call `_enter` could never silently become a
staff page), and their `error`/`info` messages are their own, not the shared ones the staff
shell shows. What they may call is fixed in services/intake_submit.py (submit, status) and
services/public_areas.py (area names), each safe for an anonymous caller; the handler list
is pinned by tests/integration/test_apply_pages.py, so a new public handler is a decision.
"""

from .form import ApplyState, apply_page
from .status import ApplyStatusState, apply_status_page

__all__ = ["ApplyState", "ApplyStatusState", "apply_page", "apply_status_page"]
