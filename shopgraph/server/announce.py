"""What `serve` and `seed` tell the operator: printed with text logs, logged with JSON
logs, so that every line of a JSON run is JSON.

The demo accounts' passwords are printed once with text logs, on a developer's terminal.
With JSON logs they go to a log collector, where they must not be: they are written to
`SHOPGRAPH_DATA_DIR/demo-accounts` instead, readable by the owner only, and the log says
so. (Production creates no demo accounts at all.)
"""

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from shopgraph.auth.accounts import DemoAccount
from shopgraph.settings import LogFormat, Settings

logger = logging.getLogger("shopgraph")

DEMO_ACCOUNTS_FILE = "demo-accounts"


def say(settings: Settings, text: str) -> None:
    if settings.log_format_in_use is LogFormat.JSON:
        logger.info("%s", text)
    else:
        print(text, flush=True)


def announce_demo_accounts(settings: Settings, accounts: Sequence[DemoAccount]) -> None:
    if not accounts:
        return
    if settings.log_format_in_use is LogFormat.TEXT:
        for account in accounts:
            print(
                f"demo {account.role.lower()}: {account.email} / {account.password} "
                "(shown once; change it with changePassword)",
                flush=True,
            )
        return
    path = keep_demo_accounts(settings.data_dir / DEMO_ACCOUNTS_FILE, accounts)
    roles = " and ".join(account.role.lower() for account in accounts)
    logger.info(
        "created the demo %s accounts: their emails and passwords are in %s, "
        "readable by this user only",
        roles,
        path,
    )


def keep_demo_accounts(path: Path, accounts: Sequence[DemoAccount]) -> Path:
    """One line per account: role, email, password. Replaces what an earlier first start
    of another database left there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{account.role.lower()} {account.email} {account.password}\n" for account in accounts]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left by another umask or user
    with os.fdopen(descriptor, "w") as file:
        file.writelines(lines)
    return path
