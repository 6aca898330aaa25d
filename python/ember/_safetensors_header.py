"""Reading a safetensors header: its JSON text in, a checked table of tensors out.

Everything a header claims is checked here, before a byte of tensor data is read or a buffer is
allocated: that it is JSON, an object, with __metadata__ mapping strings to strings, and that
every entry has a known dtype, a shape ember can hold, and data_offsets that match the shape and
that, with the other entries', tile the data buffer exactly. What is wrong is raised as
Malformed(reason); serialization.load names the file and raises CheckpointError.

Note [Two header parsers]: json.loads of a 600,000-entry header builds 600,000 dicts and 1.2
million lists, and spends seconds doing it. Nearly every header is written by ember.save or the
safetensors library in one compact form, `{"__metadata__":{...},"name":{"dtype":"F32","shape":
[2,2],"data_offsets":[0,16]},...}` (spaces only as padding after the final brace), so the fast
parser reads that form with one regular expression, a chunk of about a megabyte at a time, straight
into columns (names, dtype codes, shapes, offsets), and checks the columns with NumPy. It accepts
a header only when its matches tile the text exactly; on anything else (other spacing or key
order, escapes in names, numbers of 19 digits or more, a stray byte) it declines, and the general
parser, json.loads, reads the header instead and reports what is wrong. Both hand the same columns
to one checker, so a header gets the same answer whichever parser read it (the fuzz tests compare
them)."""
import json
import math
import re
import reprlib

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4"),
          "BOOL": np.dtype("|b1")}
MAX_HEADER = 100_000_000  # as the safetensors library: a larger header is not a real checkpoint
MAX_DIMS = 16             # kMaxDims in csrc/core/shape.h
_SIZE_LIMIT = 2 ** 63     # NumPy's and ember's sizes are int64: a tensor's bytes must stay below this


class Malformed(Exception):
    """What is wrong with a checkpoint file (load adds the file's name)."""


class Header:
    """A checked header: metadata {str: str} and, per tensor in file order, its name, dtype code,
    shape (a tuple) and data_offsets (int64 arrays begins and ends, relative to the data buffer)."""

    __slots__ = ("metadata", "names", "codes", "shapes", "begins", "ends")

    def __init__(self, metadata, names, codes, shapes, begins, ends):
        self.metadata, self.names, self.codes, self.shapes = metadata, names, codes, shapes
        self.begins, self.ends = begins, ends


