"""The review tool's security through `app.test_client`: every route needs a session
(HTML: redirect to the login page, API: 401), every POST a CSRF token (403), admin pages
an admin (403 for a reviewer); login is rate limited (429, Swedish message); cookies are
HttpOnly, SameSite=Strict, Secure over TLS; citizens' text is shown escaped."""

from __future__ import annotations

import re
import time

import pytest
from sanic import Sanic

from bot.review import accounts
from bot.review.tables import engine_for
from bot.web import WebConfig, create_app
from tests.helpers.review import (
    PASSWORD,
    XSS_TEXT,
    Client,
    add_staff,
)

PUBLIC = {"/granska/logga-in", "/granska/static/<__file_uri__:path>"}


@pytest.fixture
def db_url(db_url) -> str:
    """tests/integration/conftest.py's, with the admin `adam` as well."""
    add_staff(db_url, "adam", accounts.ADMIN)
    return db_url


@pytest.fixture
def app(db_url) -> Sanic:
    return create_app(WebConfig(tracker_db_url=db_url), features=("review",))


def review_routes(app: Sanic) -> list[tuple[str, str]]:
    """(method, path) of every review route, with sample values for parameters."""
    routes = []
    for route in app.router.routes:
        path = "/" + route.path if not route.path.startswith("/") else route.path
        if not path.startswith("/granska") or path in PUBLIC:
            continue
        path = re.sub(r"<sender_id:str>", "bygglov-1", path)
        path = re.sub(r"<event_id:int>", "1", path)
        path = re.sub(r"<kind:str>", "traningsdata.yml", path)
        path = re.sub(r"<number:str>", "SF-2026-00001", path)
        path = re.sub(r"<service_id:str>", "bygglov", path)
        path = re.sub(r"<version:int>", "1", path)
        assert "<" not in path, path
        for method in route.methods:
            if method in ("GET", "POST"):
                routes.append((method, path))
    return sorted(set(routes))


def test_the_review_feature_is_mounted_by_default(db_url):
    app = create_app(WebConfig(tracker_db_url=db_url))
    assert review_routes(app)


def test_routes_are_found(app):
    routes = review_routes(app)
    assert ("GET", "/granska/") in routes or ("GET", "/granska") in routes
    assert ("POST", "/granska/samtal/bygglov-1/tagg") in routes
    assert ("GET", "/granska/api/samtal") in routes
    assert len(routes) >= 20


def test_every_route_without_a_session_redirects_to_login_or_is_401(app):
    client = Client(app)
    for method, path in review_routes(app):
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, {"csrf_token": "x"})
        if path.startswith("/granska/api/"):
            assert response.status == 401, (method, path)
            assert response.json == {"error": "not_logged_in"}
        else:
            assert response.status == 302, (method, path, response.status)
            assert response.headers["location"].startswith("/granska/logga-in?next=")


def test_an_expired_or_forged_session_is_no_session(app, db_url):
    client = Client(app)
    client.cookies["granska_session"] = "forged-token"
    assert client.get("/granska/").status == 302
    assert client.get("/granska/api/samtal").status == 401


def test_login_lands_where_the_user_was_going(app):
    client = Client(app)
    first = client.get("/granska/samtal/bygglov-1")
    assert first.status == 302
    target = first.headers["location"]
    page = client.get(target)
    assert 'name="next" value="/granska/samtal/bygglov-1"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/granska/logga-in",
        {
            "csrf_token": token,
            "username": "rita",
            "password": PASSWORD,
            "next": "/granska/samtal/bygglov-1",
        },
    )
    assert response.status == 303
    assert response.headers["location"] == "/granska/samtal/bygglov-1"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil", "/api/chat", "javascript:alert(1)"],
)
def test_no_open_redirect_after_login(app, target):
    client = Client(app)
    page = client.get("/granska/logga-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/granska/logga-in",
        {"csrf_token": token, "username": "rita", "password": PASSWORD, "next": target},
    )
    assert response.headers["location"] == "/granska/"


