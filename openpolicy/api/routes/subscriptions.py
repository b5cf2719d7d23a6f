"""Webhook subscriptions, for developers: register a URL and what to follow with an API key.

Subscriptions belong to the key's service (`openpolicy keys create --service …`): every
key of that service, a rotated one included, sees and manages them; no other key learns
they exist (404, as for an id that was never issued). The secret that signs deliveries is
in the answer to the POST only. The engine is openpolicy.alerts (docs/alerts.md).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import orjson
from fastapi import APIRouter, Path
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from openpolicy.alerts import service
from openpolicy.alerts.searches import SearchSpec
from openpolicy.alerts.subscriptions import Webhook
from openpolicy.alerts.targets import TargetSpec
from openpolicy.api import keys
from openpolicy.api.constants import API_PREFIX
from openpolicy.api.params import Param, parse
from openpolicy.api.responses import plain_list
from openpolicy.api.routes._docs import ERRORS
from openpolicy.api.schemas import ListEnvelope
from openpolicy.api.subscription_schemas import (
    DeliveryItem,
    FollowRequest,
    PingEnvelope,
    SubscriptionEnvelope,
    SubscriptionRequest,
    WebhookSubscription,
)
from openpolicy.config import Settings
from openpolicy.errors import BadRequestError, UnauthorizedError, ValidationFailedError

router = APIRouter(prefix=API_PREFIX)

TAGS: list[str | Enum] = ["subscriptions"]
MAX_BODY = 16_384
NO_STORE = {"Cache-Control": "no-store"}
BODY_ERRORS = (400, 401, 404, 409, 415, 422, 429, 503)
ITEM_ERRORS = (400, 401, 404, 422, 429, 503)
SUBSCRIPTION_ID = Path(description="The subscription's id, as POST answered it.", examples=[7])
_EXTRA_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The service holds as many webhook subscriptions as it may.",
        "model": ERRORS[400]["model"],
        "content": ERRORS[400]["content"],
    },
    415: {
        "description": "The body is not application/json.",
        "model": ERRORS[400]["model"],
        "content": ERRORS[400]["content"],
    },
}
_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/SubscriptionRequest"},
                "example": {
                    "url": "https://example.org/hooks/openpolicy",
                    "follow": {"kind": "bill", "session": "44-1", "number": "C-11"},
                    "description": "Bill tracker",
                },
            }
        },
    }
}
DELIVERY_PARAMS = [
    Param(
        "limit",
        "int",
        "Newest deliveries to return, 1 to 100.",
        example=20,
        minimum=1,
        maximum=100,
        default=20,
    )
]


def _responses(
    status: int, description: str, model: Any, errors: tuple[int, ...]
) -> dict[int | str, dict[str, Any]]:
    answers: dict[int | str, dict[str, Any]] = {status: {"description": description}}
    if model is not None:
        answers[status]["model"] = model
    for code in errors:
        answers[code] = _EXTRA_ERRORS[code] if code in _EXTRA_ERRORS else ERRORS[code]
    return answers


def owner_key(request: Request) -> keys.KeyInfo:
    """The request's API key (any scope): subscriptions are its service's."""
    key: keys.KeyInfo | None = request.scope.get("state", {}).get("api_key")
    if key is None:
        raise UnauthorizedError(
            "webhook subscriptions need an X-API-Key; they belong to the key's service"
        )
    return key


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )


class UnsupportedMediaTypeError(BadRequestError):
    status_code = 415
    title = "Unsupported media type"
    type_slug = "unsupported-media-type"


def _field_errors(error: ValidationError) -> ValidationFailedError:
    """Pydantic's errors as ours: each names its field the way the body spells it."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ())) or "body"
        problems.append((where, str(item.get("msg", "invalid"))))
    return ValidationFailedError(
        "; ".join(f"{where}: {message}" for where, message in problems),
        errors=[{"location": where, "message": message} for where, message in problems],
    )


async def _read_body(request: Request) -> SubscriptionRequest:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() not in ("application/json", ""):
        raise UnsupportedMediaTypeError(f"body: expected application/json, got {content_type}")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequestError(f"body: at most {MAX_BODY} bytes")
    try:
        parsed = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"body: not JSON ({exc})") from exc
    if not isinstance(parsed, dict):
        raise BadRequestError("body: expected a JSON object with url and follow")
    try:
        return SubscriptionRequest.model_validate(parsed)
    except ValidationError as exc:
        raise _field_errors(exc) from exc


def _target(follow: FollowRequest) -> TargetSpec:
    number = None if follow.number is None else str(follow.number)
    if follow.kind == "search":
        return TargetSpec(
            "search",
            search=SearchSpec(
                follow.q or "", follow.language or "any", follow.member_id, follow.party
            ),
        )
    return TargetSpec(
        follow.kind, member_id=follow.member_id, session=follow.session, number=number
    )


def _body(hook: Webhook) -> dict[str, Any]:
    return hook.as_dict()


