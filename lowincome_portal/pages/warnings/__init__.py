"""监测预警 for staff: the warning inbox with the county's township table (list.py) and one
warning with its evidence, steps and the verify / handle / feed back forms (detail.py).
Department files are imported on /monitoring/import (pages/monitoring_import.py)."""

from .detail import WarningState, warning_page
from .list import WarningListState, warnings_page

__all__ = ["WarningListState", "WarningState", "warning_page", "warnings_page"]
