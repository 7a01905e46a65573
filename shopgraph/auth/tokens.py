"""Access tokens (short-lived JWTs) and refresh tokens (random, opaque, stored hashed)."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from bson import ObjectId

ALGORITHM = "HS256"
LEEWAY_SECONDS = 30
ACCESS_TOKEN_TYPE = "access"
REQUIRED_CLAIMS = ["sub", "role", "iat", "exp", "iss", "aud", "jti", "typ"]
MIN_SECRET_BYTES = 32


class InvalidAccessToken(Exception):
    """The token is malformed, expired, forged or not meant for us; the message says which."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    role: str
    session_id: str | None
    expires_at: datetime


class AccessTokens:
    def __init__(self, secret: str, issuer: str, audience: str, lifetime: timedelta) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self.lifetime = lifetime

    def issue(self, user_id: str, role: str, session_id: str) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": user_id,
            "role": role,
            "sid": session_id,
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
        subject = claims["sub"]
        if claims["typ"] != ACCESS_TOKEN_TYPE or not (
            isinstance(subject, str) and ObjectId.is_valid(subject)
        ):
            raise InvalidAccessToken("The access token is invalid.")
        session_id = claims.get("sid")
        return AccessClaims(
            user_id=claims["sub"],
            role=str(claims["role"]),
            session_id=session_id if isinstance(session_id, str) else None,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )


def new_refresh_token() -> str:
    """256 random bits; the client keeps the token, the database only its hash."""
    return secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_id() -> str:
    """Names a family of refresh tokens: one login and all its rotations."""
    return uuid.uuid4().hex
