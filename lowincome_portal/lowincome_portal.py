"""The app: every page with its route and the check it runs on load."""

import reflex as rx

from . import chores, routes
from .deployment import require_production_ready
from .pages.application_new import NewApplicationState, new_application_page
from .pages.apply import ApplyState, ApplyStatusState, apply_page, apply_status_page
from .pages.application_import import ApplicationImportState, application_import_page
from .pages.audit import AuditState, audit_page
from .pages.home import HomeState, home_page
from .pages.household.page import household_page
from .pages.household.state import HouseholdState
from .pages.application.page import application_page
from .pages.application.state import ApplicationState
from .pages.investigation import InvestigationState, investigation_page
from .pages.household_new import NewHouseholdState, new_household_page
from .pages.login import LoginState, login_page
from .pages.meetings import (MeetingListState, MeetingState, NewMeetingState, meeting_page, meetings_page,
                             new_meeting_page)
from .pages.monitoring_import import MonitoringImportState, monitoring_import_page
from .pages.notices import NoticesState, notices_page
from .pages.partner import PartnerState, partner_page
from .pages.password import PasswordState, password_page
from .pages.referrals import ReferralListState, ReferralState, referral_page, referrals_page
from .pages.reports import ReportsState, reports_page
from .pages.registry_import import RegistryImportState, registry_import_page
from .pages.resources.form import ResourceFormState, resource_edit_page
from .pages.resources.list import ResourceListState, resource_list_page
from .pages.resources.record import ResourceRecordState, resource_record_page
from .pages.summary import SummaryState, summary_page
from .pages.users import UsersState, users_page
from .pages.warnings import WarningListState, WarningState, warning_page, warnings_page
from .pages.worklist import WorklistState, worklist_page

# A production start without its secret key, PostgreSQL or Redis stops here, in every worker,
# with the list of what to set (scripts/prod.sh checks the same before starting anything).
require_production_ready()

app = rx.App()
app.register_lifespan_task(chores.run_hourly)
app.add_page(login_page, route=routes.LOGIN, title="登录", on_load=LoginState.on_enter)
# The public channel: residents apply and follow their case without an account.
app.add_page(apply_page, route=routes.APPLY, title="网上申请", on_load=ApplyState.open_form)
app.add_page(apply_status_page, route=routes.APPLY_STATUS, title="查询办理进度", on_load=ApplyStatusState.open_status)
app.add_page(home_page, route=routes.HOME, title="首页", on_load=HomeState.on_enter)
app.add_page(password_page, route=routes.PASSWORD, title="修改密码", on_load=PasswordState.on_enter)
app.add_page(users_page, route=routes.USERS, title="账号管理", on_load=UsersState.on_enter)
app.add_page(audit_page, route=routes.AUDIT, title="审计日志", on_load=AuditState.on_enter)
app.add_page(worklist_page, route=routes.TASKS, title="我的待办", on_load=WorklistState.on_enter)
app.add_page(registry_import_page, route=routes.REGISTRY_IMPORT, title="批量导入",
             on_load=RegistryImportState.on_enter)
# The registry: a new household, then its own page (added before the dynamic route).
app.add_page(new_household_page, route=routes.HOUSEHOLD_NEW, title="登记家庭", on_load=NewHouseholdState.on_enter)
app.add_page(household_page, route=routes.HOUSEHOLD, title="家庭全景", on_load=HouseholdState.on_enter)
# Intake: an application's own page and its investigation form.
app.add_page(new_application_page, route=routes.APPLICATION_NEW, title="窗口受理",
             on_load=NewApplicationState.on_enter)
app.add_page(application_import_page, route=routes.APPLICATION_IMPORT, title="申请导入",
             on_load=ApplicationImportState.on_enter)
app.add_page(investigation_page, route=routes.INVESTIGATION, title="入户调查表", on_load=InvestigationState.on_enter)
app.add_page(notices_page, route=routes.NOTICES, title="公示公开", on_load=NoticesState.on_enter)
app.add_page(application_page, route=routes.APPLICATION, title="申请办理", on_load=ApplicationState.on_enter)
# The monthly joint meeting: the list, a new meeting (before the dynamic route), one meeting.
app.add_page(meetings_page, route=routes.MEETINGS, title="联席会议", on_load=MeetingListState.on_enter)
app.add_page(new_meeting_page, route=routes.MEETING_NEW, title="新建联席会议", on_load=NewMeetingState.on_enter)
app.add_page(meeting_page, route=routes.MEETING, title="联席会议", on_load=MeetingState.on_enter)
# Referrals: the staff list before its dynamic route, then the partner portal.
app.add_page(referrals_page, route=routes.REFERRALS, title="转介帮扶", on_load=ReferralListState.on_enter)
app.add_page(referral_page, route=routes.REFERRAL, title="转介事项", on_load=ReferralState.on_enter)
app.add_page(partner_page, route=routes.PARTNER, title="合作机构工作台", on_load=PartnerState.on_enter)
# 统一监测预警: the inbox before its dynamic route, then the department file import.
app.add_page(warnings_page, route=routes.WARNINGS, title="监测预警", on_load=WarningListState.on_enter)
app.add_page(warning_page, route=routes.WARNING, title="预警处置", on_load=WarningState.on_enter)
app.add_page(monitoring_import_page, route=routes.MONITORING_IMPORT, title="数据比对导入",
             on_load=MonitoringImportState.on_enter)
# Monthly reporting: the report with its archive, and the county leaders' summary.
app.add_page(reports_page, route=routes.REPORTS, title="月度报告", on_load=ReportsState.on_enter)
app.add_page(summary_page, route=routes.SUMMARY, title="领导驾驶舱", on_load=SummaryState.on_enter)
# The low-code pages, one set for every declared resource.
app.add_page(resource_list_page, route=routes.RESOURCE_LIST, title="数据管理",
             on_load=ResourceListState.on_enter)
app.add_page(resource_record_page, route=routes.RESOURCE_RECORD, title="数据管理",
             on_load=[ResourceRecordState.on_enter, ResourceFormState.on_enter])
app.add_page(resource_edit_page, route=routes.RESOURCE_EDIT, title="数据管理",
             on_load=ResourceFormState.on_enter)
