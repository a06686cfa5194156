"""Every page of the app builds its component tree (a wrong prop fails here in a second,
not minutes later when the browser tests compile the frontend)."""

import pytest

from lowincome_portal.lowincome_portal import app

PAGES = dict(app._unevaluated_pages)


@pytest.mark.parametrize("route", sorted(PAGES))
def test_page_builds(route):
    page = PAGES[route]
    component = page.component() if callable(page.component) else page.component
    assert component is not None
