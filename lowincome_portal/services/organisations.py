"""Partner organisations (charities, social organisations, departments)."""

from sqlmodel import Session

from ..db.tables import Organisation

KIND_LABELS = {"charity": "慈善组织", "social_org": "社会组织", "department": "政府部门"}


def organisation_name(session: Session, org_id: int | None) -> str:
    if org_id is None:
        return ""
    org = session.get(Organisation, org_id)
    return org.name if org else ""
