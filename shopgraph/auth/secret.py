"""Where the JWT signing secret comes from, and the access tokens signed with it."""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from shopgraph.auth.tokens import MIN_SECRET_BYTES, AccessTokens
from shopgraph.settings import Settings


class MissingSecret(Exception):
    """Production must be given a real secret; the message says how."""


def jwt_secret(settings: Settings) -> str:
    """The configured secret; in development, one generated once and kept in the data dir."""
    if settings.jwt_secret is not None:
        secret = settings.jwt_secret.get_secret_value()
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise MissingSecret(
                f"SHOPGRAPH_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes; "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return secret
    if settings.is_production:
        raise MissingSecret(
            "production needs SHOPGRAPH_JWT_SECRET (at least 32 bytes); generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return _development_secret(settings.data_dir / "jwt-secret")


def access_tokens_from(settings: Settings) -> AccessTokens:
    """Raises MissingSecret in production without SHOPGRAPH_JWT_SECRET."""
    return AccessTokens(
        jwt_secret(settings),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        lifetime=timedelta(minutes=settings.access_token_minutes),
    )


def _development_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Written in full under a private name, then linked into place: a process starting
    # at the same moment sees either no file or the whole secret, never a partial one.
    descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=".jwt-secret-")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secret)
        os.link(draft, path)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    finally:
        os.unlink(draft)
    return secret
