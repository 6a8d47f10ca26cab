"""Seeded mutations of valid upload files: what a careless export or a broken transfer does.

Every operator takes the file's bytes and a ``random.Random`` and returns new bytes, so a
failing case is reproduced from its seed alone (``mutate(data, random.Random(seed))``).
"""

from __future__ import annotations

import random

_DELIMS = (b",", b";", b"\t", b"|")
_ENCODINGS = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1", "cp1251",
              "shift_jis", "utf-8-sig", "mac_roman")


def _pos(data: bytes, rng: random.Random) -> int:
    return rng.randrange(len(data) + 1)


def _insert(data: bytes, rng: random.Random, what: bytes) -> bytes:
    i = _pos(data, rng)
    return data[:i] + what + data[i:]


def byte_flips(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 5, 20))):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[:_pos(data, rng)]


def delimiter(data: bytes, rng: random.Random) -> bytes:
    return _insert(data, rng, rng.choice(_DELIMS) * rng.choice((1, 1, 3)))


def quote(data: bytes, rng: random.Random) -> bytes:
    return _insert(data, rng, rng.choice((b'"', b'"', b'""', b'"\n', b"'")))


def newline(data: bytes, rng: random.Random) -> bytes:
    return _insert(data, rng, rng.choice((b"\n", b"\r", b"\r\n", b"\n\n", b"\n\r")))


def nul_bytes(data: bytes, rng: random.Random) -> bytes:
    return _insert(data, rng, b"\x00" * rng.choice((1, 2, 8, 300)))


def huge_cell(data: bytes, rng: random.Random) -> bytes:
    size = rng.choice((5_000, 70_000, 1_100_000))
    return _insert(data, rng, rng.choice((b"x", b"9", b"\xc3\xa9", b"=")) * size)


def encoding(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    return text.encode(rng.choice(_ENCODINGS), errors="replace")


def header_shuffle(data: bytes, rng: random.Random) -> bytes:
    head, sep, rest = data.partition(b"\n")
    delim = max(_DELIMS, key=head.count)
    cells = head.rstrip(b"\r").split(delim)
    choice = rng.randrange(4)
    if choice == 0:
        rng.shuffle(cells)
    elif choice == 1 and cells:  # a duplicated column name
        cells[rng.randrange(len(cells))] = rng.choice(cells)
    elif choice == 2 and cells:  # an empty column name
        cells[rng.randrange(len(cells))] = b""
    else:  # one column dropped from the header only
        cells = cells[:-1]
    return delim.join(cells) + head[len(head.rstrip(b"\r")):] + sep + rest


def lines(data: bytes, rng: random.Random) -> bytes:
    rows = data.split(b"\n")
    i = rng.randrange(len(rows))
    choice = rng.randrange(3)
    if choice == 0:
        del rows[i]
    elif choice == 1:
        rows.insert(i, rows[i])
    else:
        rows.insert(i, rng.choice((b"", b",,,,", b"#comment", b"=1+1", b"\xef\xbb\xbf")))
    return b"\n".join(rows)


OPERATORS = (byte_flips, truncate, delimiter, quote, newline, nul_bytes, huge_cell, encoding,
             header_shuffle, lines)
# huge cells cost megabytes of I/O: drawn less often than the rest
WEIGHTS = (3, 2, 3, 3, 3, 2, 1, 2, 2, 3)


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One to three operators applied in turn; returns the bytes and their names."""
    names = []
    for op in rng.choices(OPERATORS, WEIGHTS, k=rng.choice((1, 1, 1, 2, 3))):
        data = op(data, rng)
        names.append(op.__name__)
    return data, "+".join(names)