def test_session_cookie_flags(app):
    client = Client(app)
    response = client.login("rita")
    assert response.status == 303
    cookie = next(
        v
        for k, v in response.headers.items()
        if k.lower() == "set-cookie" and v.startswith("granska_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/granska" in cookie
    assert "Secure" not in cookie  # plain http in the test


def test_session_cookie_is_secure_behind_tls_proxy(app):
    client = Client(app)
    response = client.login("rita", headers={"X-Forwarded-Proto": "https"})
    cookie = next(
        v
        for k, v in response.headers.items()
        if k.lower() == "set-cookie" and v.startswith("granska_session=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_login_without_csrf_token_is_403(app):
    client = Client(app)
    client.get("/granska/logga-in")
    response = client.post(
        "/granska/logga-in", {"username": "rita", "password": PASSWORD}, csrf=False
    )
    assert response.status == 403
    assert "granska_session" not in client.cookies


def set_cookie_header(response, name: str) -> str:
    """The Set-Cookie line for `name` (the test client joins several with ", ")."""
    lines = [
        line
        for k, v in response.headers.items()
        if k.lower() == "set-cookie"
        for line in re.split(r", (?=[\w-]+=)", v)
    ]
    return next(line for line in lines if line.startswith(f"{name}="))


def test_login_csrf_cookie_over_tls_is_a_host_only_cookie(app):
    """A plain double-submit cookie can be planted by a sibling subdomain or over plain
    HTTP (cookie tossing); a `__Host-` cookie only by this host over HTTPS."""
    tls = {"X-Forwarded-Proto": "https"}
    client = Client(app)
    page = client.get("/granska/logga-in", headers=tls)
    cookie = set_cookie_header(page, "__Host-granska_login_csrf")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert re.search(r"Path=/(;|$)", cookie) and "Domain" not in cookie
    assert "granska_login_csrf" not in client.cookies  # only the __Host- one
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    login = {"csrf_token": token, "username": "rita", "password": PASSWORD}

    # The same token in the cookie without the prefix, as a planted one would be: refused.
    _, planted = app.test_client.post(
        "/granska/logga-in",
        data=login,
        cookies={"granska_login_csrf": token},
        headers=tls,
        allow_redirects=False,
    )
    assert planted.status == 403

    response = client.post("/granska/logga-in", login, headers=tls)
    assert response.status == 303
    cleared = set_cookie_header(response, "__Host-granska_login_csrf")  # after login
    assert "Max-Age=0" in cleared and re.search(r"Path=/(;|$)", cleared)


def test_wrong_password_is_401_in_swedish(app):
    client = Client(app)
    response = client.login("rita", "wrong password!")
    assert response.status == 401
    assert "Fel användarnamn eller lösenord" in response.text
    assert "granska_session" not in client.cookies


def test_every_post_without_csrf_token_is_403(app):
    client = Client(app)
    assert client.login("adam").status == 303
    for method, path in review_routes(app):
        if method != "POST":
            continue
        for data in ({}, {"csrf_token": "wrong"}):
            response = client.post(
                path,
                {
                    **data,
                    "tag": "x",
                    "text": "x",
                    "granskad": "ja",
                    "username": "rita",
                    "intent": "greet",
                },
                csrf=False,
            )
            assert response.status == 403, (path, data, response.status)
    # Nothing changed: rita still exists, bygglov-1 has no tag.
    assert accounts.get_user(engine_for(app.ctx.config.tracker_db_url), "rita")
    assert client.get("/granska/api/samtal/bygglov-1").json["tags"] == []


def test_csrf_token_of_another_session_is_refused(app):
    first, second = Client(app), Client(app)
    first.login("rita")
    second.login("adam")
    response = second.post(
        "/granska/samtal/bygglov-1/tagg", {"csrf_token": first.csrf, "tag": "x"}, csrf=False
    )
    assert response.status == 403


def test_csrf_token_in_header_is_accepted(app):
    client = Client(app)
    client.login("rita")
    response = client.post(
        "/granska/samtal/bygglov-1/tagg",
        {"tag": "via-header"},
        csrf=False,
        headers={"X-CSRF-Token": client.csrf},
    )
    assert response.status == 303


ADMIN_PATHS = [
    "/granska/admin/anvandare",
    "/granska/admin/installningar",
    "/granska/admin/logg",
    "/granska/export/samtal.csv",
    "/granska/utlamnande",
    "/granska/utlamnande/samtal/bygglov-1",
]


def test_reviewer_cannot_reach_admin_routes(app):
    client = Client(app)
    client.login("rita")
    for path in ADMIN_PATHS:
        response = client.get(path)
        assert response.status == 403, path
        assert "administratör" in response.text
    for path in (
        "/granska/admin/anvandare",
        "/granska/admin/anvandare/ta-bort",
        "/granska/samtal/bygglov-1/bevara",
        "/granska/samtal/bygglov-1/bevara/hav",
    ):
        response = client.post(path, {"username": "adam", "role": "admin", "password": "x" * 20})
        assert response.status == 403, path
    assert accounts.get_user(engine_for(app.ctx.config.tracker_db_url), "adam")


def test_reviewer_reaches_reviewer_pages(app):
    client = Client(app)
    client.login("rita")
    for path in (
        "/granska/",
        "/granska/nlu",
        "/granska/oversikt",
        "/granska/samtal/bygglov-1",
        "/granska/nlu/export/traningsdata.yml",
        "/granska/nlu/export/tester.yml",
        "/granska/api/samtal",
        "/granska/api/nlu",
        "/granska/api/oversikt",
    ):
        assert client.get(path).status == 200, path
    page = client.get("/granska/")
    assert "/granska/admin/anvandare" not in page.text  # no admin links for reviewers
    assert "samtal.csv" not in page.text


def test_admin_reaches_admin_routes(app):
    client = Client(app)
    client.login("adam")
    for path in ADMIN_PATHS:
        assert client.get(path).status == 200, path


def test_failed_logins_slow_an_account_down_without_locking_it_or_its_colleagues(app, db_url):
    """Many wrong passwords under one name (an attacker, or a colleague's typos): that
    account waits at most ACCOUNT_MAX_WAIT between tries; others log in at once."""
    engine = engine_for(db_url)
    now = time.time()
    for n in range(50):
        accounts.record_failure(engine, "rita", f"10.1.0.{n}", now=now)
    client = Client(app)
    response = client.login("rita")  # even the right password must wait
    assert response.status == 429
    assert 0 < int(response.headers["retry-after"]) <= accounts.ACCOUNT_MAX_WAIT
    assert "För många misslyckade inloggningar" in response.text
    assert "granska_session" not in client.cookies
    assert Client(app).login("adam").status == 303  # same address, other account


def test_backoff_per_account_grows_and_is_capped(db_url):
    engine = engine_for(db_url)
    t0 = 1_000_000.0
    waits = []
    for n in range(12):
        waits.append(accounts.seconds_until_allowed(engine, "rita", "10.0.0.1", now=t0))
        accounts.record_failure(engine, "rita", f"10.0.0.{n}", now=t0)
    assert waits[: accounts.ACCOUNT_FREE_FAILURES] == [0] * accounts.ACCOUNT_FREE_FAILURES
    assert waits[accounts.ACCOUNT_FREE_FAILURES : accounts.ACCOUNT_FREE_FAILURES + 3] == [2, 4, 8]
    assert max(waits) == accounts.ACCOUNT_MAX_WAIT  # never a lock
    wait = accounts.seconds_until_allowed(engine, "rita", "10.0.0.99", now=t0)
    assert accounts.seconds_until_allowed(engine, "rita", "10.0.0.99", now=t0 + wait) == 0
    assert accounts.seconds_until_allowed(engine, "adam", "10.0.0.99", now=t0) == 0
    # Failures older than the window no longer count.
    later = t0 + accounts.FAILURE_WINDOW + 1
    accounts.record_failure(engine, "rita", "10.0.0.1", now=later)
    assert accounts.seconds_until_allowed(engine, "rita", "10.0.0.1", now=later) == 0


def test_one_proxy_address_for_all_staff_is_slowed_not_locked(db_url):
    """Behind the municipality's proxy every login comes from one address: ordinary
    typos of many colleagues do not stop anyone, and even an attack from there only
    makes everyone wait at most ADDRESS_MAX_WAIT."""
    engine = engine_for(db_url)
    t0 = 1_000_000.0
    proxy = "10.0.0.1"
    for n in range(accounts.ADDRESS_FREE_FAILURES - 1):
        accounts.record_failure(engine, f"colleague{n}", proxy, now=t0)
    assert accounts.seconds_until_allowed(engine, "adam", proxy, now=t0) == 0
    for n in range(200):
        accounts.record_failure(engine, f"attacker{n}", proxy, now=t0)
    wait = accounts.seconds_until_allowed(engine, "adam", proxy, now=t0)
    assert 0 < wait <= accounts.ADDRESS_MAX_WAIT
    assert accounts.seconds_until_allowed(engine, "adam", proxy, now=t0 + wait) == 0
    assert accounts.seconds_until_allowed(engine, "adam", "10.9.9.9", now=t0) == 0


def test_logout_ends_the_session(app):
    client = Client(app)
    client.login("rita")
    token = client.cookies["granska_session"]
    response = client.post("/granska/logga-ut")
    assert response.status == 303
    client.cookies["granska_session"] = token  # even if the browser kept it
    assert client.get("/granska/").status == 302


def test_removed_user_is_logged_out(app, db_url):
    client = Client(app)
    client.login("rita")
    accounts.remove_user(engine_for(db_url), "rita")
    assert client.get("/granska/").status == 302


def test_citizen_text_is_escaped_everywhere(app):
    client = Client(app)
    client.login("adam")
    for path in ("/granska/", "/granska/samtal/xss-1", "/granska/nlu", "/granska/?sok=script"):
        page = client.get(path).text
        assert "<script>alert" not in page, path
        assert "<img src=x onerror" not in page, path
        assert "&lt;script&gt;alert(" in page, path
    transcript = client.get("/granska/samtal/xss-1").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in transcript
    # and the API gives it back as data, not markup
    lines = client.get("/granska/api/samtal/xss-1").json["lines"]
    assert any(line.get("text") == XSS_TEXT for line in lines)


def test_staff_input_is_escaped_too(app):
    client = Client(app)
    client.login("rita")
    client.post("/granska/samtal/bygglov-1/anteckning", {"text": "<script>alert('note')</script>"})
    page = client.get("/granska/samtal/bygglov-1").text
    assert "<script>alert('note')" not in page
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;" in page


def test_security_headers(app):
    client = Client(app)
    for path in ("/granska/logga-in", "/granska/"):
        response = client.get(path)
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
    client.login("rita")
    assert client.get("/granska/samtal/bygglov-1").headers["cache-control"] == "no-store"


def test_unknown_conversation_is_404_in_swedish(app):
    client = Client(app)
    client.login("rita")
    response = client.get("/granska/samtal/finns-inte")
    assert response.status == 404
    assert "Samtalet finns inte" in response.text
    assert client.get("/granska/api/samtal/finns-inte").status == 404


def test_static_stylesheet_needs_no_session(app):
    response = Client(app).get("/granska/static/review.css")
    assert response.status == 200 and ":root" in response.text


def test_passwords_are_stored_as_argon2_hashes(db_url):
    import sqlalchemy as sa

    from bot.review.tables import users

    with engine_for(db_url).connect() as connection:
        hashes = connection.execute(sa.select(users.c.password_hash)).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)
