"""One read-only view over a JSON object or an XML element with the same key names.

LEGISinfo serves the same per-bill schema as JSON and as XML. In JSON, lists are
arrays and missing values ``null``; in XML, lists are repeated elements with no
wrapper and missing values empty elements. Writing the bill mapping once against
``Node`` makes the two formats parse to equal records by construction.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import Any

from lxml import etree

from openpolicy.sources._parsing import clean, parse_bool, parse_datetime, parse_int, xpath_of
from openpolicy.sources.errors import SourceFormatError


class Node(ABC):
    """A JSON object or XML element read by key; typed getters raise located errors."""

    url: str

    @abstractmethod
    def text(self, key: str) -> str | None:
        """The scalar at ``key``, whitespace-collapsed; None when missing, null or empty."""

    @abstractmethod
    def child(self, key: str) -> Node | None:
        """The object at ``key``, or None."""

    @abstractmethod
    def children(self, key: str) -> list[Node]:
        """The list at ``key`` (JSON array / repeated XML elements); [] when missing."""

    @abstractmethod
    def where(self, key: str | None = None) -> str:
        """A path to this node (or its ``key``) for error messages."""

    def error(self, key: str | None, problem: str) -> SourceFormatError:
        return SourceFormatError(self.url, problem, path=self.where(key))

    def first_text(self, *keys: str) -> str | None:
        """The first non-empty value among alternative key names (tolerant readers)."""
        for key in keys:
            value = self.text(key)
            if value is not None:
                return value
        return None

    def required(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise self.error(key, f"required field {key} is missing or empty")
        return value

    def integer(self, key: str) -> int | None:
        try:
            return parse_int(self.text(key))
        except ValueError:
            raise self.error(key, f"{key} is not an integer: {self.text(key)!r}") from None

    def required_integer(self, key: str) -> int:
        value = self.integer(key)
        if value is None:
            raise self.error(key, f"required field {key} is missing or empty")
        return value

    def boolean(self, key: str) -> bool | None:
        try:
            return parse_bool(self.text(key))
        except ValueError:
            raise self.error(key, f"{key} is not true/false: {self.text(key)!r}") from None

    def timestamp(self, key: str) -> dt.datetime | None:
        try:
            return parse_datetime(self.text(key))
        except ValueError:
            raise self.error(key, f"{key} is not an ISO date-time: {self.text(key)!r}") from None


class JsonNode(Node):
    """A JSON object, with a ``$[0].Key[2]`` style path."""

    def __init__(self, data: dict[str, Any], url: str, path: str = "$") -> None:
        self.data = data
        self.url = url
        self.path = path

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, int | float):
            return str(value)
        raise self.error(key, f"{key} should be a single value, got {type(value).__name__}")

    def child(self, key: str) -> Node | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(key, f"{key} should be an object, got {type(value).__name__}")
        return JsonNode(value, self.url, f"{self.path}.{key}")

    def children(self, key: str) -> list[Node]:
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            raise self.error(key, f"{key} should be a list, got {type(value).__name__}")
        nodes: list[Node] = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise SourceFormatError(
                    self.url,
                    f"list items should be objects, got {type(item).__name__}",
                    path=f"{self.path}.{key}[{index}]",
                )
            nodes.append(JsonNode(item, self.url, f"{self.path}.{key}[{index}]"))
        return nodes

    def where(self, key: str | None = None) -> str:
        return f"{self.path}.{key}" if key else self.path


class XmlNode(Node):
    """An XML element whose children are the keys."""

    def __init__(self, element: etree._Element, url: str) -> None:
        self.element = element
        self.url = url

    def text(self, key: str) -> str | None:
        found = self.element.find(key)
        if found is None:
            return None
        return clean(found.text)

    def child(self, key: str) -> Node | None:
        found = self.element.find(key)
        if found is None or len(found) == 0:
            return None  # <SenatePreStudyCommitteeDetails /> is XML's null
        return XmlNode(found, self.url)

    def children(self, key: str) -> list[Node]:
        # An empty element (<Speeches />) is XML's empty list or null, not an item.
        return [XmlNode(found, self.url) for found in self.element.iterfind(key) if len(found)]

    def where(self, key: str | None = None) -> str:
        return xpath_of(self.element, key)