def _unique_object(pairs):
    """json object_pairs_hook: a dict, refusing repeated keys (json.loads would keep the last)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise Malformed(f"the header repeats the key {_short(k)}")
            seen.add(k)
    return obj


def _not_json(word):
    """json parse_constant hook: NaN and Infinity are Python's, not JSON (the safetensors library
    refuses them), so a header holding them is refused too."""
    raise ValueError(f"{word} is not JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_object, parse_constant=_not_json)


def parse(text, buffer_len, general=False):
    """The checked Header of a header `text` (str) in front of a `buffer_len`-byte data buffer.
    general=True skips the fast parser (Note [Two header parsers]); the tests use it."""
    columns = None if general else _parse_compact(text)
    if columns is None:
        columns = _parse_general(text)
    return _check(*columns, buffer_len)


# ---- the fast parser: the compact form only

_NUM = r"(?:0|[1-9][0-9]{0,17})"  # below 10**18, so every match fits an int64
_ENTRY = re.compile(  # one entry and the comma after it
    r'"([^"\\\x00-\x1f]*)":\{"dtype":"([A-Z0-9_]{1,16})","shape":\[((?:%s(?:,%s)*)?)\],'
    r'"data_offsets":\[(%s),(%s)\]\},' % (_NUM, _NUM, _NUM, _NUM))
_META_OPEN = '{"__metadata__":'
_CHUNK = 1 << 20


class _Shapes(dict):
    """Shape text ("2,3") -> tuple, parsed once per distinct shape (a model has few)."""

    def __missing__(self, key):
        shape = tuple(map(int, key.split(","))) if key else ()
        self[key] = shape
        return shape


def _parse_compact(text):
    """(metadata, names, codes, shapes, begins, ends) of a header in the compact form, or None."""
    end = len(text.rstrip(" ")) - 1  # the closing brace
    if end < 1 or text[0] != "{" or text[end] != "}":
        return None
    pos, metadata = 1, None
    if text.startswith(_META_OPEN):
        try:
            metadata, pos = _DECODER.raw_decode(text, len(_META_OPEN))
        except (ValueError, RecursionError):
            return None  # Malformed (a repeated key) propagates: the general parser would say the same
        if pos == end:
            return metadata, [], [], [], [], []
        if pos > end or text[pos] != "," or pos + 1 == end:
            return None
        pos += 1
    # The entries, each followed by a comma (the last one's added), so each is one _ENTRY match.
    # split() gives [gap, 5 groups, gap, 5 groups, ..., gap]: flat lists of str, which the garbage
    # collector never scans (findall's 600,000 tuples made it run over and over), and the matches
    # tile the chunk exactly when every gap is empty. Each chunk's columns are made compact at
    # once (repeated dtype codes and shapes shared, offsets as int64) to keep the peak low.
    names, codes, shapes, begins, ends = [], [], [], [], []
    same_code, same_shape = {}, _Shapes()
    while pos < end:
        stop = text.find(']},"', pos + _CHUNK, end)
        stop = end if stop < 0 else stop + 3  # chunks end between two entries
        chunk = text[pos:stop] + ("," if stop == end else "")
        parts = _ENTRY.split(chunk)
        if len(parts) == 1 or "".join(parts[0::6]):
            return None
        names.extend(parts[1::6])
        codes.extend(map(same_code.setdefault, parts[2::6], parts[2::6]))
        shapes.extend(map(same_shape.__getitem__, parts[3::6]))
        begins.append(np.array(parts[4::6]).astype(np.int64))
        ends.append(np.array(parts[5::6]).astype(np.int64))
        pos = stop
    if "__metadata__" in names:
        return None  # a repeated or misplaced __metadata__: the general parser says which
    return (metadata, names, codes, shapes, np.concatenate(begins or [np.empty(0, np.int64)]),
            np.concatenate(ends or [np.empty(0, np.int64)]))


# ---- the general parser: any JSON

def _parse_general(text):
    try:
        header = _DECODER.decode(text)
    except RecursionError:
        raise Malformed("the header is nested too deeply to be a safetensors header") from None
    except ValueError as e:  # JSONDecodeError, or an integer of more digits than int() takes
        raise Malformed(f"the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise Malformed(f"the header is JSON {type(header).__name__}, expected an object")
    metadata = header.pop("__metadata__", None)
    names, codes, shapes, begins, ends = [], [], [], [], []
    for name, entry in header.items():
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
            raise Malformed(f"tensor {_short(name)}: entry must have dtype, shape and data_offsets")
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if not isinstance(code, str):
            raise Malformed(f"tensor {_short(name)}: dtype must be a string, got {_short(code)}")
        if not isinstance(shape, list) or not all(type(d) is int for d in shape):
            raise Malformed(f"tensor {_short(name)}: shape must be a list of non-negative ints, got {_short(shape)}")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(type(o) is int for o in offsets):
            raise Malformed(f"tensor {_short(name)}: data_offsets must be [begin, end], got {_short(offsets)}")
        names.append(name)
        codes.append(code)
        shapes.append(tuple(shape))
        begins.append(offsets[0])
        ends.append(offsets[1])
    return metadata, names, codes, shapes, begins, ends


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 8, 4, 60, 60


def _short(value):
    """A bounded repr for messages: a mutated header can hold a million-item list nested 900 deep."""
    return _REPR.repr(value)


# ---- one checker for both

def _check(metadata, names, codes, shapes, begins, ends, buffer_len):
    if len(set(names)) != len(names):
        _unique_object([(n, None) for n in names])  # raises, naming the first repeated name
    if not (metadata is None or isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise Malformed("__metadata__ must map strings to strings")
    unknown = set(codes) - DTYPES.keys()
    if unknown:
        i = next(i for i, c in enumerate(codes) if c in unknown)
        raise Malformed(f"tensor {_short(names[i])}: unsupported dtype {_short(codes[i])} "
                        f"(ember reads {', '.join(DTYPES)})")
    # Sizes are worked out once per distinct (dtype, shape), in Python ints, so no product can wrap.
    nbytes, problems = {}, {}
    for kind in set(zip(codes, shapes)):
        nbytes[kind], problem = _nbytes(*kind)
        if problem:
            problems[kind] = problem
    if problems:
        i = next(i for i, kind in enumerate(zip(codes, shapes)) if kind in problems)
        raise Malformed(f"tensor {_short(names[i])}: shape {_short(list(shapes[i]))} {problems[codes[i], shapes[i]]}")
    in_range = _in_range(begins, buffer_len) & _in_range(ends, buffer_len)
    if not in_range.all():
        i = int(np.argmin(in_range))
        raise Malformed(f"tensor {_short(names[i])}: data_offsets [{begins[i]}, {ends[i]}] are out of range for a "
                        f"{buffer_len}-byte data buffer")
    n = len(names)
    b = np.asarray(begins, dtype=np.int64).reshape(n)  # in [0, buffer_len] now, so they fit
    e = np.asarray(ends, dtype=np.int64).reshape(n)
    sizes = np.fromiter(map(nbytes.__getitem__, zip(codes, shapes)), dtype=np.int64, count=n)
    wrong = np.flatnonzero(e - b != sizes)
    if wrong.size:
        i = int(wrong[0])
        raise Malformed(f"tensor {_short(names[i])}: shape {list(shapes[i])} of {codes[i]} needs {int(sizes[i])} "
                        f"bytes, data_offsets [{begins[i]}, {ends[i]}] hold {ends[i] - begins[i]}")
    _check_tiling(names, b, e, buffer_len)
    return Header(metadata or {}, names, codes, shapes, b, e)


def _in_range(offsets, buffer_len):
    """0 <= offset <= buffer_len, per offset: int64 arrays from the fast parser, lists of
    Python ints (any size) from the general one."""
    if isinstance(offsets, np.ndarray):
        return (offsets >= 0) & (offsets <= buffer_len)
    return np.fromiter((0 <= o <= buffer_len for o in offsets), dtype=bool, count=len(offsets))


def _nbytes(code, shape):
    """(bytes a `code` tensor of `shape` holds, what is wrong with the shape or None)."""
    if len(shape) > MAX_DIMS:
        return 0, f"has {len(shape)} dimensions, ember tensors have at most {MAX_DIMS}"
    if any(d < 0 for d in shape):
        return 0, "must be a list of non-negative ints"
    itemsize = DTYPES[code].itemsize
    if math.prod(d for d in shape if d) * itemsize >= _SIZE_LIMIT:  # NumPy's rule, zero dims aside
        return 0, f"is too large for {code} (2**63 bytes or more)"
    return math.prod(shape) * itemsize, None


def _check_tiling(names, begins, ends, buffer_len):
    """Tensors must tile the data buffer exactly: no overlap, no hole, nothing after the last one
    (so that every byte of the file is accounted for, as the safetensors library requires)."""
    if not len(names):
        if buffer_len:
            raise Malformed(f"{buffer_len} trailing bytes after the header, which lists no tensors")
        return
    order = np.lexsort((ends, begins))
    b, e = begins[order], ends[order]
    gap = b[1:] - e[:-1]  # < 0: overlap, > 0: hole
    if b[0] > 0:
        raise Malformed(f"a hole in the data buffer before tensor {_short(names[order[0]])} (bytes 0 to {int(b[0])})")
    bad = np.flatnonzero(gap)
    if bad.size:
        k = int(bad[0])
        prev, this, at, pos = _short(names[order[k]]), _short(names[order[k + 1]]), int(b[k + 1]), int(e[k])
        if gap[k] < 0:
            raise Malformed(f"tensors {prev} and {this} overlap (data_offsets {at} < {pos})")
        raise Malformed(f"a hole in the data buffer before tensor {this} (bytes {pos} to {at})")
    if e[-1] != buffer_len:
        raise Malformed(f"{buffer_len - int(e[-1])} trailing bytes after the last tensor")
