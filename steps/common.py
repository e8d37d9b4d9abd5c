"""Helpers and steps every area shares."""

from __future__ import annotations


def number_list(text: str) -> list[str]:
    """'+861, +862' -> ['+861', '+862']: how steps write several recipients."""
    return [n.strip() for n in text.split(",") if n.strip()]
