"""转介帮扶 for staff: the referrals of the area with the 不漏 list (list.py), one referral
with its steps (detail.py), and the dispatch form for a need (dispatch.py) that the
household's needs panel uses too. Partners work on /partner (pages/partner).
"""

from .detail import ReferralState, referral_page
from .dispatch import DispatchMixin, dispatch_form
from .list import ReferralListState, referrals_page

__all__ = ["DispatchMixin", "ReferralListState", "ReferralState", "dispatch_form", "referral_page",
           "referrals_page"]
