"""Every route of the portal, in one place, with builders for the dynamic ones."""

LOGIN = "/login"
HOME = "/"
PASSWORD = "/account/password"
USERS = "/admin/users"
AUDIT = "/admin/audit"

# The low-code pages: /r/<resource>, /r/<resource>/<key>, /r/<resource>/<key>/edit, /r/<resource>/new
RESOURCE_LIST = "/r/[resource]"
RESOURCE_RECORD = "/r/[resource]/[record]"
RESOURCE_EDIT = "/r/[resource]/[record]/edit"
NEW_RECORD = "new"

HOUSEHOLD = "/households/[household_id]"
HOUSEHOLD_NEW = "/households/new"
REGISTRY_IMPORT = "/registry/import"

# Intake: the public channel (no account), then the staff pages.
APPLY = "/apply"
APPLY_STATUS = "/apply/status"
TASKS = "/tasks"
APPLICATION = "/applications/[application_id]"
APPLICATION_NEW = "/applications/new"
INVESTIGATION = "/applications/[application_id]/investigation"
APPLICATION_IMPORT = "/applications/import"
NOTICES = "/notices"

# Referrals: the coordinators' dispatch pages and the partner portal.
REFERRALS = "/referrals"
REFERRAL = "/referrals/[referral_id]"
PARTNER = "/partner"

# The monthly joint meeting.
MEETINGS = "/meetings"
MEETING_NEW = "/meetings/new"
MEETING = "/meetings/[meeting_id]"

# 统一监测预警: the warning inbox, one warning, and the department file import.
WARNINGS = "/warnings"
WARNING = "/warnings/[warning_id]"
MONITORING_IMPORT = "/monitoring/import"

# Monthly reporting and the county leaders' summary.
REPORTS = "/reports"
SUMMARY = "/summary"


def warning(warning_id) -> str:
    return f"/warnings/{warning_id}"


def resource_list(name: str) -> str:
    return f"/r/{name}"


def resource_record(name: str, key: str) -> str:
    return f"/r/{name}/{key}"


def resource_edit(name: str, key: str) -> str:
    return f"/r/{name}/{key}/edit"


def resource_new(name: str) -> str:
    return f"/r/{name}/{NEW_RECORD}"


def household(household_id) -> str:
    return f"/households/{household_id}"


def application(application_id) -> str:
    return f"/applications/{application_id}"


def referral(referral_id) -> str:
    return f"/referrals/{referral_id}"


def meeting(meeting_id) -> str:
    return f"/meetings/{meeting_id}"


def investigation(application_id) -> str:
    return f"/applications/{application_id}/investigation"


AREAS = resource_list("areas")
HOUSEHOLDS = resource_list("households")
STATIONS = resource_list("stations")
ORGANISATIONS = resource_list("organisations")
PARAMETERS = resource_list("parameters")
APPLICATION_LIST = resource_list("applications")
