"""The registry list: households, drawn by the generic list page.

A household's own page (members, economic status, tags, visits, timeline) is the
household page at /households/<id>; new households are entered with their head on
/households/new. Basic facts (address, phone, bank account, status) are edited through
the generic form, which hands the change to the registry service.
"""

import re

from sqlmodel import col, or_, select

from .. import routes
from ..db.tables import Household, Member
from ..domain import registry as codes
from ..domain.areas import VILLAGE
from ..domain.permissions import CASEWORKERS, REVEALERS
from .spec import Field, Resource, Roles

_ID_LIKE = re.compile(r"^[0-9]{6,17}[0-9Xx]$")


class HouseholdHooks:
    @staticmethod
    def detail_href(key: str) -> str:
        return routes.household(key)

    @staticmethod
    def create_href() -> str:
        return routes.HOUSEHOLD_NEW

    @staticmethod
    def search_clause(term: str):
        """An ID number (whole) finds the household of any member; otherwise names and address."""
        if _ID_LIKE.match(term) and len(term) == 18:
            return col(Household.id).in_(
                select(Member.household_id).where(Member.id_number == term.upper(), Member.active))
        return or_(
            col(Household.head_name).contains(term, autoescape=True),
            col(Household.address).contains(term, autoescape=True),
            col(Household.id).in_(select(Member.household_id).where(Member.name == term, Member.active)),
        )

    @staticmethod
    def save_changes(session, actor, row, values):
        from ..services import households

        households.update_household(session, actor=actor, household_id=row.id, changes=values)


RESOURCE = Resource(
    name="households",
    label="家庭档案",
    description="统一登记的农村低收入人口家庭。民政和农业农村部门共用一份数据，一次采集、各方共享。",
    model=Household,
    fields=(
        Field("head_name", "户主", in_form=False),
        Field("head_id_number", "户主身份证号", masked="id_number", in_form=False),
        Field("area_code", "所在村（社区）", kind="area", required=True, area_levels=(VILLAGE,)),
        Field("address", "家庭住址", max_length=200),
        Field("phone", "联系电话", kind="phone", masked="phone"),
        Field("bank_name", "开户银行", max_length=60),
        Field("bank_account", "银行账号", masked="bank_account", max_length=40,
              help="用于发放救助金，12-30 位数字"),
        Field("member_count", "家庭人口", kind="int", in_form=False),
        Field("current_tags", "对象类别", kind="choice", choices=codes.TAG_LABELS, multiple=True,
              in_form=False),
        # cancelling needs a reason and moves every member out: done on the household page
        Field("status", "状态", kind="choice", choices=codes.HOUSEHOLD_STATUS, in_form=False),
        Field("note", "备注", kind="textarea", max_length=500),
    ),
    list_columns=("head_name", "head_id_number", "area_code", "address", "member_count",
                  "current_tags", "status"),
    filters=("area_code", "current_tags", "status"),
    search_fields=("head_name", "address"),
    search_help="户主或成员姓名、完整身份证号、住址",
    sortable=("head_name", "area_code", "member_count"),
    default_sort="area_code",
    area_field="area_code",
    audit_entity="household",
    roles=Roles(read=CASEWORKERS, create=CASEWORKERS, edit=CASEWORKERS, delete=(),
                export=REVEALERS, reveal=REVEALERS),
    hooks=HouseholdHooks(),
)
