"""Partner organisations (charities, social organisations, departments)."""

from sqlmodel import Session

from ..db.tables import Organisation


def organisation_name(session: Session, org_id: int | None) -> str:
    if org_id is None:
        return ""
    org = session.get(Organisation, org_id)
    return org.name if org else ""
