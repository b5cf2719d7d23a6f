"""E-mail alerts on the site: the Follow form's sign-up, and the pages the e-mails link to.

No JavaScript, no account. Every link an alert e-mail holds (openpolicy.alerts.render and
tokens) opens a page here, in the language of its path:

* `/alerts/confirm/<token>`, `/alerts/stop/<token>`, `/alerts/unsubscribe/<token>`: a GET
  only shows what the link would do, with a button; the POST does it. Mail scanners and
  link previews open links, so nothing changes on a GET.
* `/alerts/unsubscribe/<token>` also takes RFC 8058's one-click POST
  (`List-Unsubscribe=One-Click`), which mail programs send without opening any page.
* `/alerts/manage/<token>`: every alert of the address, each one's frequency, the
  language of the e-mails, stop one, unsubscribe from all.

Cross-site requests: the forms behind a signed link carry it in their URL, which another
site cannot know. The sign-up form has no secret (it sits on cached pages), so its POST
must come from this site: a browser's `Origin` (else `Referer`) naming another site is
refused with 403.

Privacy: the sign-up answers the same page whether the address is new, already
following, waiting for confirmation or over its limits (openpolicy.alerts.subscriptions);
only the client's own per-IP limit (429) and its own typing mistakes (an address that is
not one, a search with no word to look for) are told apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from openpolicy.alerts import render, service, tokens
from openpolicy.alerts.searches import SearchSpec
from openpolicy.alerts.subscriptions import CADENCES, SignUp
from openpolicy.alerts.targets import Description, TargetSpec
from openpolicy.config import Settings
from openpolicy.errors import (
    ConfigurationError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ValidationFailedError,
)
from openpolicy.web.i18n import LANGUAGES, Lang, localize_path
from openpolicy.web.rendering import page_lang, render_html

MAX_FORM_BYTES = 16_384
FOLLOW_FIELDS = ("kind", "member_id", "session", "number", "q", "language", "party")
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form (what a browser sends without JavaScript); the last value of a
    repeated field wins. Other bodies (RFC 8058 allows multipart) read as empty."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise ValidationFailedError(f"form: at most {MAX_FORM_BYTES} bytes")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", ""):
        return {}
    return {k: v.strip() for k, v in parse_qsl(body.decode("utf-8", "replace"))}


def _client(request: Request) -> str:
    """The client's address as the front door decided it (trusted proxies), else the peer."""
    decided = request.scope.get("state", {}).get("client")
    if decided:
        return str(decided)
    if _settings(request).api_trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.netloc.lower() if parts.scheme and parts.netloc else None


