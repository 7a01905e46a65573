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


HOW_TO_GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def jwt_secret(settings: Settings) -> str:
    """The configured secret (SHOPGRAPH_JWT_SECRET, or the file SHOPGRAPH_JWT_SECRET_FILE
    names); in development without either, one generated once and kept in the data dir."""
    if settings.jwt_secret is not None and settings.jwt_secret_file is not None:
        raise MissingSecret(
            "set SHOPGRAPH_JWT_SECRET or SHOPGRAPH_JWT_SECRET_FILE, not both: which one signs?"
        )
    if settings.jwt_secret_file is not None:
        return _long_enough(
            _read_secret_file(settings.jwt_secret_file),
            f"the secret in SHOPGRAPH_JWT_SECRET_FILE ({settings.jwt_secret_file})",
        )
    if settings.jwt_secret is not None:
        return _long_enough(settings.jwt_secret.get_secret_value(), "SHOPGRAPH_JWT_SECRET")
    if settings.is_production:
        raise MissingSecret(
            "production needs SHOPGRAPH_JWT_SECRET or SHOPGRAPH_JWT_SECRET_FILE (at least "
            f"{MIN_SECRET_BYTES} bytes); generate one with: {HOW_TO_GENERATE}"
        )
    return _development_secret(settings.data_dir / "jwt-secret")


def _long_enough(secret: str, named: str) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise MissingSecret(
            f"{named} must be at least {MIN_SECRET_BYTES} bytes; "
            f"generate one with: {HOW_TO_GENERATE}"
        )
    return secret


def _read_secret_file(path: Path) -> str:
    """The file's text without the line end that editors and `echo` add."""
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = (error.strerror or str(error)) if isinstance(error, OSError) else "not UTF-8"
        raise MissingSecret(f"SHOPGRAPH_JWT_SECRET_FILE: cannot read {path}: {reason}") from error


def access_tokens_from(settings: Settings) -> AccessTokens:
    """Raises MissingSecret in production without a secret, and for a short or unreadable one."""
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
