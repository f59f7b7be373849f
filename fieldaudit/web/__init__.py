"""The web layer: one blueprint per user-facing area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint on ``app``."""
