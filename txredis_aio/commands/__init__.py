"""Command mixins, one module per data type, over the single ``_execute`` seam."""

from __future__ import annotations

from ._base import CommandsBase
from .bitmaps import BitmapCommands
from .geo import GeoCommands
from .hashes import HashCommands
from .hyperloglog import HyperLogLogCommands
from .keys import KeyCommands
from .lists import ListCommands
from .pubsub import PubSubCommands
from .scripting import ScriptingCommands
from .sentinel import SentinelCommands
from .server import ServerCommands
from .sets import SetCommands
from .sorted_sets import SortedSetCommands
from .streams import StreamCommands
from .strings import StringCommands
from .vectors import VectorSetCommands

__all__ = ["Commands", "CommandsBase"]


class Commands(
    StringCommands,
    KeyCommands,
    ListCommands,
    SetCommands,
    SortedSetCommands,
    HashCommands,
    StreamCommands,
    VectorSetCommands,
    GeoCommands,
    BitmapCommands,
    HyperLogLogCommands,
    ScriptingCommands,
    PubSubCommands,
    SentinelCommands,
    ServerCommands,
):
    """Every command method; handlers inherit this and implement ``_execute``."""