REQUEST_MODELS = (SubscriptionRequest,)  # added to the OpenAPI components (openpolicy.api)


@router.post(
    "/subscriptions",
    tags=TAGS,
    summary="Register a webhook",
    description="Follow a member, a bill, a division (or every new division) or a search; "
    "deliveries are signed JSON POSTs to `url` (docs/alerts.md#by-webhook). The answer holds "
    "the signing `secret`, shown this once. Refused URLs (not https, private or loopback "
    "addresses) and unknown targets are 422 and 404 naming the field.",
    status_code=201,
    responses=_responses(
        201, "Registered; `Location` names it.", SubscriptionEnvelope, BODY_ERRORS
    ),
    openapi_extra=_REQUEST_BODY,
)
async def create_subscription(request: Request) -> Response:
    parse(request, [])
    key = owner_key(request)
    body = await _read_body(request)
    hook = await service.create_webhook(
        _settings(request),
        owner=key.service,
        api_key_id=key.id,
        url=body.url,
        target=_target(body.follow),
        description=body.description,
    )
    return _json(
        {"data": _body(hook)},
        status=201,
        headers={"Location": f"{API_PREFIX}/subscriptions/{hook.id}"},
    )


@router.get(
    "/subscriptions",
    tags=TAGS,
    summary="Your webhooks",
    description="Every webhook subscription of the API key's service, oldest first "
    "(never the secrets).",
    responses=_responses(200, "Success.", ListEnvelope[WebhookSubscription], (400, 401, 429, 503)),
)
async def list_subscriptions(request: Request) -> Response:
    parse(request, [])
    key = owner_key(request)
    found = await service.list_webhooks(_settings(request), key.service)
    return _json(plain_list([_body(hook) for hook in found]))


@router.get(
    "/subscriptions/{subscription_id}",
    tags=TAGS,
    summary="One of your webhooks",
    description="Its status, consecutive failures and why it was disabled, if it was.",
    responses=_responses(200, "Success.", SubscriptionEnvelope, ITEM_ERRORS),
)
async def get_subscription(request: Request, subscription_id: int = SUBSCRIPTION_ID) -> Response:
    parse(request, [])
    key = owner_key(request)
    hook = await service.get_webhook(_settings(request), key.service, subscription_id)
    return _json({"data": _body(hook)})


@router.delete(
    "/subscriptions/{subscription_id}",
    tags=TAGS,
    summary="Delete a webhook",
    description="Nothing more is matched or sent for it, waiting deliveries included.",
    status_code=204,
    responses=_responses(204, "Deleted.", None, ITEM_ERRORS),
)
async def delete_subscription(request: Request, subscription_id: int = SUBSCRIPTION_ID) -> Response:
    parse(request, [])
    key = owner_key(request)
    await service.delete_webhook(_settings(request), key.service, subscription_id)
    return Response(status_code=204, headers=NO_STORE)


@router.post(
    "/subscriptions/{subscription_id}/enable",
    tags=TAGS,
    summary="Re-enable a disabled webhook",
    description="Failures reset to zero; the deliveries held while it was disabled are sent "
    "again. The URL is checked again first (422 if it is no longer allowed).",
    responses=_responses(200, "Enabled.", SubscriptionEnvelope, ITEM_ERRORS),
)
async def enable_subscription(request: Request, subscription_id: int = SUBSCRIPTION_ID) -> Response:
    parse(request, [])
    key = owner_key(request)
    hook = await service.enable_webhook(_settings(request), key.service, subscription_id)
    return _json({"data": _body(hook)})


@router.post(
    "/subscriptions/{subscription_id}/ping",
    tags=TAGS,
    summary="Send a test delivery",
    description="Queues a signed `ping` delivery (event `ping`, no items) so you can test "
    "your receiver and its signature check; follow it with …/deliveries.",
    status_code=202,
    responses=_responses(202, "Queued.", PingEnvelope, ITEM_ERRORS),
)
async def ping_subscription(request: Request, subscription_id: int = SUBSCRIPTION_ID) -> Response:
    parse(request, [])
    key = owner_key(request)
    delivery_id = await service.ping_webhook(_settings(request), key.service, subscription_id)
    return _json({"data": {"delivery_id": delivery_id}}, status=202)


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    tags=TAGS,
    summary="A webhook's recent deliveries",
    description="Newest first: status, attempts, your receiver's last answer, the next "
    "attempt's time. What to look at when deliveries stop arriving.",
    responses=_responses(200, "Success.", ListEnvelope[DeliveryItem], ITEM_ERRORS),
    openapi_extra={"parameters": [p.openapi() for p in DELIVERY_PARAMS]},
)
async def subscription_deliveries(
    request: Request, subscription_id: int = SUBSCRIPTION_ID
) -> Response:
    p = parse(request, DELIVERY_PARAMS)
    key = owner_key(request)
    found = await service.webhook_deliveries(
        _settings(request), key.service, subscription_id, p["limit"]
    )
    return _json(plain_list(found))
