"""Golden placements of txredisapi's consistent-hash ring (no sockets).

The expected values below were derived once with an independent, deliberately naive
computation, kept here so anyone can re-derive them:

    def naive(nodes, key, signed=True):
        def crc(b):
            v = zlib.crc32(b) & 0xffffffff
            return v - 2**32 if (signed and v >= 2**31) else v
        owner, pts = {}, []
        for n in nodes:                      # list order, later node wins a shared point
            for i in range(160):
                p = crc(("%s:%d" % (n, i)).encode()); owner[p] = n; pts.append(p)
        pts.sort()
        kb = key.encode()
        m = re.match(rb"^.+\\{(.*)\\}.*", kb)
        c = crc(m.group(1) if m else kb)
        idx = len(pts) - 1                    # no wrap-around: clamp to the last point
        for i, p in enumerate(pts):           # linear scan for the first point > crc
            if p > c:
                idx = i; break
        return owner[pts[idx]], idx

With ``signed=False`` it reproduces the placements verified against txredisapi itself in the
API catalogue (§10.12): nodes ``localhost:6379``/``localhost:6380``: ``foo`` → 6379 (idx 176),
``bar`` → 6380 (152), ``a`` → 6380 (295). The ring uses ``signed=True`` (Python 2's crc32).
Every GOLDEN row, the two-node rows and the first/last ring points were also reproduced by
running txredisapi's ``HashRing``/``_findhash`` code unchanged under CPython 2.7.18 (byte-string
keys, the UTF-8 bytes for the non-ASCII ones).
"""

from __future__ import annotations

import pytest

from txredis_aio.hashring import HashRing, crc32_signed, hash_input

NODES = ["127.0.0.1:6379", "127.0.0.1:6380", "127.0.0.1:6381"]

GOLDEN = [
    ("foo", "127.0.0.1:6381", 21),
    ("bar", "127.0.0.1:6381", 467),
    ("a", "127.0.0.1:6381", 214),
    ("user:1", "127.0.0.1:6381", 475),
    ("{user}:1", "127.0.0.1:6379", 301),
    ("x{user}:1", "127.0.0.1:6380", 23),
    ("user{1}", "127.0.0.1:6380", 6),
    ("a{b}c{d}", "127.0.0.1:6381", 44),
    ("a{}", "127.0.0.1:6381", 254),
    ("é", "127.0.0.1:6380", 274),
    ("日本語", "127.0.0.1:6380", 78),
    ("key:123", "127.0.0.1:6379", 403),
    ("counter", "127.0.0.1:6380", 129),
    ("z", "127.0.0.1:6381", 435),
    ("session:abc", "127.0.0.1:6379", 375),
    # crc above the last point: clamped to the last point, not wrapped to the first
    ("k1036", "127.0.0.1:6379", 479),
    # crc below the first point
    ("k36", "127.0.0.1:6381", 0),
    # signed and unsigned crc32 disagree on this one (unsigned would say 6379)
    ("k1025", "127.0.0.1:6381", 254),
]


@pytest.mark.parametrize("key,node,idx", GOLDEN)
def test_golden_placement(key: str, node: str, idx: int) -> None:
    """Each key lands on the node (and ring index) txredisapi's Python 2 ring gave it."""
    ring = HashRing(NODES)
    assert ring.get_node_pos(key) == (node, idx)
    assert ring.get_node(key) == node
    assert ring.get_node(key.encode("utf-8")) == node


def test_two_node_placements() -> None:
    """Two ``localhost`` nodes: the signed-crc placements of the catalogue's keys."""
    ring = HashRing(["localhost:6379", "localhost:6380"])
    assert ring.get_node_pos("foo") == ("localhost:6379", 14)
    assert ring.get_node_pos("bar") == ("localhost:6380", 310)
    assert ring.get_node_pos("a") == ("localhost:6380", 133)


def test_ring_shape() -> None:
    """160 points per node, sorted, crc32 of ``"<id>:<i>"`` as signed ints."""
    ring = HashRing(NODES)
    assert len(ring.sorted_keys) == 480
    assert ring.sorted_keys == sorted(ring.sorted_keys)
    assert ring.sorted_keys[0] == -2141914741 and ring.sorted_keys[-1] == 2145681439
    assert crc32_signed(b"127.0.0.1:6379:0") in ring.ring
    # the CRC-32 check value 0xCBF43926, read as a signed 32-bit int
    assert crc32_signed(b"123456789") == 0xCBF43926 - 2**32 == -873187034
    assert all(-(2**31) <= p < 2**31 for p in ring.sorted_keys)


def test_hashtag_rule() -> None:
    """``re.match(r"^.+\\{(.*)\\}.*")``: one char before ``{`` needed, last ``{`` wins, ``{}`` → ``""``."""
    assert hash_input("user{42}:name") == b"42"
    assert hash_input("{user}:1") == b"{user}:1"
    assert hash_input("a{b}c{d}") == b"d"
    assert hash_input("a{}") == b""
    assert hash_input("a\n{b}") == b"a\n{b}"  # '.' does not cross a newline
    ring = HashRing(NODES)
    assert ring.get_node("x{user}:1") == ring.get_node("y{user}:2") == ring.get_node("user")


def test_later_node_with_same_id_takes_every_point() -> None:
    """A node listed twice: the later entry overwrites the earlier one's points."""

    class Node:
        def __init__(self, uuid: str) -> None:
            self.uuid = uuid

    first, second, again = Node(NODES[0]), Node(NODES[1]), Node(NODES[0])
    ring = HashRing([first, second, again])
    assert len(ring.sorted_keys) == 480
    owners = {ring.get_node(f"k{i}") for i in range(300)}
    assert owners == {second, again}


def test_remove_node_gives_the_ring_of_the_remaining_nodes() -> None:
    """``remove_node`` (broken in txredisapi) leaves the ring built from the other nodes."""
    ring = HashRing(NODES)
    ring.remove_node("127.0.0.1:6380")
    fresh = HashRing(["127.0.0.1:6379", "127.0.0.1:6381"])
    assert ring.sorted_keys == fresh.sorted_keys and ring.ring == fresh.ring
    keys = [f"k{i}" for i in range(200)]
    assert [ring.get_node(k) for k in keys] == [fresh.get_node(k) for k in keys]


def test_empty_ring_and_iter_nodes() -> None:
    """An empty ring answers None; ``iter_nodes`` walks from the key's point to the end."""
    assert HashRing([]).get_node("x") is None
    assert list(HashRing([]).iter_nodes("x")) == [(None, None)]
    ring = HashRing(NODES)
    walked = list(ring.iter_nodes("foo"))
    assert len(walked) == 480 - 21
    assert walked[0] == (ring.sorted_keys[21], "127.0.0.1:6381")


def test_key_types() -> None:
    """Numbers hash as the text Redis receives; other types are refused."""
    ring = HashRing(NODES)
    assert ring.get_node(123) == ring.get_node("123")
    with pytest.raises(TypeError):
        ring.get_node(None)


def test_node_id_is_the_host_as_written() -> None:
    """``localhost:6379`` and ``127.0.0.1:6379`` are different ring ids (txredisapi's uuid)."""
    a = HashRing(["localhost:6379", "localhost:6380"])
    b = HashRing(["127.0.0.1:6379", "127.0.0.1:6380"])
    assert a.sorted_keys != b.sorted_keys
    assert a.get_node("foo") == "localhost:6379"
