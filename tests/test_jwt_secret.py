"""Where the signing secret comes from: in development made once, whole, however many
processes start at once; in production given, or read from the file SHOPGRAPH_JWT_SECRET_FILE."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shopgraph.auth.secret import MissingSecret, jwt_secret
from shopgraph.settings import Settings


def _race_for_a_secret(data_dir: Path, starters: int) -> list[str]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, environment="development", jwt_secret=None, data_dir=data_dir
    )
    barrier = threading.Barrier(starters)

    def start() -> str:
        barrier.wait()
        return jwt_secret(settings)

    with ThreadPoolExecutor(starters) as pool:
        return list(pool.map(lambda _: start(), range(starters)))


def test_servers_starting_together_on_a_fresh_data_dir_share_one_whole_secret(tmp_path):
    for attempt in range(50):
        data_dir = tmp_path / str(attempt)
        seen = _race_for_a_secret(data_dir, starters=8)

        kept = (data_dir / "jwt-secret").read_text()
        assert len(kept) >= 32
        assert seen == [kept] * 8
        assert [p.name for p in data_dir.iterdir()] == ["jwt-secret"]  # no drafts left behind


def _settings(**values) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_production_reads_the_secret_from_the_file_named(tmp_path):
    """As Docker and Kubernetes hand secrets over: a file, often with a line end."""
    path = tmp_path / "jwt-secret"
    path.write_text("k" * 48 + "\n")

    secret = jwt_secret(_settings(environment="production", jwt_secret_file=path))

    assert secret == "k" * 48


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "SHOPGRAPH_JWT_SECRET_FILE: cannot read {path}: No such file or directory"),
        ("short\n", "the secret in SHOPGRAPH_JWT_SECRET_FILE ({path}) must be at least 32 bytes"),
        (b"\xff" * 40, "SHOPGRAPH_JWT_SECRET_FILE: cannot read {path}: not UTF-8"),
    ],
    ids=["missing", "short", "binary"],
)
def test_a_secret_file_that_cannot_sign_is_refused_naming_it(tmp_path, content, message):
    path = tmp_path / "jwt-secret"
    if isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        path.write_bytes(content)

    with pytest.raises(MissingSecret) as refused:
        jwt_secret(_settings(environment="production", jwt_secret_file=path))

    assert str(refused.value).startswith(message.format(path=path))


def test_a_secret_and_a_secret_file_together_are_refused(tmp_path):
    path = tmp_path / "jwt-secret"
    path.write_text("f" * 48)

    with pytest.raises(MissingSecret, match="not both"):
        jwt_secret(_settings(jwt_secret="s" * 48, jwt_secret_file=path))
