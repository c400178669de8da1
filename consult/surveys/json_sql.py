"""Reading survey answers (JSON) inside SQL, the same way on SQLite and PostgreSQL.

The summary report groups answers in the database; these helpers extract an
answer's scalar, its choice, its number, and expand its lists and objects into
rows (json_each on SQLite; jsonb_array_elements_text / jsonb_each_text on
PostgreSQL). Every expansion is guarded by the JSON type, so a value of an
unexpected shape yields no rows instead of an error.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, Numeric, Text, case, cast, func, literal_column
from sqlalchemy.sql.elements import ColumnElement

# The decimal numbers answers store ("12", "-3.5"); anything else is left out rather than failing the cast.
_DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


class JsonSql:
    """JSON extraction for one SQL dialect ("sqlite" or "postgresql")."""

    def __init__(self, dialect: str) -> None:
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"Unsupported database dialect: {dialect}")
        self.postgres = dialect == "postgresql"

    def json_type(self, value) -> ColumnElement[str]:
        """'array', 'object', 'string', 'number' or another JSON type name (SQLite's names mapped to these)."""
        if self.postgres:
            return func.jsonb_typeof(value)
        raw = func.json_type(value)
        return case((raw == "text", "string"), (raw.in_(("integer", "real")), "number"), else_=raw)

    def scalar_text(self, value) -> ColumnElement[str]:
        """A JSON string or number as text ('abc', '3'); NULL for lists and objects."""
        if self.postgres:
            return case((func.jsonb_typeof(value).in_(("string", "number")), value.op("#>>", return_type=Text)(
                literal_column("'{}'::text[]"))))
        return case((func.json_type(value).in_(("text", "integer", "real")),
                     cast(func.json_extract(value, "$"), Text)))

    def field_text(self, value, name: str) -> ColumnElement[str]:
        """The text of an object's field; NULL when the value is not an object."""
        if self.postgres:
            return case((func.jsonb_typeof(value) == "object", value[name].as_string()))
        return case((func.json_type(value) == "object", cast(func.json_extract(value, f"$.{name}"), Text)))

    def choice_code(self, value) -> ColumnElement[str]:
        """A single choice: the option code, or the "choice" of {"choice": "other", "other": "..."}."""
        return case((self.json_type(value) == "object", self.field_text(value, "choice")),
                    else_=self.scalar_text(value))

    def number(self, value) -> ColumnElement:
        """A scale (JSON number) or number (decimal string) answer as a number; NULL when it is not one."""
        text = self.scalar_text(value)
        if self.postgres:
            return case((text.op("~")(_DECIMAL_PATTERN), cast(text, Numeric)))
        return case((func.json_type(value).in_(("integer", "real", "text")), cast(text, Float)))

    # --- Expansion into rows -------------------------------------------------------------

    def _array_of(self, value, list_field: str | None):
        """The value itself when it is an array, its `list_field` when it is an object, else an empty array."""
        if self.postgres:
            kind = func.jsonb_typeof(value)
            whens = [(kind == "array", value)]
            if list_field:
                whens.append((kind == "object", value[list_field]))
            return case(*whens, else_=literal_column("'[]'::jsonb"))
        kind = func.json_type(value)
        whens = [(kind == "array", value)]
        if list_field:
            whens.append((kind == "object", func.json_extract(value, f"$.{list_field}")))
        return case(*whens, else_=literal_column("'[]'"))

    def array_elements(self, value, list_field: str | None = None):
        """A table of the list's items: columns `item` (text) and `place` (1 for the first item).

        `list_field` also expands objects holding the list under that key
        (multiple choice with "Other": {"choices": [...], "other": "..."}).
        Join it to the answers with `.join(elements, true())`.
        """
        array = self._array_of(value, list_field)
        if self.postgres:
            table = func.jsonb_array_elements_text(array).table_valued("value", with_ordinality="ordinality")
            return _Expansion(table, item=table.c.value, place=table.c.ordinality, key=None)
        table = func.json_each(array).table_valued("key", "value")
        return _Expansion(table, item=cast(table.c.value, Text), place=cast(table.c.key, Integer) + 1, key=None)

    def object_entries(self, value):
        """A table of an object's entries: `key` and `item` (the value as text). For matrix answers {row: column}."""
        if self.postgres:
            guarded = case((func.jsonb_typeof(value) == "object", value), else_=literal_column("'{}'::jsonb"))
            table = func.jsonb_each_text(guarded).table_valued("key", "value")
            return _Expansion(table, item=table.c.value, place=None, key=table.c.key)
        guarded = case((func.json_type(value) == "object", value), else_=literal_column("'{}'"))
        table = func.json_each(guarded).table_valued("key", "value")
        return _Expansion(table, item=cast(table.c.value, Text), place=None, key=cast(table.c.key, Text))


class _Expansion:
    """A table-valued function and the columns worth selecting from it."""

    def __init__(self, table, item, place, key) -> None:
        self.table = table
        self.item = item
        self.place = place
        self.key = key


def json_sql_for(session) -> JsonSql:
    return JsonSql(session.get_bind().dialect.name)
