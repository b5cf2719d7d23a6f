"""Query parameters: one declaration per parameter validates it and documents it in OpenAPI.

Handlers read the query string through `parse()`, never through FastAPI's per-parameter
injection: one pass, unknown parameters rejected, and every error a problem document that
names the parameter and what was expected (400 for a malformed value, 422 for a value out
of range or not one of the choices).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.requests import Request

from openpolicy.errors import BadRequestError, ValidationFailedError
from openpolicy.queries.paging import MAX_LIMIT, PageRequest, SortKey, decode_cursor
from openpolicy.vocab import ascii_int, parse_session_code

Kind = Literal["str", "int", "bool", "date", "datetime", "enum", "session", "list"]


@dataclass(frozen=True)
class Param:
    """One documented query parameter."""

    name: str
    kind: Kind
    description: str
    example: Any = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None
    max_length: int = 200

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any]
        if self.kind == "int":
            schema = {"type": "integer"}
            if self.minimum is not None:
                schema["minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
        elif self.kind == "bool":
            schema = {"type": "boolean"}
        elif self.kind == "date":
            schema = {"type": "string", "format": "date"}
        elif self.kind == "datetime":
            schema = {"type": "string", "format": "date-time"}
        elif self.kind == "enum":
            schema = {"type": "string", "enum": list(self.choices)}
        elif self.kind == "session":
            schema = {"type": "string", "pattern": r"^[0-9]{1,2}-[0-9]$"}
        elif self.kind == "list":
            schema = {"type": "string", "pattern": _list_pattern(self.choices)}
        else:
            schema = {"type": "string", "minLength": 1, "maxLength": self.max_length}
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def openapi(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "name": self.name,
            "in": "query",
            "required": False,
            "description": self.description,
            "schema": self.schema(),
        }
        if self.example is not None:
            described["example"] = self.example
        return described


def _list_pattern(choices: Sequence[str]) -> str:
    alternatives = "|".join(choices)
    return f"^({alternatives})(,({alternatives}))*$"


# --- the common parameters ----------------------------------------------------------------


def limit_param(default: int = 50) -> Param:
    return Param(
        "limit",
        "int",
        f"Items per page, 1 to {MAX_LIMIT}.",
        example=20,
        minimum=1,
        maximum=MAX_LIMIT,
        default=default,
    )


CURSOR = Param(
    "cursor",
    "str",
    "Opaque cursor from `pagination.next_cursor` of the previous page. Pages are stable "
    "under inserts: an item added meanwhile never shifts or repeats another.",
    example="WyIyMDI1LTA5LTE3IiwxMl0",
    max_length=400,
)
FORMAT = Param(
    "format",
    "enum",
    "`json` (a page), `csv` or `jsonl`: every matching row, streamed (limit and cursor "
    "are ignored).",
    example="json",
    choices=("json", "csv", "jsonl"),
    default="json",
)
SESSION = Param("session", "session", "Parliamentary session, written `45-1`.", example="44-1")
DATE_FROM = Param("date_from", "date", "On or after this day (YYYY-MM-DD).", example="2023-01-01")
DATE_TO = Param("date_to", "date", "On or before this day (YYYY-MM-DD).", example="2023-12-31")
LANG = Param(
    "lang",
    "enum",
    "Language of text and headings: `en` or `fr`.",
    choices=("en", "fr"),
    default="en",
    example="fr",
)


def sort_param(sorts: dict[str, SortKey], default: str) -> Param:
    choices = tuple(name for key in sorts for name in (key, f"-{key}"))
    described = "; ".join(f"`{k}`: {v.description}" for k, v in sorts.items())
    return Param(
        "sort",
        "enum",
        f"Order of the list; `-` first for descending. {described}.",
        example=default,
        choices=choices,
        default=default,
    )


def fields_param(fields: Sequence[str]) -> Param:
    return Param(
        "fields",
        "list",
        "Comma-separated fields to return in each item (and CSV columns), e.g. "
        f"`{','.join(fields[:2])}`. Default: all of {', '.join(f'`{f}`' for f in fields)}.",
        example=",".join(fields[:2]),
        choices=tuple(fields),
    )


@dataclass
class Parsed:
    """Validated values by parameter name (absent parameters hold their default)."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name)


