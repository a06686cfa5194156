from sqlmodel import Field, SQLModel


class ServiceStation(SQLModel, table=True):
    """社会救助服务联合站 (township) or 服务点 (village): where residents apply in person."""

    __tablename__ = "service_station"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    level: str = Field(max_length=16)  # station | point
    area_code: str = Field(foreign_key="area.code", max_length=12, index=True)
    address: str = Field(default="", max_length=200)
    contact_person: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=30)
    opening_hours: str = Field(default="", max_length=100)
    active: bool = Field(default=True)
