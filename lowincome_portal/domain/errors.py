"""Errors a user can cause. Each carries a Chinese message that the page shows as is.

Anything else that goes wrong is a bug: it is logged with context and the user sees a
generic message (see state/base.py).
"""


class PortalError(Exception):
    """A user-facing refusal. Raising it inside a unit of work rolls the change back."""

    default_message = "操作未完成"

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


class ValidationError(PortalError):
    default_message = "输入有误，请检查后重试"


class PermissionDenied(PortalError):
    default_message = "您没有执行此操作的权限"


class NotFound(PortalError):
    default_message = "记录不存在或已被删除"


class FormErrors(ValidationError):
    """Several fields are wrong at once: `fields` maps each field to its message, so a form
    can show every message beside its field; `message` lists them all."""

    def __init__(self, fields: dict[str, str]):
        self.fields = dict(fields)
        super().__init__("；".join(self.fields.values()))
