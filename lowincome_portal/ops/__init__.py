"""Operator tasks run from the command line (backup and restore), with no Reflex import."""

from ..domain.errors import PortalError


class BackupRefused(PortalError):
    """A backup or restore that was not done; the message says why, and that nothing changed."""

    default_message = "备份或恢复未完成，数据库未做任何修改"
