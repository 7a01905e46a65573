"""GraphiQL that works offline: its scripts are served by the app, not a CDN.

The npm packages match Strawberry's page byte for byte (its SRI hashes still hold),
so the page only needs its CDN URLs pointed at the app's own copies.
"""

import logging
import re
from pathlib import Path

from starlette.staticfiles import StaticFiles

logger = logging.getLogger("shopgraph.graphiql")

ASSET_PREFIX = "/graphiql-assets"
CDN_URL = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@[\w.-]+/")


def referenced_packages(page: str) -> set[str]:
    return set(CDN_URL.findall(page))


def local_assets_present(page: str, assets_dir: Path) -> bool:
    packages = referenced_packages(page)
    return bool(packages) and all(
        (assets_dir / name / "package.json").is_file() for name in packages
    )


def serve_locally(page: str) -> str:
    """The page with every CDN asset URL rewritten to the app's asset route."""
    return CDN_URL.sub(lambda match: f"{ASSET_PREFIX}/{match.group(1)}/", page)


def asset_files(assets_dir: Path) -> StaticFiles:
    return StaticFiles(directory=assets_dir, check_dir=False)
