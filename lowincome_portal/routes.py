"""Every route of the portal, in one place."""

LOGIN = "/login"
HOME = "/"
PASSWORD = "/account/password"
USERS = "/admin/users"
AUDIT = "/admin/audit"
AREAS = "/areas"
