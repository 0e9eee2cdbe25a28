"""The one seam every command method calls, and helpers shared by the command mixins."""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

from .._resp import Raw, list_or_args
from ._dialects import ServerIdentity, require

__all__ = ["RAW", "CommandsBase", "Convert", "Raw", "list_or_args"]

Convert = Optional[Union[Callable[[Any], Any], Raw]]
#: The identity converter: the reply exactly as parsed (bytes undecoded, numbers unconverted).
RAW = Raw(lambda r: r)


class CommandsBase:
    """Base of the command mixins: they only know ``_execute``."""

    def _execute(self, *args: Any, convert: Convert = None) -> Any:
        """Send one command; return an awaitable Future of its (converted) reply.

        ``convert`` runs on the reply after charset/number conversion (a ``Raw`` one gets
        the reply before it). Each handler (connection, pool, transaction, pipeline,
        sharded, sentinel) implements this.
        """
        raise NotImplementedError

    def _server_identity(self) -> Optional[ServerIdentity]:
        """The server this object's commands go to, when known (handlers learn it at handshake)."""
        return None

    def _require(self, feature: str) -> None:
        """Raise ``UnsupportedCommandError`` if the server is known to lack ``feature``."""
        require(feature, self._server_identity())

    def execute_command(
        self, *args: Any, post_proc: Optional[Callable[[Any], Any]] = None,
        apply_timeout: bool = True,
    ) -> Any:
        """Send any command as given; ``post_proc`` converts the reply (txredisapi's name)."""
        return self._execute(*args, convert=post_proc)
