"""The auth machinery a process builds once: password hashing and access tokens."""

from dataclasses import dataclass
from datetime import timedelta

from shopgraph.auth.passwords import Passwords
from shopgraph.auth.secret import jwt_secret
from shopgraph.auth.tokens import AccessTokens
from shopgraph.server.settings import Settings


def passwords_from(settings: Settings) -> Passwords:
    """Needs no JWT secret: commands that only hash passwords use it directly."""
    return Passwords(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        concurrency=settings.password_hashing_concurrency,
    )


@dataclass(frozen=True, slots=True)
class AuthServices:
    passwords: Passwords
    tokens: AccessTokens

    @classmethod
    def from_settings(cls, settings: Settings) -> "AuthServices":
        """Raises MissingSecret in production without SHOPGRAPH_JWT_SECRET."""
        return cls(
            passwords=passwords_from(settings),
            tokens=AccessTokens(
                jwt_secret(settings),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                lifetime=timedelta(minutes=settings.access_token_minutes),
            ),
        )
