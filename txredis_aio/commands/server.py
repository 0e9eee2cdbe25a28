"""Connection and server commands."""

from __future__ import annotations

from typing import Any, Optional

from ._base import CommandsBase, Raw

__all__ = ["ServerCommands", "parse_info"]


def parse_info(text: str) -> dict[str, str]:
    """INFO text as a dict: ``key:value`` lines, comments skipped, values left as str."""
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def _info_text(reply: Any) -> Any:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


class ServerCommands(CommandsBase):
    """PING, SELECT, INFO and friends."""

    def ping(self) -> Any:
        """Ping the server: ``"PONG"``. https://redis.io/commands/ping"""
        return self._execute("PING")

    def select(self, index: int) -> Any:
        """Switch the database of the connection that runs it. https://redis.io/commands/select"""
        return self._execute("SELECT", index)

    def info(self, type: Optional[str] = None) -> Any:
        """Server information: the raw str, or a dict for one section. https://redis.io/commands/info"""
        if type is None:
            return self._execute("INFO", convert=Raw(_info_text))
        return self._execute("INFO", type, convert=Raw(lambda r: parse_info(_info_text(r))))
