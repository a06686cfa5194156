"""Reflex configuration. Everything deployment-specific comes from the environment:
DATABASE_URL (default: SQLite under data/), REFLEX_REDIS_URL for several workers."""

import os

import reflex as rx

config = rx.Config(
    app_name="lowincome_portal",
    title="农村低收入人口救助帮扶平台",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="red", radius="small"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
    redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
)
