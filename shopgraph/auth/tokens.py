"""Access tokens (short-lived JWTs) and refresh tokens (random, opaque, stored hashed).

An access token names its session (`sid`) and when the session began (`auth_time`, at
millisecond precision), so a request can be refused once the session has ended
(see `auth.session_ends`).
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from bson import ObjectId

from shopgraph.clock import now_ms

ALGORITHM = "HS256"
LEEWAY_SECONDS = 30
ACCESS_TOKEN_TYPE = "access"
# Every token we issue has `sid` and `auth_time`: one without names no session that could be
# checked, and is refused like any other malformed token.
REQUIRED_CLAIMS = ["sub", "role", "sid", "auth_time", "iat", "exp", "iss", "aud", "jti", "typ"]
MIN_SECRET_BYTES = 32


class InvalidAccessToken(Exception):
    """The token is malformed, expired, forged or not meant for us; the message says which."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    role: str
    session_id: str
    session_started_ms: int  # epoch milliseconds of the login that began the session
    expires_at: datetime


def accepted_for(lifetime: timedelta) -> timedelta:
    """How long after it was issued a token of this lifetime may still be accepted."""
    return lifetime + timedelta(seconds=LEEWAY_SECONDS)


class AccessTokens:
    def __init__(self, secret: str, issuer: str, audience: str, lifetime: timedelta) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self.lifetime = lifetime

    def issue(
        self, user_id: str, role: str, session_id: str, session_started_ms: int | None = None
    ) -> str:
        """`session_started_ms` defaults to now: a session that begins with this token."""
        now = datetime.now(UTC)
        started_ms = now_ms() if session_started_ms is None else session_started_ms
        claims = {
            "sub": user_id,
            "role": role,
            "sid": session_id,
            "auth_time": started_ms / 1000,  # a NumericDate may carry a fraction
            "iat": now,
            "exp": now + self.lifetime,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
            "typ": ACCESS_TOKEN_TYPE,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> AccessClaims:
        """Only HS256 is accepted: `alg: none` and algorithm swaps fail like bad signatures."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidAccessToken("The access token has expired; refresh it.") from error
        except jwt.InvalidTokenError as error:
            raise InvalidAccessToken("The access token is invalid.") from error
        subject, session_id, started = claims["sub"], claims["sid"], claims["auth_time"]
        if (
            claims["typ"] != ACCESS_TOKEN_TYPE
            or not (isinstance(subject, str) and ObjectId.is_valid(subject))
            or not (isinstance(session_id, str) and session_id)
            or not _is_time(started)
        ):
            raise InvalidAccessToken("The access token is invalid.")
        return AccessClaims(
            user_id=subject,
            role=str(claims["role"]),
            session_id=session_id,
            session_started_ms=round(started * 1000),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )


def _is_time(value: object) -> bool:
    """A NumericDate: a finite number of seconds (a bool is no number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e11


def new_secret_token() -> str:
    """256 random bits, URL-safe, for refresh tokens and emailed account codes alike: the
    holder keeps the token, the database only its hash."""
    return secrets.token_urlsafe(32)


def secret_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_id() -> str:
    """Names a family of refresh tokens: one login and all its rotations."""
    return uuid.uuid4().hex
