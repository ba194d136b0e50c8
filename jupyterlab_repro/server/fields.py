"""The shape of every request: one small schema per route's body and query.

A handler declares what it reads (``BODY = {"path": Path(), "message":
Text(required=True, multiline=True, max_length=MAX_MESSAGE), …}``) and gets
back a dict of checked values; anything else answers 400 with a message
naming the field, before any work starts. Hand-written rather than a schema
library: a dozen field kinds, no import cost, messages in the product's words.
Unknown keys are ignored (older and newer clients keep working).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidRequest
from ..files import check_api_path
from ..inputs import MAX_LINE, check_text


class Field:
    """One value of a body or query; :meth:`parse` returns it checked or raises."""

    required: bool = False

    def parse(self, key: str, value: Any) -> Any:
        raise NotImplementedError

    @property
    def default(self) -> Any:
        return None

    def from_query(self, values: list[str]) -> Any:
        """A query argument given ``len(values)`` times (the last one wins for single values)."""
        return values[-1]


@dataclass(frozen=True)
class Text(Field):
    """A string; empty counts as absent unless ``keep_empty``."""

    required: bool = False
    max_length: int = MAX_LINE
    multiline: bool = False
    keep_empty: bool = False
    default_value: str | None = None

    def parse(self, key: str, value: Any) -> Any:
        if value is None:
            return self.default
        text = check_text(value, key, max_length=self.max_length, multiline=self.multiline)
        if not text and not self.keep_empty:
            return self.default
        return text

    @property
    def default(self) -> Any:
        return self.default_value


@dataclass(frozen=True)
class PathText(Field):
    """An API path (``/``-separated, relative to the server root); confined by the handler."""

    required: bool = False
    default_value: str | None = ""

    def parse(self, key: str, value: Any) -> Any:
        if value is None:
            return self.default
        if not isinstance(value, str):
            raise InvalidRequest(f"'{key}' must be a string.")
        check_api_path(value)
        return value

    @property
    def default(self) -> Any:
        return self.default_value


@dataclass(frozen=True)
class Bool(Field):
    default_value: bool = False

    def parse(self, key: str, value: Any) -> Any:
        if value is None:
            return self.default
        if not isinstance(value, bool):
            raise InvalidRequest(f"'{key}' must be true or false.")
        return value

    @property
    def default(self) -> Any:
        return self.default_value


@dataclass(frozen=True)
class Int(Field):
    minimum: int = 1
    maximum: int = 1000
    default_value: int | None = None

    def parse(self, key: str, value: Any) -> Any:
        if value is None:
            return self.default
        if isinstance(value, str):  # a query argument
            if not value.strip().lstrip("-").isdigit() or len(value) > 20:
                raise InvalidRequest(f"'{key}' must be an integer.")
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRequest(f"'{key}' must be an integer.")
        if not self.minimum <= value <= self.maximum:
            raise InvalidRequest(f"'{key}' must be between {self.minimum} and {self.maximum}.")
        return value

    @property
    def default(self) -> Any:
        return self.default_value


@dataclass(frozen=True)
class Number(Field):
    """A finite JSON number (an integer counts) between ``minimum`` and ``maximum``."""

    minimum: float = 0.0
    maximum: float = 1e9
    default_value: float | None = None

    def parse(self, key: str, value: Any) -> Any:
        if value is None:
            return self.default
        if isinstance(value, str):  # a query argument
            try:
                value = float(value) if len(value) <= 40 else None
            except ValueError:
                value = None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidRequest(f"'{key}' must be a number.")
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            raise InvalidRequest(
                f"'{key}' must be between {self.minimum:g} and {self.maximum:g}."
            ) from None
        if not self.minimum <= number <= self.maximum:  # NaN fails too
            raise InvalidRequest(f"'{key}' must be between {self.minimum:g} and {self.maximum:g}.")
        return number

    @property
    def default(self) -> Any:
        return self.default_value


@dataclass(frozen=True)
class Texts(Field):
    """A list of strings (a JSON array, or a repeated query argument)."""

    max_items: int = 1000
    item: Field = Text(keep_empty=True)

    def parse(self, key: str, value: Any) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            raise InvalidRequest(f"'{key}' must be a list of strings.")
        if len(value) > self.max_items:
            raise InvalidRequest(f"'{key}' holds more than {self.max_items} items.")
        out = []
        for item in value:
            if not isinstance(item, str):
                raise InvalidRequest(f"'{key}' must be a list of strings.")
            out.append(self.item.parse(key, item))
        return out

    def from_query(self, values: list[str]) -> Any:
        return values


#: Every route's ``path``: an API path inside the server root; omitted or empty, the root itself
#: (``ReproHandler.target`` reads it; a route declaring another ``path`` field does not import).
PATH = PathText()
#: A path's longest form, for fields that hold several.
PATHS = Texts(item=PathText(), max_items=1000)


def parse_fields(spec: Mapping[str, Field], values: Mapping[str, Any]) -> dict[str, Any]:
    """The checked values of ``spec``'s keys in ``values`` (a JSON body, or query arguments)."""
    out: dict[str, Any] = {}
    for key, field in spec.items():
        value = values.get(key)
        if value is None and field.required:
            raise InvalidRequest(f"'{key}' is required.")
        out[key] = field.parse(key, value)
        if out[key] is None and field.required:
            raise InvalidRequest(f"'{key}' must not be empty.")
    return out
