"""合作机构工作台 (/partner): the partner organisations' own page (page.py, state.py)."""

from .page import partner_page
from .state import PartnerState

__all__ = ["PartnerState", "partner_page"]
