"""The monthly joint meeting (联席会议): the list of meetings with the county's overdue
townships (list.py), a new meeting (new.py), and one meeting's page - attendance, the agenda
the service drafted, minutes per item, approval and the documents (state.py, agenda.py, page.py).

Every page hands plain dicts from services/meetings.py to the browser; the services check
the meeting's area on every call.
"""

from .list import MeetingListState, meetings_page
from .new import NewMeetingState, new_meeting_page
from .page import meeting_page
from .state import MeetingState

__all__ = ["MeetingListState", "MeetingState", "NewMeetingState", "meeting_page", "meetings_page",
           "new_meeting_page"]
