"""GraphiQL works with no internet: the page's scripts and styles come from the app."""

import base64
import hashlib
import re

from tests.conftest import PROJECT_ROOT, without_cost

BROWSER = {"Accept": "text/html,application/xhtml+xml"}
ASSET = re.compile(r'(?:src|href)="([^"]+)"\s+integrity="(sha384-[^"]+)"')


def sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


async def test_graphiql_page_and_every_asset_are_served_by_the_app(client):
    assert (PROJECT_ROOT / "graphiql" / "node_modules").is_dir(), (
        "GraphiQL assets are not installed: run `make install` (needs npm)"
    )
    page = await client.get("/graphql", headers=BROWSER)

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assets = ASSET.findall(page.text)
    assert len(assets) == 7  # react, react-dom, js-cookie, graphiql js+css, explorer js+css
    assert "unpkg.com" not in page.text
    for url, integrity in assets:
        assert url.startswith("/graphiql-assets/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert sri(asset.content) == integrity, f"{url} does not match its SRI hash"


async def test_without_local_assets_the_page_falls_back_to_the_cdn(
    app_with, make_settings, tmp_path
):
    async with app_with(make_settings(graphiql_assets_dir=tmp_path)) as http:
        page = await http.get("/graphql", headers=BROWSER)
        missing = await http.get("/graphiql-assets/react/umd/react.production.min.js")

    urls = [url for url, _ in ASSET.findall(page.text)]
    assert len(urls) == 7
    assert all(url.startswith("https://unpkg.com/") for url in urls)
    assert missing.status_code == 404


async def test_graphiql_is_off_in_production_by_default(app_with, make_settings):
    production = make_settings(environment="production", allow_test_gateway=True)
    async with app_with(production) as http:
        page = await http.get("/graphql", headers=BROWSER)
        assets = await http.get("/graphiql-assets/react/umd/react.production.min.js")
        query = await http.get("/graphql", params={"query": "{ __typename }"})

    assert "<html" not in page.text.lower()
    assert page.status_code == 404
    assert assets.status_code == 404
    assert without_cost(query.json()) == {"data": {"__typename": "Query"}}
