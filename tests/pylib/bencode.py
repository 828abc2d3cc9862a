"""Bencode (BEP 3), the ng protocol's encoding."""


def encode(v):
    """bool and int as integers, str (UTF-8) and bytes as strings, list, dict
    (keys in the dict's order, as a proxy sends them)."""
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:" % len(v) + v
    if isinstance(v, list):
        return b"l" + b"".join(encode(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(encode(k) + encode(x) for k, x in v.items()) + b"e"
    raise TypeError(v)


def decode(b, i=0, encoding=None):
    """(value, index after it) of the value at b[i:]. Strings decode with
    encoding, or when it is None as UTF-8 where they are UTF-8 and else stay
    bytes. ValueError/IndexError on malformed input."""
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            if i >= len(b):
                raise ValueError("list or dictionary past the end")
            v, i = decode(b, i, encoding)
            out.append(v)
        return (out if c == b"l" else dict(zip(out[0::2], out[1::2]))), i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    if j + 1 + n > len(b):
        raise ValueError("string past the end")
    s = b[j + 1:j + 1 + n]
    if encoding is not None:
        return s.decode(encoding), j + 1 + n
    try:
        return s.decode(), j + 1 + n
    except UnicodeDecodeError:
        return s, j + 1 + n


def decode_all(b, encoding=None):
    """The one value b holds; ValueError when bytes trail it."""
    v, end = decode(b, 0, encoding)
    if end != len(b):
        raise ValueError("trailing bytes")
    return v
