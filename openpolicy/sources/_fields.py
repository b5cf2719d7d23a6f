"""Typed, located reads of a flat record element (``<VoteParticipant>``, ``<Vote>``…).

The ourcommons feeds are flat: one element per record, one child per field. Reading
the children once into a dict keeps per-record cost low (ballots come by the
million) while every failure still names the element path.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from openpolicy.sources._parsing import (
    child_texts,
    parse_bool,
    parse_datetime,
    parse_int,
    xpath_of,
)
from openpolicy.sources.errors import SourceFormatError
from openpolicy.vocab import Province, province_from_name


class Fields:
    """The children of one record element, by tag."""

    __slots__ = ("element", "url", "values")

    def __init__(self, element: etree._Element, url: str) -> None:
        self.element = element
        self.url = url
        self.values = child_texts(element)

    def error(self, key: str, problem: str) -> SourceFormatError:
        return SourceFormatError(self.url, problem, path=xpath_of(self.element, key))

    def text(self, key: str) -> str | None:
        return self.values.get(key)

    def required(self, key: str) -> str:
        value = self.values.get(key)
        if value is None:
            raise self.error(key, f"required field {key} is missing or empty")
        return value

    def integer(self, key: str) -> int | None:
        try:
            return parse_int(self.values.get(key))
        except ValueError:
            raise self.error(key, f"{key} is not an integer: {self.values[key]!r}") from None

    def required_integer(self, key: str) -> int:
        value = self.integer(key)
        if value is None:
            raise self.error(key, f"required field {key} is missing or empty")
        return value

    def boolean(self, key: str) -> bool | None:
        try:
            return parse_bool(self.values.get(key))
        except ValueError:
            raise self.error(key, f"{key} is not true/false: {self.values[key]!r}") from None

    def timestamp(self, key: str) -> dt.datetime | None:
        try:
            return parse_datetime(self.values.get(key))
        except ValueError:
            raise self.error(key, f"{key} is not an ISO date-time: {self.values[key]!r}") from None

    def day(self, key: str) -> dt.date | None:
        value = self.timestamp(key)
        return value.date() if value is not None else None

    def province(self, key: str) -> Province:
        """A province as printed, as an enum; an unknown name is a format error."""
        name = self.required(key)
        province = province_from_name(name)
        if province is None:
            raise self.error(key, f"unknown province or territory {name!r}")
        return province
