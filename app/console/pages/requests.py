"""A rights request: its timeline, deadline, the actions the workflow allows, letters."""

from __future__ import annotations

from app.console.routing import page_router

router = page_router()