def check_same_origin(request: Request) -> None:
    """403 when the browser says the form was posted from another site."""
    claimed = request.headers.get("origin")
    if claimed is None or claimed == "null":
        referer = request.headers.get("referer")
        if claimed is None and referer is None:
            return  # not a browser, or one told to send neither: nothing to go by
        claimed = referer or "null"
    origin = _origin_of(claimed)
    ours = {request.headers.get("host", "").lower()}
    if _settings(request).site_url:
        ours.add(_origin_of(_settings(request).site_url or "") or "")
    if origin is None or origin not in ours:
        raise ForbiddenError("the form was sent from another site")


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A private page: never cached or indexed, and its signed URL never sent as referrer
    (the template's meta tag)."""
    return render_html(
        request,
        template,
        status_code=status_code,
        cache=False,
        headers=PRIVATE_HEADERS,
        robots="noindex, nofollow",
        **context,
    )


def _invalid_link(request: Request) -> HTMLResponse:
    return _page(request, "alert_message.html", 404, message="invalid")


def _not_configured(request: Request) -> HTMLResponse:
    return _page(request, "alert_message.html", 503, message="unavailable")


async def _guarded(request: Request, action: Callable[[], Any]) -> Response:
    """Run a page's work; a forged or expired link and missing settings get their page."""
    try:
        result: Response = await action()
    except tokens.InvalidTokenError:
        return _invalid_link(request)
    except ConfigurationError:
        return _not_configured(request)
    return result


def target_view(description: Description, lang: Lang) -> dict[str, Any]:
    """What a page says about one followed thing: its label and its page on the site."""
    return {
        "label": render.target_label(description, lang),
        "path": localize_path(description.path, lang) if description.path else None,
        "kind": description.kind,
    }


# --- the Follow form ------------------------------------------------------------------


def _target_spec(form: dict[str, str]) -> TargetSpec:
    def number(name: str) -> int | None:
        value = form.get(name) or None
        if value is None:
            return None
        if not value.isdigit():
            raise ValidationFailedError(f"follow.{name}: expected a whole number, got {value!r}")
        return int(value)

    kind = form.get("kind", "")
    if kind == "search":
        return TargetSpec(
            "search",
            search=SearchSpec(
                form.get("q", ""),
                form.get("language") or "any",
                number("member_id"),
                form.get("party") or None,
            ),
        )
    return TargetSpec(
        kind,
        member_id=number("member_id"),
        session=form.get("session") or None,
        number=form.get("number") or None,
    )


async def follow(request: Request) -> Response:
    """POST of a Follow form: the same answer for every address (see the module). A GET
    (the language switch of the answer's page, a reload, a bookmark) says where the forms
    are."""
    if request.method != "POST":
        return _page(request, "alert_follow.html", state="about", hidden={})
    lang = page_lang(request)
    form = await _form(request)
    hidden = {name: form[name] for name in FOLLOW_FIELDS if form.get(name)}
    email = form.get("email", "")
    cadence = form.get("cadence") or "immediate"
    shown: dict[str, Any] = {"email": email, "cadence": cadence, "hidden": hidden}
    try:
        check_same_origin(request)
        if cadence not in CADENCES:
            raise ValidationFailedError(f"cadence: expected immediate or daily, got {cadence!r}")
        signup = SignUp(email, lang, cadence, _target_spec(form), _client(request))
        await service.sign_up(_settings(request), signup)
    except ForbiddenError:
        return _page(request, "alert_follow.html", 403, state="cross-site", **shown)
    except ValidationFailedError as exc:
        # The address and a search's words are the reader's to fix; anything else means
        # the form was altered.
        if exc.detail.startswith("email:"):
            state = "invalid"
        elif exc.detail.startswith("follow.q:"):
            state = "words"
        else:
            state = "bad"
        return _page(request, "alert_follow.html", 422, state=state, detail=exc.detail, **shown)
    except NotFoundError as exc:
        return _page(request, "alert_follow.html", 404, state="bad", detail=exc.detail, **shown)
    except RateLimitedError as exc:
        response = _page(request, "alert_follow.html", 429, state="limited", **shown)
        response.headers["Retry-After"] = str(exc.retry_after or 3600)
        return response
    except ConfigurationError:
        return _not_configured(request)
    hours = _settings(request).alerts_confirm_hours
    return _page(
        request,
        "alert_follow.html",
        state="sent",
        hours=int(hours) if float(hours).is_integer() else hours,
        **shown,
    )


# --- confirm ------------------------------------------------------------------------


async def confirm_page(request: Request, token: str) -> Response:
    lang = page_lang(request)
    settings = _settings(request)

    async def show() -> Response:
        description, recipient, status = await service.pending_confirmation(settings, token)
        return _page(
            request,
            "alert_confirm.html",
            state="ask" if status == "pending" else "done",
            target=target_view(description, lang),
            email=recipient.email,
            token=token,
            manage_url=_manage_url(settings, lang, recipient.id, recipient.nonce),
        )

    async def act() -> Response:
        done = await service.confirm(settings, token)
        return _page(
            request,
            "alert_confirm.html",
            state="done",
            target=target_view(done.description, lang),
            email=done.recipient.email,
            token=token,
            manage_url=localize_path(f"/alerts/manage/{done.manage_token}", lang),
        )

    return await _guarded(request, act if request.method == "POST" else show)


def _manage_url(settings: Settings, lang: Lang, recipient_id: int, nonce: str) -> str:
    token = tokens.sign(settings, tokens.Token("manage", recipient_id, nonce))
    return localize_path(f"/alerts/manage/{token}", lang)


# --- manage -------------------------------------------------------------------------


def _manage_view(request: Request, lang: Lang, found: service.Manage, saved: bool) -> Response:
    return _page(
        request,
        "alert_manage.html",
        email=found.recipient.email,
        language=found.recipient.language,
        alerts=[
            {
                "id": item.id,
                "target": target_view(item.description, lang),
                "status": item.status,
                "cadence": item.cadence,
                "stop_url": localize_path(f"/alerts/stop/{item.stop_token}", lang),
            }
            for item in found.followed
        ],
        action=localize_path(f"/alerts/manage/{found.manage_token}", lang),
        unsubscribe_url=localize_path(f"/alerts/unsubscribe/{found.unsubscribe_token}", lang),
        saved=saved,
        languages=LANGUAGES,
    )


async def manage_page(request: Request, token: str) -> Response:
    lang = page_lang(request)
    settings = _settings(request)

    async def show() -> Response:
        found = await service.manage(settings, token)
        return _manage_view(request, lang, found, request.query_params.get("saved") == "1")

    async def act() -> Response:
        form = await _form(request)
        language = form.get("language") or None
        cadences = {}
        for name, value in form.items():
            if name.startswith("cadence-") and name[8:].isdigit():
                cadences[int(name[8:])] = value
        found = await service.update_preferences(settings, token, language, cadences)
        # Post/redirect/get, to the page in the language just chosen.
        shown: Lang = "fr" if found.recipient.language == "fr" else "en"
        target = localize_path(f"/alerts/manage/{found.manage_token}", shown)
        return RedirectResponse(f"{target}?saved=1", status_code=303, headers=PRIVATE_HEADERS)

    return await _guarded(request, act if request.method == "POST" else show)


# --- stop one -------------------------------------------------------------------------


async def stop_page(request: Request, token: str) -> Response:
    lang = page_lang(request)
    settings = _settings(request)

    async def show() -> Response:
        description = await service.stop_target(settings, token)
        return _page(
            request,
            "alert_stop.html",
            state="ask" if description is not None else "gone",
            target=target_view(description, lang) if description else None,
            token=token,
            manage_url=None,
        )

    async def act() -> Response:
        stopped = await service.stop(settings, token)
        form = await _form(request)
        manage = stopped.manage_token
        if form.get("back") == "manage" and manage is not None:
            target = localize_path(f"/alerts/manage/{manage}", lang)
            return RedirectResponse(f"{target}?saved=1", status_code=303, headers=PRIVATE_HEADERS)
        return _page(
            request,
            "alert_stop.html",
            state="done" if stopped.description is not None else "gone",
            target=target_view(stopped.description, lang) if stopped.description else None,
            token=token,
            manage_url=localize_path(f"/alerts/manage/{manage}", lang) if manage else None,
        )

    return await _guarded(request, act if request.method == "POST" else show)


# --- unsubscribe from everything --------------------------------------------------------


async def unsubscribe_page(request: Request, token: str) -> Response:
    """GET asks; any POST unsubscribes: our button, or a mail program's RFC 8058 one-click
    POST (`List-Unsubscribe=One-Click`), which needs no page and no cookie."""
    settings = _settings(request)

    async def show() -> Response:
        count = await service.unsubscribe_check(settings, token)
        return _page(
            request,
            "alert_unsubscribe.html",
            state="ask" if count else "gone",
            count=count,
            token=token,
        )

    async def act() -> Response:
        count = await service.unsubscribe(settings, token)
        return _page(request, "alert_unsubscribe.html", state="done", count=count, token=token)

    return await _guarded(request, act if request.method == "POST" else show)


# Registered by openpolicy.web.routes in both languages, never cached: (path, handler, name).
# HEAD as GET: link checkers and mail scanners ask it, and it changes nothing either.
# Every page has a GET: the header's language switch links to the same path.
LINK_METHODS = ["GET", "HEAD", "POST"]
ALERT_PAGES: tuple[tuple[str, Callable[..., Any], str, list[str]], ...] = (
    ("/alerts/follow", follow, "alerts_follow", LINK_METHODS),
    ("/alerts/confirm/{token}", confirm_page, "alerts_confirm", LINK_METHODS),
    ("/alerts/manage/{token}", manage_page, "alerts_manage", LINK_METHODS),
    ("/alerts/stop/{token}", stop_page, "alerts_stop", LINK_METHODS),
    ("/alerts/unsubscribe/{token}", unsubscribe_page, "alerts_unsubscribe", LINK_METHODS),
)
