"""The list of applications (both intake tracks), drawn by the generic list page.

Read-only here: an application is created through the online page, the station form or
the import, and moves only by the steps of its track on its own page (/applications/<id>),
so the generic create/edit/delete are granted to nobody.
"""

from sqlmodel import col, or_

from .. import routes
from ..db.tables import Application
from ..domain import intake
from ..domain.areas import VILLAGE
from ..domain.permissions import CASEWORKERS, REVEALERS
from .spec import Field, Resource, Roles

STATES = {code: step.label for track in intake.TRACKS.values() for code, step in track.steps.items()}
DECISIONS = {"": "未决定", "approved": "认定/纳入", "refused": "不予认定"}


class ApplicationHooks:
    @staticmethod
    def detail_href(key: str) -> str:
        return routes.application(key)

    @staticmethod
    def create_href() -> str:
        return routes.APPLICATION_NEW

    @staticmethod
    def create_action() -> str:
        # the "new" button opens the station form, which its own service guards
        return "application.create"

    @staticmethod
    def search_clause(term: str):
        """A tracking number, an applicant's name, or an applicant's whole ID number."""
        return or_(col(Application.tracking_no) == term.upper(),
                   col(Application.applicant_name).contains(term, autoescape=True),
                   col(Application.applicant_id_number) == term.upper())


RESOURCE = Resource(
    name="applications",
    label="申请",
    description="网上申请、窗口代办和外部导入的救助申请及防返贫监测线索：一次申请，按类别认定。",
    model=Application,
    fields=(
        Field("tracking_no", "受理编号", in_form=False),
        Field("track", "业务", kind="choice", choices=intake.TRACK_LABELS, in_form=False),
        Field("channel", "渠道", kind="choice", choices=intake.CHANNEL_LABELS, in_form=False),
        Field("applicant_name", "申请人", in_form=False),
        Field("applicant_id_number", "身份证号", masked="id_number", in_form=False),
        Field("area_code", "村（社区）", kind="area", area_levels=(VILLAGE,), in_form=False),
        Field("state", "当前环节", kind="choice", choices=STATES, in_form=False),
        Field("due_on", "本环节时限", kind="date", in_form=False),
        Field("staff_relative", "近亲属备案", kind="bool", in_form=False),
        Field("green_channel", "绿色通道", kind="bool", in_form=False),
        Field("decision", "结论", kind="choice", choices=DECISIONS, in_form=False),
    ),
    list_columns=("tracking_no", "track", "applicant_name", "area_code", "state", "due_on",
                  "staff_relative", "decision"),
    filters=("track", "state", "area_code", "channel", "staff_relative", "decision"),
    search_fields=("applicant_name",),
    search_help="受理编号、申请人姓名或完整身份证号",
    sortable=("tracking_no", "due_on", "area_code", "state"),
    default_sort="due_on",
    area_field="area_code",
    audit_entity="application",
    roles=Roles(read=CASEWORKERS, export=REVEALERS, reveal=REVEALERS),
    hooks=ApplicationHooks(),
)
