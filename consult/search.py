"""Query helpers for free-text search boxes."""

from sqlalchemy import ColumnElement


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, text: str) -> ColumnElement[bool]:
    """`column` contains `text`, ignoring case, with LIKE wildcards taken literally."""
    return column.ilike(f"%{escape_like(text)}%", escape="\\")