def parse(request: Request, params: Iterable[Param]) -> Parsed:
    """Validate the query string against `params`; unknown or repeated names are a 400."""
    spec = {p.name: p for p in params}
    parsed = Parsed({p.name: p.default for p in spec.values()})
    seen: set[str] = set()
    for name, raw in request.query_params.multi_items():
        param = spec.get(name)
        if param is None:
            known = ", ".join(sorted(spec)) or "none"
            raise BadRequestError(
                f"{name}: unknown parameter; this endpoint accepts: {known}", parameter=name
            ) from None
        if name in seen:
            raise BadRequestError(f"{name}: given more than once", parameter=name) from None
        seen.add(name)
        parsed.values[name] = _convert(param, raw)
    return parsed


def _convert(param: Param, raw: str) -> Any:
    name = param.name
    if param.kind == "int":
        value = ascii_int(raw)
        if value is None:
            raise BadRequestError(f"{name}: expected an integer, got {raw!r}", parameter=name)
        if (param.minimum is not None and value < param.minimum) or (
            param.maximum is not None and value > param.maximum
        ):
            raise ValidationFailedError(
                f"{name}: {value} is out of range ({param.minimum} to {param.maximum})",
                parameter=name,
            )
        return value
    if param.kind == "bool":
        lowered = raw.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
        raise BadRequestError(f"{name}: expected true or false, got {raw!r}", parameter=name)
    if param.kind == "date":
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise BadRequestError(
                f"{name}: expected a date YYYY-MM-DD, got {raw!r}", parameter=name
            ) from None
    if param.kind == "datetime":
        try:
            moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequestError(
                f"{name}: expected an ISO 8601 time like 2025-09-17T12:00:00Z, got {raw!r}",
                parameter=name,
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if param.kind == "enum":
        if raw not in param.choices:
            raise ValidationFailedError(
                f"{name}: {raw!r} is not one of {', '.join(param.choices)}", parameter=name
            )
        return raw
    if param.kind == "session":
        try:
            parliament, number = parse_session_code(raw)
        except ValueError:
            raise BadRequestError(
                f"{name}: expected a session written like 45-1, got {raw!r}", parameter=name
            ) from None
        return f"{parliament}-{number}"
    if param.kind == "list":
        items = [item.strip() for item in raw.split(",") if item.strip()]
        unknown = [item for item in items if item not in param.choices]
        if unknown or not items:
            raise ValidationFailedError(
                f"{name}: unknown {', '.join(unknown) or '(empty)'}; choose from "
                f"{', '.join(param.choices)}",
                parameter=name,
            )
        return list(dict.fromkeys(items))
    text = raw.strip()
    if not text or len(text) > param.max_length or "\x00" in text:
        raise ValidationFailedError(
            f"{name}: expected 1 to {param.max_length} characters", parameter=name
        )
    return text


def page_request(
    parsed: Parsed, sorts: dict[str, SortKey] | None = None, default: SortKey | None = None
) -> PageRequest:
    """limit, cursor and sort as the query layer takes them."""
    page = PageRequest(limit=parsed["limit"] or 50)
    sort_name = parsed["sort"]
    if sorts and sort_name:
        descending = sort_name.startswith("-")
        page.sort = sorts[sort_name.lstrip("-")]
        page.descending = descending
    if parsed["cursor"]:
        page.cursor = decode_cursor(parsed["cursor"])
        checked = page.sort or default or (next(iter(sorts.values())) if sorts else None)
        if checked is not None:
            _check_cursor_value(checked, page.cursor[0])
    return page


_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {"text": str, "bigint": int}


def _check_cursor_value(sort: SortKey, value: Any) -> None:
    """A cursor from another sort order would be a SQL cast error: say so instead."""
    try:
        if value is None:
            raise ValueError
        if sort.sql_type == "date":
            dt.date.fromisoformat(str(value))
        elif sort.sql_type == "timestamptz":
            dt.datetime.fromisoformat(str(value))
        elif not isinstance(value, _PYTHON_TYPES.get(sort.sql_type, object)):
            raise ValueError
    except ValueError as exc:
        raise BadRequestError(
            "cursor: it belongs to another sort order; keep `sort` as on the first page",
            parameter="cursor",
        ) from exc
