"""The low-code layer: every table the portal manages through generated pages, by name.

To add a simple table: a SQLModel table, an Alembic migration, a declaration module here
with `RESOURCE = Resource(...)`, and its name in `_MODULES`. No page code.
"""

from importlib import import_module

from ..domain.errors import NotFound
from .spec import Field, Resource, Roles

_MODULES = ("households", "applications", "stations", "organisations", "parameters", "areas",
            "data_sources", "source_columns", "warning_rules", "warning_thresholds")

REGISTRY: dict[str, Resource] = {}
for _module in _MODULES:
    _resource = import_module(f"{__name__}.{_module}").RESOURCE
    REGISTRY[_resource.name] = _resource


def get_resource(name: str) -> Resource:
    try:
        return REGISTRY[name]
    except KeyError:
        raise NotFound("没有这个数据表") from None


__all__ = ["REGISTRY", "Field", "Resource", "Roles", "get_resource"]
