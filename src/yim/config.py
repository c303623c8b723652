"""Typed readers for environment variables.

Every setting yim reads from the environment goes through one of these helpers, so that a
wrong value stops the process with a message that names the variable and the expected form,
instead of surfacing later as a puzzling error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import unquote, urlsplit


class ConfigError(Exception):
    """An environment variable holds a value yim cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use one of: 1, 0, true, false, yes, no.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ConfigError(
            f"{name} is set but empty; give a comma-separated list, e.g. 'a.nl,b.nl'."
        )
    return items


def env_networks(name: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """A comma-separated list of IP addresses and networks (``10.0.0.5, 10.1.0.0/16``)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return ()
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"{name}: {item!r} is not an IP address or network; give a comma-separated "
                "list such as '127.0.0.1, 10.0.0.0/8'."
            ) from None
    return tuple(networks)


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    path = Path(raw.strip()).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    return path


@dataclass(frozen=True)
class DatabaseConfig:
    engine: str  # "sqlite" or "postgresql"
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"


def parse_database_url(name: str, raw: str | None, default_sqlite: Path) -> DatabaseConfig:
    """Parse ``sqlite:///path`` or ``postgresql://user:pw@host:port/db``."""
    if raw is None or not raw.strip():
        return DatabaseConfig(engine="sqlite", name=str(default_sqlite))
    value = raw.strip()
    parts = urlsplit(value)
    expected = (
        "expected sqlite:///absolute/path.sqlite3 or postgresql://user:password@host:port/dbname"
    )
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ConfigError(f"{name}={value!r} names no database file; {expected}.")
        return DatabaseConfig(engine="sqlite", name=path)
    if parts.scheme in {"postgres", "postgresql"}:
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise ConfigError(f"{name}={value!r} names no database; {expected}.")
        try:
            port = str(parts.port or "")
        except ValueError:
            raise ConfigError(f"{name}={value!r} has an invalid port; {expected}.") from None
        return DatabaseConfig(
            engine="postgresql",
            name=dbname,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=port,
        )
    raise ConfigError(f"{name}={value!r} has an unsupported scheme {parts.scheme!r}; {expected}.")
