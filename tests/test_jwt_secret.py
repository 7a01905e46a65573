"""The development signing secret: made once, whole, however many processes start at once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shopgraph.auth.secret import jwt_secret
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
