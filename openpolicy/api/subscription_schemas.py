"""Webhook subscriptions in the API: the request body (validated here) and the answers
(for the OpenAPI document; handlers render with orjson like every other route)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from openpolicy.api.schemas import F, Schema


class FollowRequest(Schema):
    """What to follow, as the site names it."""

    kind: Literal["member", "bill", "division", "search"] = Field(
        description="member: their ballots, speeches and bills; bill: its stages, divisions "
        "and the sittings that name it; division: one division's outcome (session and "
        "number), or every new division (neither); search: new speeches matching `q`.",
        examples=["member"],
    )
    member_id: int | None = Field(
        default=None,
        description="member: the member's id (as in /api/v1/members); search: only this "
        "member's speeches.",
        examples=[168],
    )
    session: str | None = Field(
        default=None, description="bill and division: the session, 45-1.", examples=["44-1"]
    )
    number: str | int | None = Field(
        default=None,
        description="bill: its number (C-11); division: its number (69).",
        examples=["C-11"],
    )
    q: str | None = Field(
        default=None,
        description="search: the words, as /api/v1/search takes them (websearch syntax).",
        examples=['"dental care" or pharmacare'],
    )
    language: Literal["en", "fr", "any"] | None = Field(
        default=None,
        description="search: speeches in English, in French, or either (the default).",
        examples=["any"],
    )
    party: str | None = Field(
        default=None,
        description="search: only speeches by this party's members (short name or "
        "abbreviation, as /api/v1/parties lists them).",
        examples=["NDP"],
    )


class SubscriptionRequest(Schema):
    """The body of POST /api/v1/subscriptions."""

    url: str = Field(
        description="Where deliveries are POSTed: https, resolving only to public addresses "
        "(unless the operator allows otherwise).",
        examples=["https://example.org/hooks/openpolicy"],
    )
    follow: FollowRequest = Field(description="What to follow.")
    description: str | None = Field(
        default=None, description="Your own note, at most 500 characters.", examples=["CI bot"]
    )


class FollowedTarget(Schema):
    kind: str | None = F("member, bill, division or search.", "member")
    member_id: int | None = F("member and search: the member's id.", 168)
    name: str | None = F("member: the member's name.", "Gord Johns")
    session: str | None = F("bill and division: the session.", "44-1")
    number: str | int | None = F("bill or division number.", "C-11")
    title_en: str | None = F("bill: its short title in English.", "Online Streaming Act")
    title_fr: str | None = F("bill: its short title in French.", "Loi sur la diffusion continue")
    subject_en: str | None = F("division: its subject in English.")
    subject_fr: str | None = F("division: its subject in French.")
    q: str | None = F("search: the words.", "pharmacare")
    language: str | None = F("search: en, fr or any.", "any")
    party: str | None = F("search: the party facet.", "NDP")


class WebhookSubscription(Schema):
    id: int = Field(description="Subscription id.", examples=[7])
    url: str = Field(description="Where deliveries go.", examples=["https://example.org/hook"])
    description: str | None = F("Your note.", "CI bot")
    follow: FollowedTarget = Field(description="What it follows.")
    status: str = Field(
        description="active, or disabled (after repeated failures or a 410 Gone; re-enable "
        "with POST …/enable).",
        examples=["active"],
    )
    consecutive_failures: int = Field(
        description="Failed attempts in a row (reset by a success or by re-enabling).",
        examples=[0],
    )
    disabled_reason: str | None = F("Why it was disabled.", "10 failed attempts in a row")
    created_at: dt.datetime = Field(description="Registered.")
    updated_at: dt.datetime = Field(description="Last changed.")
    secret: str | None = F(
        "The signing secret: in the answer to POST /api/v1/subscriptions only, never again.",
        "whsec_3q2-…",
    )


class SubscriptionEnvelope(Schema):
    data: WebhookSubscription = Field(description="The subscription.")


class PingQueued(Schema):
    delivery_id: int = Field(description="The ping delivery's id.", examples=[812])


class PingEnvelope(Schema):
    data: PingQueued = Field(description="The queued ping.")


class DeliveryItem(Schema):
    id: int | None = F("Delivery id (the OpenPolicy-Delivery header).", 812)
    kind: str | None = F("alerts or ping.", "alerts")
    status: str | None = F("pending, sending, sent, failed or held.", "sent")
    attempts: int | None = F("Attempts made.", 1)
    created_at: dt.datetime | None = F("Created.")
    sent_at: dt.datetime | None = F("Delivered (a 2xx answer).")
    next_attempt_at: dt.datetime | None = F("When the next attempt is due.")
    response_status: int | None = F("Your receiver's last HTTP status.", 204)
    last_error: str | None = F("The last failure.", "HTTP 500")
    items: int | None = F("Items carried.", 3)
