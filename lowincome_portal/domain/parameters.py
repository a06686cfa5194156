"""The catalogue of policy parameters: what each code means and the default a new
county starts from. The numbers in force live in the policy_parameter table with
effective dates and are edited by the county admin; these defaults only seed it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class ParameterSpec:
    code: str
    label: str
    unit: str
    default: Decimal
    default_from: date = date(2025, 1, 1)


CATALOGUE: dict[str, ParameterSpec] = {
    spec.code: spec
    for spec in (
        ParameterSpec("session_idle_minutes", "无操作自动退出时间", "分钟", Decimal(30)),
        ParameterSpec("login_max_failures", "密码连续错误锁定次数", "次", Decimal(5)),
        ParameterSpec("login_lockout_minutes", "账号锁定时长", "分钟", Decimal(15)),
        # The means test (domain/means_test.py). Defaults are a rural Chongqing-like demo, not
        # official figures; each is the latest value of the demo series (demo/policy_series.py),
        # dated so that seeding both never gives one date two values.
        ParameterSpec("dibao_standard_monthly", "农村低保标准", "元/人·月", Decimal("630"), date(2025, 7, 1)),
        ParameterSpec("edge_multiplier", "低保边缘收入倍数（低保标准的倍数）", "倍", Decimal("1.5")),
        ParameterSpec("rigid_share", "刚性支出占家庭收入比例", "比例（0-1）", Decimal("0.7")),
        ParameterSpec("income_reference_annual", "上年度当地农村居民人均可支配收入", "元/人·年",
                      Decimal("22131")),
        ParameterSpec("monitoring_line_annual", "防返贫监测收入线", "元/人·年", Decimal("7300")),
        # 24 months of the 630-yuan standard, a common local rule of thumb for deposits.
        ParameterSpec("deposit_limit_per_capita", "人均存款限额", "元/人", Decimal("15120")),
        ParameterSpec("vehicle_limit", "机动车辆限额", "辆", Decimal(0)),
        ParameterSpec("extra_house_limit", "自住房以外房产限额", "套", Decimal(0)),
        ParameterSpec("business_limit", "登记经营主体限额", "个", Decimal(0)),
        ParameterSpec("visit_recent_days", "近期走访提醒天数", "天", Decimal(30)),
        # Intake clocks (domain/intake.py): each step's time limit from the day the case entered it.
        ParameterSpec("deadline_accept_days", "受理时限（网上申请待受理）", "工作日", Decimal(3)),
        ParameterSpec("deadline_data_check_days", "信息比对时限", "工作日", Decimal(5)),
        ParameterSpec("deadline_investigation_days", "入户调查时限", "工作日", Decimal(15)),
        ParameterSpec("deadline_preliminary_review_days", "乡镇初审时限", "工作日", Decimal(5)),
        ParameterSpec("deadline_notice_stage_days", "公示环节时限（含张贴与公示期）", "工作日", Decimal(10)),
        ParameterSpec("notice_days", "公示期", "天", Decimal(7)),
        ParameterSpec("deadline_county_review_days", "县级审核确认时限", "工作日", Decimal(10)),
        ParameterSpec("deadline_result_notice_days", "结果告知（不予认定书面通知）时限", "工作日", Decimal(3)),
        ParameterSpec("deadline_lead_days", "监测线索处置时限", "工作日", Decimal(2)),
        ParameterSpec("deadline_household_check_days", "监测入户核实时限", "工作日", Decimal(3)),
        ParameterSpec("deadline_appraisal_stage_days", "民主评议及公示环节时限", "工作日", Decimal(6)),
        ParameterSpec("monitoring_notice_days", "民主评议公示期", "天", Decimal(5)),
        ParameterSpec("deadline_township_review_days", "监测乡镇审核时限", "工作日", Decimal(2)),
        ParameterSpec("deadline_county_decision_days", "监测县级确定时限", "工作日", Decimal(2)),
        ParameterSpec("due_soon_working_days", "待办临期提醒", "工作日", Decimal(2)),
        # Reviews after a decision (复核) and how early they appear on work lists.
        ParameterSpec("review_months_dibao", "低保复核周期", "月", Decimal(12)),
        ParameterSpec("review_months_unstable", "收入不稳定家庭低保复核周期", "月", Decimal(6)),
        ParameterSpec("review_months_tekun", "特困复核周期", "月", Decimal(12)),
        ParameterSpec("rigid_hardship_months", "刚性支出困难认定有效期", "月", Decimal(12)),
        ParameterSpec("review_lead_days", "复核任务提前提醒", "天", Decimal(30)),
        # The online channel: submissions one client may make per hour.
        ParameterSpec("online_applications_per_hour", "网上申请每客户端每小时限额", "次", Decimal(5)),
        # Referrals (分类救助帮扶): claim and delivery deadlines, and when a need counts as missed (不漏).
        ParameterSpec("referral_claim_days", "转介事项认领时限", "工作日", Decimal(3)),
        ParameterSpec("referral_delivery_days", "转介事项办结时限", "工作日", Decimal(15)),
        ParameterSpec("referral_urgent_delivery_days", "紧急转介事项办结时限", "工作日", Decimal(3)),
        ParameterSpec("need_response_days", "需求无响应提醒（不漏）", "天", Decimal(7)),
        # 统一监测预警: each step of a warning's loop, from the day it entered the step.
        ParameterSpec("warning_verify_days", "预警核查时限（待核查至指派核查）", "工作日", Decimal(3)),
        ParameterSpec("warning_handle_days", "预警处置时限（核查中至已处置）", "工作日", Decimal(10)),
        ParameterSpec("warning_feedback_days", "预警反馈时限（已处置至已反馈）", "工作日", Decimal(5)),
        ParameterSpec("status_lookup_failures_per_hour", "进度查询每客户端每小时失败上限", "次", Decimal(10)),
    )
}
