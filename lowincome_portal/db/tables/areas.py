from sqlmodel import Field, SQLModel


class Area(SQLModel, table=True):
    """County, township/street or village/community, by 12-digit administrative code."""

    __tablename__ = "area"

    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=64)
    level: str = Field(max_length=16, index=True)
    parent_code: str | None = Field(default=None, foreign_key="area.code", max_length=12, index=True)
    # Sample areas shipped for the demo county, to be replaced by the county's own list.
    is_sample: bool = Field(default=False)


class Organisation(SQLModel, table=True):
    """A partner that claims referred cases: charity, social organisation or department."""

    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=32)  # charity | social_org | department
    contact_person: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=30)
    active: bool = Field(default=True)
    # what the partner offers and where (space-delimited codes; no areas = the whole county)
    assistance_kinds: str = Field(default="", max_length=300)
    areas_served: str = Field(default="", max_length=500)
    capacity: int | None = Field(default=None)  # referrals it can take on per month
