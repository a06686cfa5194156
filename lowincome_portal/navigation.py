"""The navigation menu as data: a label, a route and the action that must be allowed.
The menu a user sees is this list filtered by `permissions.can`."""

from . import resources  # noqa: F401 - registers the resources' actions before menus are drawn
from . import routes
from .domain.permissions import Actor, can

MENU = (
    ("首页", routes.HOME, "home.view"),
    ("我的待办", routes.TASKS, "worklist.view"),
    ("家庭档案", routes.HOUSEHOLDS, "households.read"),
    ("救助申请", routes.APPLICATION_LIST, "applications.read"),
    ("窗口受理", routes.APPLICATION_NEW, "application.create"),
    ("申请导入", routes.APPLICATION_IMPORT, "application.import"),
    ("公示公开", routes.NOTICES, "application.notice"),
    ("联席会议", routes.MEETINGS, "meeting.view"),
    ("转介帮扶", routes.REFERRALS, "referral.view"),
    ("监测预警", routes.WARNINGS, "warning.view"),
    ("数据比对", routes.MONITORING_IMPORT, "monitoring.import"),
    ("月度报告", routes.REPORTS, "report.view"),
    ("领导驾驶舱", routes.SUMMARY, "summary.view"),
    ("机构工作台", routes.PARTNER, "partner.portal"),
    ("批量导入", routes.REGISTRY_IMPORT, "registry.import"),
    ("服务站点", routes.STATIONS, "stations.read"),
    ("合作机构", routes.ORGANISATIONS, "organisations.read"),
    ("政策参数", routes.PARAMETERS, "parameters.read"),
    # the monitoring declarations are the admin's to edit (staff may still read them at /r/...)
    ("预警规则", routes.resource_list("warning_rules"), "warning_rules.edit"),
    ("预警阈值", routes.resource_list("warning_thresholds"), "warning_thresholds.edit"),
    ("数据来源", routes.resource_list("data_sources"), "data_sources.edit"),
    ("数据列映射", routes.resource_list("source_columns"), "source_columns.edit"),
    ("区划管理", routes.AREAS, "areas.read"),
    ("账号管理", routes.USERS, "user.view"),
    ("审计日志", routes.AUDIT, "audit.view"),
    ("修改密码", routes.PASSWORD, "account.password"),
)


def menu_for(actor: Actor) -> list[dict[str, str]]:
    return [{"label": label, "href": href} for label, href, action in MENU if can(actor, action)]
