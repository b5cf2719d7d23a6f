"""Every web URL, registered once per language: `/bills/…` in English, `/fr/bills/…` in French.

Handlers learn the language from the path, so one function serves both registrations and
the two languages can never drift apart. URLs mirror the API (`/votes/45-1/12`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from openpolicy.web import (
    feeds,
    pages_alerts,
    pages_bills,
    pages_debates,
    pages_home,
    pages_members,
    pages_search,
    pages_status,
    pages_votes,
)
from openpolicy.web.errors import WEB_TAG
from openpolicy.web.i18n import LANGUAGES
from openpolicy.web.serving import cached_page

STATIC_DIR = Path(__file__).parent / "static"

Endpoint = Callable[..., Any]

# (path, handler, name). Paths are language-neutral. Maintenance is the front door's
# (openpolicy.api.gate): every page but /status answers the maintenance page meanwhile.
PAGES: tuple[tuple[str, Endpoint, str], ...] = (
    ("/", pages_home.home, "home"),
    ("/bills", pages_bills.bill_list, "bills"),
    ("/bills/{session}/{number}", pages_bills.bill_page, "bill"),
    ("/votes", pages_votes.vote_list, "votes"),
    ("/votes/{session}/{number:int}", pages_votes.vote_page, "vote"),
    ("/members", pages_members.member_list, "members"),
    ("/members/{member_id:int}", pages_members.member_page, "member"),
    ("/parties", pages_members.party_cohesion_page, "parties"),
    ("/debates", pages_debates.debate_list, "debates"),
    ("/debates/{session}/{number:int}", pages_debates.debate_page, "debate"),
    ("/debates/{session}/{number:int}/{sequence:int}", pages_debates.speech_page, "speech"),
    ("/search", pages_search.search_page, "search"),
    ("/status", pages_status.status_page, "status"),
    ("/feeds/votes.atom", feeds.votes_feed, "feed_votes"),
    ("/feeds/bills.atom", feeds.bills_feed, "feed_bills"),
    ("/feeds/members/{member_id:int}.atom", feeds.member_feed, "feed_member"),
)


ALWAYS_FRESH = {"status"}  # incidents and maintenance move without the data version


def prefixed(path: str, lang: str) -> str:
    if lang == "en":
        return path
    return "/fr" if path == "/" else "/fr" + path


def web_router() -> APIRouter:
    """The pages and feeds in both languages (kept out of the API's OpenAPI document)."""
    router = APIRouter(tags=[WEB_TAG], include_in_schema=False)
    for path, endpoint, name in PAGES:
        # Every page but the status page comes from the response cache when it can.
        served = endpoint if name in ALWAYS_FRESH else cached_page(endpoint)
        for lang in LANGUAGES:
            router.add_api_route(
                prefixed(path, lang),
                served,
                methods=["GET", "HEAD"],
                name=f"web_{name}_{lang}",
                response_class=Response,
            )
    # The alerts' pages change state or are private to one address: never cached.
    for path, endpoint, name, methods in pages_alerts.ALERT_PAGES:
        for lang in LANGUAGES:
            router.add_api_route(
                prefixed(path, lang),
                endpoint,
                methods=methods,
                name=f"web_{name}_{lang}",
                response_class=Response,
            )
    return router


def section_of(path: str) -> str:
    """The first segment of a path after the language prefix: "bills" for `/fr/bills/45-1`,
    "" for the home page."""
    if path == "/fr" or path.startswith("/fr/"):
        path = path[3:]
    return path[1:].split("/", 1)[0]


class WebPages(BaseRoute):
    """The web site's routes as one entry of the app's router, placed first.

    Why: the app's router tries its entries in order, and each of the API's included
    routers costs about 20 µs to rule out (a layer of scope bookkeeping per route), so a page
    paid 0.2–0.5 ms of routing before its handler ran — more than the API's whole ping.
    Here a path is looked up by its first segment among a handful of candidates, and an API
    path is ruled out by one dictionary lookup."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = routes
        self._by_section: dict[str, list[BaseRoute]] = {}
        for route in routes:
            assert isinstance(route, APIRoute)
            self._by_section.setdefault(section_of(route.path), []).append(route)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        candidates = self._by_section.get(section_of(get_route_path(scope)))
        if candidates is None:
            return Match.NONE, {}
        partial: Scope | None = None
        for route in candidates:
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                return match, child_scope
            if match == Match.PARTIAL and partial is None:
                partial = child_scope
        return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The matched route put itself in the scope (`child_scope["route"]`).
        await scope["route"].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)


def add_web_routes(app: FastAPI) -> None:
    """Put the web site's routes first in the app's router (see `WebPages`)."""
    router = web_router()
    router.dependency_overrides_provider = app
    app.router.routes.insert(0, WebPages(router.routes))


class CachedStaticFiles(StaticFiles):
    """The stylesheet and icon: URLs carry a version, so browsers may keep them a day."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def mount_static(app: FastAPI) -> None:
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
