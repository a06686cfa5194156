"""Several-codes fields (`multiple=True`) in the generic form: the county ticks several
assistance kinds and townships for a partner; codes are checked, kept in the options' order
and stored " a b ", and "none ticked" clears the list while "not offered" keeps it."""

import pytest
from sqlmodel import Session, select

from lowincome_portal.db.tables import AuditEntry, Organisation
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain import referrals as referral_rules
from lowincome_portal.domain.errors import ValidationError
from lowincome_portal.pages.resources.form import _changed
from lowincome_portal.services import resources as svc

XINMIN, SHAPING = "500231100000", "500231101000"
CHARITY = "垫江县慈善会"  # seeded offering charity_aid, temporary and education, the whole county


def charity_key(engine) -> str:
    with Session(engine) as s:
        return str(s.exec(select(Organisation.id).where(Organisation.name == CHARITY)).one())


def stored(engine, key) -> tuple[str, str]:
    with Session(engine) as s:
        row = s.get(Organisation, int(key))
        return row.assistance_kinds, row.areas_served


def form(engine, actor, key) -> dict[str, dict]:
    with Session(engine) as s:
        return {f["name"]: f for f in svc.form_fields(s, actor=actor, name="organisations", key=key)}


def submitted(fields: dict[str, dict], **ticked) -> dict:
    """What the form page sends: the ticked codes as a list, and has_<name> for each group."""
    raw = {k: (f["selected"] if f["multiple"] else f["value"]) for k, f in fields.items()}
    raw.update({f"has_{k}": "1" for k, f in fields.items() if f["multiple"]})
    raw.update(ticked)
    return raw


def test_form_fields_report_multiple_and_the_selected_codes(engine, actor_of):
    fields = form(engine, actor_of("minzheng"), charity_key(engine))
    kinds = fields["assistance_kinds"]
    assert kinds["multiple"] is True
    assert kinds["selected"] == ["temporary", "education", "charity_aid"]  # the options' order
    assert kinds["value"].split() == kinds["selected"]
    assert [o["value"] for o in kinds["options"]] == list(referral_rules.ASSISTANCE_KINDS)
    assert fields["areas_served"]["multiple"] is True and fields["areas_served"]["selected"] == []
    assert {o["value"] for o in fields["areas_served"]["options"]} >= {XINMIN, SHAPING}
    assert fields["name"]["multiple"] is False and fields["name"]["selected"] == []


def test_ticking_two_kinds_and_two_townships_stores_both(engine, actor_of):
    county, key = actor_of("minzheng"), charity_key(engine)
    raw = submitted(form(engine, county, key), assistance_kinds=["education", "medical"],
                    areas_served=[SHAPING, XINMIN])
    with unit_of_work(engine) as s:
        svc.update(s, actor=county, name="organisations", key=key, raw=raw)
    assert stored(engine, key) == (" medical education ", f" {XINMIN} {SHAPING} ")
    assert referral_rules.split_codes(stored(engine, key)[0]) == ["medical", "education"]
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "organisation",
                                                AuditEntry.action == "update")).one()
        shown = {f["name"]: f["value"] for f in svc.detail(s, actor=county, name="organisations",
                                                           key=key)["fields"]}
    assert "medical" in entry.new_values and "charity_aid" in entry.old_values
    assert shown["assistance_kinds"] == "医疗救助、教育救助" and shown["areas_served"] == "新民镇、沙坪镇"
    fields = form(engine, county, key)
    assert fields["assistance_kinds"]["selected"] == ["medical", "education"]
    assert fields["areas_served"]["selected"] == [XINMIN, SHAPING]


@pytest.mark.parametrize("text", ["education medical", "education,medical", "education、medical",
                                  " medical  education ", "medical，education,medical"])
def test_codes_as_text_are_accepted_in_any_separator(engine, actor_of, text):
    county, key = actor_of("minzheng"), charity_key(engine)
    with unit_of_work(engine) as s:
        svc.update(s, actor=county, name="organisations", key=key,
                   raw=submitted(form(engine, county, key), assistance_kinds=text))
    assert stored(engine, key)[0] == " medical education "


def test_unknown_codes_are_refused_by_name_and_nothing_saved(engine, actor_of):
    county, key = actor_of("minzheng"), charity_key(engine)
    before = stored(engine, key)
    for bad, named in ((["medical", "lottery", "casino"], "“lottery、casino”"),
                       ({"areas_served": ["500231100200"]}, "500231100200")):  # a village, not a township
        ticked = bad if isinstance(bad, dict) else {"assistance_kinds": bad}
        with pytest.raises(ValidationError) as err, unit_of_work(engine) as s:
            svc.update(s, actor=county, name="organisations", key=key,
                       raw=submitted(form(engine, county, key), **ticked))
        assert named in err.value.message and "不在可选范围内" in err.value.message
    assert stored(engine, key) == before
    with Session(engine) as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.entity == "organisation",
                                               AuditEntry.action == "update")).all() == []


def test_clearing_every_tick_stores_empty_but_a_field_not_offered_is_kept(engine, actor_of):
    county, key = actor_of("minzheng"), charity_key(engine)
    fields, before = form(engine, county, key), stored(engine, key)
    with unit_of_work(engine) as s:  # not offered (no value, no has_<name>): kept
        raw = submitted(fields)
        for name in ("assistance_kinds", "has_assistance_kinds"):
            raw.pop(name)
        svc.update(s, actor=county, name="organisations", key=key, raw={**raw, "capacity": "5"})
    assert stored(engine, key)[0] == before[0] and before[0].split() == ["charity_aid", "temporary", "education"]
    with unit_of_work(engine) as s:  # offered, none ticked: cleared
        svc.update(s, actor=county, name="organisations", key=key,
                   raw=submitted(fields, assistance_kinds=[], areas_served=[]))
    assert stored(engine, key) == ("", "")


def test_a_new_partner_gets_its_ticked_codes(engine, actor_of):
    admin = actor_of("admin")
    with unit_of_work(engine) as s:
        key = svc.create(s, actor=admin, name="organisations",
                         raw={"name": "垫江县妇联", "kind": "department", "active": "true",
                              "assistance_kinds": ["social_service", "employment"], "has_assistance_kinds": "1",
                              "areas_served": [], "has_areas_served": "1"})
    assert stored(engine, key) == (" employment social_service ", "")


def test_the_form_page_keeps_ticked_codes_in_the_options_order():
    f = {"name": "assistance_kinds", "multiple": True, "readonly": False, "value": "", "selected": [],
         "options": [{"value": c, "label": l} for c, l in referral_rules.ASSISTANCE_KINDS.items()]}
    for code in ("medical", "temporary", "education"):
        f = _changed(f, code, True)
    f = _changed(f, "medical", False)
    assert f["selected"] == ["temporary", "education"] and f["value"] == "temporary education"
