"""The real portal (reflex.testing.AppHarness: backend + Vite dev frontend) on a fresh
SQLite database with the demo county, driven by Playwright in Debian's headless Chromium."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def portal_db(tmp_path_factory):
    from lowincome_portal.db import migrations
    from lowincome_portal.db.engine import engine_for
    from lowincome_portal.db.uow import unit_of_work
    from lowincome_portal.demo.seed import seed_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'portal.db'}"
    migrations.upgrade(url)
    with unit_of_work(engine_for(url)) as session:
        seed_demo(session)
    return url


@pytest.fixture(scope="session")
def portal_url(portal_db):
    from reflex.testing import AppHarness

    if not shutil.which("bun"):
        pytest.fail("bun is not on PATH: run the tests through scripts/test.sh")
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = portal_db
    try:
        with AppHarness.create(root=ROOT, app_name="lowincome_portal") as harness:
            yield harness.frontend_url.rstrip("/")
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


@pytest.fixture(scope="session")
def chromium_browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run the tests through scripts/test.sh")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def new_page(chromium_browser, request):
    """new_page() -> a page in a fresh browser context (its own cookies), 1366x768.
    When the test fails, each page's last screen is saved to test-artifacts/failed-*.png."""
    contexts = []

    def make():
        context = chromium_browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for i, context in enumerate(contexts):
        if getattr(request.node, "failed_call", False):
            for page in context.pages:
                screenshot(page, f"failed-{request.node.name}-{i}")
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
