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
    )
}
