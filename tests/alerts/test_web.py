"""E-mail alerts on the site, through the real app over HTTP, a real SMTP server and real
ingests of the bundled captures: the Follow forms submitted as a browser without JavaScript
submits them, the confirmation e-mail and its page, the alert e-mail, the manage page, the
stop link and RFC 8058 one-click unsubscribe, in both languages; and abuse: no way to tell
addresses apart, the per-IP limit, cross-site posts, forged links, GETs that change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from lxml import html as lxml_html
from sqlalchemy.engine import URL

from openpolicy.alerts import delivery
from openpolicy.app import create_app
from openpolicy.config import Settings
from tests.alerts.conftest import (
    SITE,
    Mailbox,
    Query,
    alert_settings,
    body_text,
    load,
    member_id,
)
from tests.support.services import LiveServer

FOLLOW_FORM = "//form[contains(@class, 'follow-form')]"


def xpath(node: Any, path: str) -> list[Any]:
    """The elements `path` finds (lxml's own type covers every kind of XPath result)."""
    return list(node.xpath(path))


@dataclass
class Site:
    """The live app and a client that behaves like a browser without JavaScript."""

    server: LiveServer
    client: httpx.Client
    settings: Settings

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def submit(
        self, page: httpx.Response, form_path: str, values: dict[str, str] | None = None
    ) -> httpx.Response:
        """Fill in and send a form of `page` as a browser would (same-origin Referer)."""
        tree = lxml_html.fromstring(page.text)
        [form] = xpath(tree, form_path)
        fields: dict[str, str] = {}
        for field in xpath(form, ".//input | .//select"):
            name = field.get("name")
            if not name or (field.get("type") == "radio" and field.get("checked") is None):
                continue
            if field.tag == "select":
                chosen = xpath(field, "option[@selected]") or xpath(field, "option")
                fields[name] = chosen[0].get("value", "")
            else:
                fields[name] = field.get("value", "")
        fields.update(values or {})
        assert form.get("method") == "post"
        referer = self.server.url + str(page.url.path)
        return self.client.post(form.get("action"), data=fields, headers={"Referer": referer})


def link_path(message: EmailMessage, purpose: str) -> str:
    """The path of the e-mail's first signed link of `purpose` (the site is served here)."""
    for word in body_text(message).split():
        if f"/alerts/{purpose}/" in word:
            assert word.startswith(SITE), word
            return urlsplit(word).path
    raise AssertionError(f"no {purpose} link in {body_text(message)}")


def site_for(database: URL, mailbox: Mailbox, **overrides: Any) -> Iterator[Site]:
    settings = alert_settings(database, mailbox, api_access_log=False, **overrides)
    with (
        LiveServer(create_app(settings)) as server,
        httpx.Client(
            base_url=server.url, timeout=30, headers={"Accept": "text/html,*/*;q=0.8"}
        ) as client,
    ):
        yield Site(server, client, settings)


@pytest.fixture
def site(alerts_db: URL, smtp: Mailbox) -> Iterator[Site]:
    yield from site_for(alerts_db, smtp)


def page_text(response: httpx.Response) -> str:
    page: lxml_html.HtmlElement = lxml_html.fromstring(response.text)
    return " ".join(page.text_content().split())


def test_member_follow_confirm_alert_manage_and_one_click_unsubscribe(
    alerts_db: URL, site: Site, smtp: Mailbox, query: Query
) -> None:
    load(alerts_db, site.settings, "members")
    johns = member_id(query, "Gord Johns")
    member_page = site.get(f"/members/{johns}")
    assert member_page.status_code == 200
    sent = site.submit(member_page, FOLLOW_FORM, {"email": "reader@example.ca"})
    assert sent.status_code == 200
    assert "Check your inbox" in page_text(sent)
    assert sent.headers["Cache-Control"] == "no-store"
    # The answer's language switch opens a page of its own (a GET posts nothing).
    [switch] = xpath(lxml_html.fromstring(sent.text), "//a[@class='lang-switch']")
    switched = site.get(switch.get("href"))
    assert switched.status_code == 200 and switch.get("href") == "/fr/alerts/follow"
    assert "Recevoir des alertes par courriel" in page_text(switched)
    assert xpath(lxml_html.fromstring(switched.text), "//main//a[@href='/fr/members']")
    assert query("SELECT kind, member_id, status, cadence FROM alert_subscriptions") == [
        ("member", johns, "pending", "immediate")
    ]

    delivery.send_due(alerts_db, site.settings)
    [confirmation] = smtp.wait_for("reader@example.ca")
    assert "Gord Johns" in confirmation["Subject"]
    confirm_path = link_path(confirmation, "confirm")
    asked = site.get(confirm_path)
    assert asked.status_code == 200 and "Confirm your alert" in page_text(asked)
    assert '<meta name="referrer" content="no-referrer">' in asked.text
    assert asked.headers["X-Robots-Tag"] == "noindex, nofollow"
    # A GET confirms nothing, nor does a link checker's HEAD.
    assert site.client.head(confirm_path).status_code == 200
    assert query("SELECT status FROM alert_subscriptions") == [("pending",)]
    confirmed = site.submit(asked, "//main//form")
    assert confirmed.status_code == 200 and "Your alert is on" in page_text(confirmed)
    assert query("SELECT status FROM alert_subscriptions") == [("active",)]

    # A real ingest: the alert e-mail, with one-click unsubscribe headers and signed links.
    load(alerts_db, site.settings, "ballots", "hansard")
    delivery.send_due(alerts_db, site.settings)
    # One message per import: the ballots, then the sitting he spoke in.
    alerts = smtp.wait_for("reader@example.ca", 3)[1:]
    assert "Gord Johns voted Nay on division 69 (43-2)" in body_text(alerts[0])
    assert "Gord Johns spoke 12 times in the sitting of" in body_text(alerts[1])
    alert = alerts[0]
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = alert["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith(f"{SITE}/alerts/unsubscribe/")

    # Every link of the e-mail opens a page of ours.
    for purpose in ("manage", "stop", "unsubscribe"):
        assert site.get(link_path(alert, purpose)).status_code == 200, purpose
    manage = site.get(link_path(alert, "manage"))
    text = page_text(manage)
    assert "Your alerts" in text and "Sent to reader@example.ca." in text and "Gord Johns" in text
    [subscription_id] = [row[0] for row in query("SELECT id FROM alert_subscriptions")]
    saved = site.submit(
        manage,
        "//main//form[contains(@action, '/manage/')]",
        {f"cadence-{subscription_id}": "daily", "language": "fr"},
    )
    assert saved.status_code == 303
    assert saved.headers["Location"].startswith("/fr/alerts/manage/")
    french = site.get(saved.headers["Location"])
    assert "Vos modifications sont enregistrées." in page_text(french)
    assert french.headers["Content-Language"] == "fr"
    assert query(
        "SELECT s.cadence, r.language FROM alert_subscriptions s"
        " JOIN alert_recipients r ON r.id = s.recipient_id"
    ) == [("daily", "fr")]

    # A mail scanner opening the unsubscribe link changes nothing; the one-click POST does,
    # with no page, cookie, Origin or Referer involved.
    path = urlsplit(unsubscribe_url).path
    assert "Unsubscribe from every alert?" in page_text(site.get(path))
    assert query("SELECT count(*) FROM alert_recipients") == [(1,)]
    # RFC 8058: the body SHOULD be multipart/form-data and MAY be urlencoded (as the manage
    # page's button sends, in the French test); no page, cookie, Origin or Referer needed.
    one_click = httpx.post(site.server.url + path, files={"List-Unsubscribe": (None, "One-Click")})
    assert one_click.request.headers["Content-Type"].startswith("multipart/form-data")
    assert one_click.status_code == 200
    assert query("SELECT count(*) FROM alert_recipients") == [(0,)]
    assert query("SELECT count(*) FROM alert_subscriptions") == [(0,)]
    again = site.get(path)
    assert again.status_code == 200 and "No alerts left" in page_text(again)
    assert site.get(link_path(alert, "manage")).status_code == 404  # nothing left to manage

    # Nothing more is sent to the address, whatever arrives.
    load(alerts_db, site.settings, "votes")
    delivery.send_due(alerts_db, site.settings)
    assert len(smtp.to("reader@example.ca")) == 3


def test_french_forms_on_bill_division_and_search_pages_and_stopping_one(
    alerts_db: URL, site: Site, smtp: Mailbox, query: Query
) -> None:
    load(alerts_db, site.settings, "members", "bill", "ballots")
    reader = "lectrice@exemple.ca"
    # Words only to leave out cannot be followed: the reader is told why, in French, and
    # led back to the search; nothing is stored.
    refused = site.submit(
        site.get("/fr/search?q=-logement&party=NDP"), FOLLOW_FORM, {"email": reader}
    )
    assert refused.status_code == 422
    assert "Ces mots ne peuvent pas être suivis" in page_text(refused)
    [back] = xpath(lxml_html.fromstring(refused.text), "//main//a[text()='Retour à la recherche']")
    assert back.get("href") == "/fr/search?q=-logement&party=NDP"
    assert query("SELECT count(*) FROM alert_subscriptions") == [(0,)]
    bill = site.get("/fr/bills/44-1/C-11")
    assert "Recevoir des alertes par courriel" in page_text(bill)
    # A form altered to follow a bill not in our records: told in French, the engine's own
    # (English) words marked as such and announced as English.
    altered = site.submit(bill, FOLLOW_FORM, {"email": reader, "number": "C-999"})
    assert altered.status_code == 404
    [notice] = xpath(lxml_html.fromstring(altered.text), "//main//p[@class='notice']")
    assert notice.text.startswith("Ce qui n’allait pas (message en anglais)")
    [detail] = xpath(notice, "./span[@lang='en']")
    assert "C-999" in detail.text_content()
    for page in (bill, site.get("/fr/votes/43-2/69"), site.get("/fr/search?q=logement&party=NDP")):
        assert page.status_code == 200, page.url
        answer = site.submit(page, FOLLOW_FORM, {"email": reader, "cadence": "daily"})
        assert answer.status_code == 200, answer.text
        assert "Consultez votre boîte de réception" in page_text(answer)
    follows = query(
        "SELECT s.kind, s.cadence, r.language, q.query, q.language, p.short_name_en"
        " FROM alert_subscriptions s JOIN alert_recipients r ON r.id = s.recipient_id"
        " LEFT JOIN alert_searches q ON q.id = s.search_id LEFT JOIN parties p ON p.id = q.party_id"
        " ORDER BY s.id"
    )
    assert follows == [
        ("bill", "daily", "fr", None, None, None),
        ("division", "daily", "fr", None, None, None),
        ("search", "daily", "fr", "logement", "any", "NDP"),
    ]
    delivery.send_due(alerts_db, site.settings)
    messages = smtp.wait_for(reader, 3)
    assert all(m["Subject"].startswith("Confirmez votre alerte OpenPolicy") for m in messages)
    for message in messages:
        path = link_path(message, "confirm")
        assert path.startswith("/fr/alerts/confirm/")
        asked = site.get(path)
        assert "Confirmez votre alerte" in page_text(asked)
        done = site.submit(asked, "//main//form")
        assert "Votre alerte est activée" in page_text(done)
    assert query("SELECT DISTINCT status FROM alert_subscriptions") == [("active",)]

    [manage_link] = xpath(
        lxml_html.fromstring(done.text), "//main//a[contains(@href, '/alerts/manage/')]"
    )
    manage_path = manage_link.get("href")
    assert manage_path.startswith("/fr/alerts/manage/")
    manage = site.get(manage_path)
    text = page_text(manage)
    assert "Vos alertes" in text and "Envoyées à lectrice@exemple.ca." in text
    assert "Projet de loi C-11 (44-1)" in text
    assert "Vote 69 (43-2)" in text
    assert "Interventions contenant « logement » — NPD" in text
    assert text.count("Une fois par jour (résumé)") >= 3
    # Stop the division from the manage page: back to it, two alerts left.
    division_id = query("SELECT id FROM alert_subscriptions WHERE kind = 'division'")[0][0]
    stopped = site.submit(manage, f"//form[@id='stop-{division_id}']")
    assert stopped.status_code == 303 and stopped.headers["Location"].startswith(
        "/fr/alerts/manage/"
    )
    assert [row[0] for row in query("SELECT kind FROM alert_subscriptions ORDER BY id")] == [
        "bill",
        "search",
    ]
    # The stop link of an e-mail: a GET asks, the POST stops.
    manage = site.get(stopped.headers["Location"])
    [stop_form, *_] = xpath(lxml_html.fromstring(manage.text), "//form[starts-with(@id, 'stop-')]")
    asked = site.get(str(stop_form.get("action")))
    assert "Arrêter cette alerte ?" in page_text(asked)
    assert query("SELECT count(*) FROM alert_subscriptions") == [(2,)]
    done = site.submit(asked, "//main//form")
    assert "Alerte arrêtée" in page_text(done)
    assert query("SELECT count(*) FROM alert_subscriptions") == [(1,)]
    # Unsubscribing from the manage page's button removes the rest and the address.
    manage = site.get(manage_path)
    gone = site.submit(manage, "//main//form[contains(@action, '/unsubscribe/')]")
    assert "Vous êtes désabonné" in page_text(gone)
    assert query("SELECT count(*) FROM alert_recipients") == [(0,)]


def test_no_enumeration_limits_and_cross_site_posts(
    alerts_db: URL, smtp: Mailbox, query: Query
) -> None:
    sites = contextmanager(site_for)(
        alerts_db,
        smtp,
        alerts_signups_per_address_per_day=2,
        alerts_signups_per_ip_per_hour=6,
    )
    with sites as site:
        load(alerts_db, site.settings, "members")
        page = site.get(f"/members/{member_id(query, 'Gord Johns')}")

        def sign_up(email: str) -> httpx.Response:
            return site.submit(page, FOLLOW_FORM, {"email": email})

        # New, pending, over its daily limit, confirmed: four identical answers.
        answers = [sign_up("known@example.ca") for _ in range(3)]
        delivery.send_due(alerts_db, site.settings)
        messages = smtp.wait_for("known@example.ca", 2)
        confirm = site.get(link_path(messages[0], "confirm"))
        site.submit(confirm, "//main//form")
        answers.append(sign_up("known@example.ca"))
        assert {a.status_code for a in answers} == {200}
        assert len({a.text for a in answers}) == 1
        assert (
            len(
                {
                    tuple(
                        sorted(
                            (k, v)
                            for k, v in a.headers.items()
                            if k not in ("date", "x-request-id", "content-length")
                        )
                    )
                    for a in answers
                }
            )
            == 1
        )
        delivery.send_due(alerts_db, site.settings)
        assert len(smtp.to("known@example.ca")) == 2  # the daily limit held, silently

        # Mistakes the reader can fix are told: an address that is not one.
        wrong = sign_up("not-an-address")
        assert wrong.status_code == 422
        assert 'aria-invalid="true"' in wrong.text and "name@example.ca" in page_text(wrong)

        # Another site's form is refused, by Origin or by Referer; nothing is stored.
        before = query("SELECT count(*) FROM alert_signups")
        for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}):
            refused = site.client.post(
                "/alerts/follow",
                data={"kind": "member", "member_id": "1", "email": "victim@example.ca"},
                headers=headers,
            )
            assert refused.status_code == 403
            assert "another site" in page_text(refused)
        assert query("SELECT count(*) FROM alert_signups") == before

        # Past the per-IP limit: 429 with Retry-After, whatever the address.
        statuses = [sign_up(f"reader{n}@example.ca").status_code for n in range(4)]
        assert statuses == [200, 200, 429, 429]  # 6 an hour: 4 counted before, then 2
        limited = sign_up("someone@example.ca")
        assert limited.headers["Retry-After"] == "3600"
        assert "Too many sign-ups" in page_text(limited)

        # Forged and altered links open a page saying so, and change nothing.
        state = "SELECT id, status, cadence, recipient_id FROM alert_subscriptions ORDER BY id"
        before_links = query(state)
        token = link_path(messages[0], "confirm").rsplit("/", 1)[1]
        for path in (
            "/alerts/confirm/" + token[:-2] + "xx",
            "/alerts/manage/" + token,  # a confirm token is not a manage token
            "/alerts/unsubscribe/garbage",
            "/fr/alerts/stop/a.b",
        ):
            for method in ("GET", "POST"):
                answer = site.client.request(method, path)
                assert answer.status_code == 404, (method, path)
                assert "This link does not work" in page_text(answer) or "Ce lien" in page_text(
                    answer
                )
        assert query(state) == before_links
        assert query("SELECT count(*) FROM alert_recipients") == [(3,)]
