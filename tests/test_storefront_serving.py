"""The built storefront at /: its files, index.html for its pages, never over the API.

A tiny build is written into a temporary directory, so these tests need no npm.
"""

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from shopgraph.server.embedded import free_port
from shopgraph.server.storefront import announce_storefront
from tests.conftest import running_app, without_cost

INDEX = (
    '<!doctype html><title>Test store</title><script type="module" src="/assets/app-abc123.js">'
    "</script>\n"
)
SCRIPT = "document.title = 'Shop';\n"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
IMMUTABLE = "public, max-age=31536000, immutable"


def build(directory: Path) -> Path:
    """What `npm run build` leaves, in miniature."""
    (directory / "assets").mkdir(parents=True)
    (directory / "index.html").write_text(INDEX)
    (directory / "assets" / "app-abc123.js").write_text(SCRIPT)
    (directory / "robots.txt").write_text("User-agent: *\n")
    return directory


@pytest.fixture(scope="module")
async def store(make_settings, tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:
    """An app serving a built storefront, with metrics on a port of their own (so that
    /metrics is not a route of the public port)."""
    dist = build(tmp_path_factory.mktemp("dist"))
    settings = make_settings(storefront_dir=dist, metrics_port=free_port())
    async with running_app(settings) as http:
        yield http


def policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = response.headers["content-security-policy"].split(";")
    return {name: sources for name, *sources in (d.split() for d in directives)}


def assert_is_index(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]


async def test_the_root_is_the_index_page_with_its_security_headers(store):
    response = await store.get("/", headers=BROWSER)

    assert_is_index(response)
    # The app's socket: 'self' covers it in browsers that implement CSP 3, the host in all.
    assert policy(response)["connect-src"] == [
        "'self'",
        "ws://shopgraph.test",
        "wss://shopgraph.test",
    ]


async def test_client_side_routes_get_the_index_page_on_a_direct_visit(store):
    for path in ("/cart", "/products/ABC", "/orders/T3JkZXI6eHl6", "/cart/", "/no/such/page"):
        assert_is_index(await store.get(path, headers=BROWSER))
        assert_is_index(await store.get(path))  # a path without an extension, asked by curl


async def test_a_product_page_whose_sku_has_a_dot_opens_in_a_browser(store):
    assert_is_index(await store.get("/products/PEN-0.5", headers=BROWSER))
    # A script or an image asking for a name with an extension is told it is not there.
    assert (await store.get("/products/PEN-0.5", headers={"Accept": "*/*"})).status_code == 404


async def test_the_index_page_by_its_own_name_has_the_same_headers(store):
    assert_is_index(await store.get("/index.html"))


async def test_hashed_assets_are_kept_for_a_year(store):
    response = await store.get("/assets/app-abc123.js")

    assert response.status_code == 200
    assert response.text == SCRIPT
    assert response.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


async def test_a_revalidated_file_is_not_sent_again_and_keeps_its_caching(store):
    asset = await store.get("/assets/app-abc123.js")
    index = await store.get("/cart")

    again = await store.get(
        "/assets/app-abc123.js", headers={"If-None-Match": asset.headers["etag"]}
    )
    page = await store.get("/products/X", headers={"If-None-Match": index.headers["etag"]})

    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["cache-control"] == IMMUTABLE
    assert (page.status_code, page.content) == (304, b"")
    assert page.headers["cache-control"] == "no-cache"


async def test_other_files_of_the_build_are_served_and_revalidated(store):
    response = await store.get("/robots.txt")

    assert response.status_code == 200
    assert response.text == "User-agent: *\n"
    assert response.headers["cache-control"] == "no-cache"


async def test_a_missing_file_is_not_found_not_the_index_page(store):
    for path in (
        "/favicon.ico",
        "/assets/missing.js",
        "/assets/missing",  # under /assets/ only files are found
        "/assets",
        "/assets/",
        "/..%2F..%2Fpyproject.toml",
        "/%2E%2E/%2E%2E/pyproject.toml",
    ):
        response = await store.get(path)
        assert response.status_code == 404, path
        assert "Test store" not in response.text, path
        assert "[project]" not in response.text, path


async def test_head_answers_like_get_without_a_body(store):
    page = await store.head("/cart")
    asset = await store.head("/assets/app-abc123.js")

    assert (page.status_code, page.content) == (200, b"")
    assert page.headers["content-length"] == str(len(INDEX))
    assert "content-security-policy" in page.headers
    assert (asset.status_code, asset.headers["cache-control"]) == (200, IMMUTABLE)


async def test_other_methods_are_not_allowed(store):
    response = await store.post("/cart", content=b"x")

    assert response.status_code == 405
    assert "Test store" not in response.text


async def test_graphiql_and_the_api_are_never_shadowed(store):
    graphiql = await store.get("/graphql", headers=BROWSER)
    query = await store.get("/graphql", params={"query": "{ __typename }"})
    put = await store.put("/graphql", content=b"{}")
    health = await store.get("/healthz")

    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()
    assert "Test store" not in graphiql.text
    assert without_cost(query.json()) == {"data": {"__typename": "Query"}}
    assert put.status_code == 405  # the route's answer: GET, POST
    assert health.json() == {"status": "ok"}
    for path in (
        "/graphql/",  # redirected to /graphql, as before
        "/graphql/more",
        "/media/nope",
        "/media/x/y/z",
        "/metrics",  # on a port of its own here
        "/healthz/x",
        "/graphiql-assets/react/missing.js",
        "/graphiql-assets",
    ):
        response = await store.get(path, headers=BROWSER, follow_redirects=True)
        assert "Test store" not in response.text, path
        assert response.status_code in (200, 404, 405), path
        if path == "/graphql/":
            assert "graphiql" in response.text.lower()
        else:
            assert response.status_code == 404, path


async def test_the_policy_allows_images_from_the_media_cdn(make_settings, tmp_path):
    settings = make_settings(
        storefront_dir=build(tmp_path / "dist"), media_base_url="https://cdn.example.com/"
    )
    async with running_app(settings) as http:
        response = await http.get("/")

    assert policy(response)["img-src"] == ["'self'", "data:", "https://cdn.example.com"]


async def test_a_host_header_unfit_for_the_policy_is_left_out_of_it(store):
    response = await store.get("/", headers={"Host": "evil.test; script-src *"})

    assert policy(response)["script-src"] == ["'self'"]
    assert policy(response)["connect-src"] == ["'self'"]


async def test_the_storefront_is_off_in_production(make_settings, tmp_path):
    settings = make_settings(
        storefront_dir=build(tmp_path / "dist"), environment="production", allow_test_gateway=True
    )
    async with running_app(settings) as http:
        for path in ("/", "/cart", "/assets/app-abc123.js", "/index.html"):
            response = await http.get(path, headers=BROWSER)
            assert response.status_code == 404, path
            assert "Test store" not in response.text


async def test_production_serves_it_when_asked_to(make_settings, tmp_path):
    settings = make_settings(
        storefront_dir=build(tmp_path / "dist"),
        environment="production",
        allow_test_gateway=True,
        storefront=True,
    )
    async with running_app(settings) as http:
        assert_is_index(await http.get("/cart"))


async def test_the_storefront_is_off_by_setting(make_settings, tmp_path):
    settings = make_settings(storefront_dir=build(tmp_path / "dist"), storefront=False)
    async with running_app(settings) as http:
        for path in ("/", "/cart", "/assets/app-abc123.js"):
            assert (await http.get(path, headers=BROWSER)).status_code == 404, path


async def test_before_it_is_built_the_root_says_so_and_a_build_shows_without_a_restart(
    make_settings, tmp_path
):
    dist = tmp_path / "dist"
    async with running_app(make_settings(storefront_dir=dist)) as http:
        before = await http.get("/", headers=BROWSER)
        page = await http.get("/cart", headers=BROWSER)
        asset = await http.get("/assets/app-abc123.js")
        build(dist)
        after = await http.get("/", headers=BROWSER)

    assert before.status_code == 503
    assert before.headers["content-type"].startswith("text/html")
    assert before.headers["cache-control"] == "no-store"
    assert "The storefront is not built" in before.text
    assert "Node.js and npm" in before.text
    assert "<code>make run</code> builds it" in before.text
    assert '<a href="/graphql">/graphql</a>' in before.text
    assert page.status_code == 503
    assert asset.status_code == 404
    assert_is_index(after)


def test_start_up_names_the_storefront_or_says_it_is_not_built(
    make_settings, tmp_path, capsys, caplog
):
    caplog.set_level(logging.INFO, logger="shopgraph")
    built = make_settings(storefront_dir=build(tmp_path / "dist"))
    unbuilt = make_settings(storefront_dir=tmp_path / "none")
    off = make_settings(storefront_dir=tmp_path / "dist", storefront=False)

    announce_storefront(built, "127.0.0.1", 8131)
    assert capsys.readouterr().out == "Shopgraph: storefront at http://127.0.0.1:8131/\n"
    announce_storefront(unbuilt, "127.0.0.1", 8131)
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "the storefront is not built: it needs Node.js and npm (`make run` builds it); "
        "the API and GraphiQL work without it"
    )
    caplog.clear()
    announce_storefront(off, "127.0.0.1", 8131)
    assert capsys.readouterr().out == ""
    assert caplog.records == []
