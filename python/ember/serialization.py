"""ember.save / ember.load: checkpoints in the safetensors format, with no pickle and no code run.

A file is an 8-byte little-endian header length N, N bytes of JSON header
{name: {"dtype": "F32"|"F64"|"I64"|"I32"|"BOOL", "shape": [...], "data_offsets": [begin, end]}, ...,
 "__metadata__": {str: str}}, then the tensors' raw little-endian bytes, back to back.

Note [Nested checkpoints]: a flat {str: Tensor} state dict is stored as plain safetensors, readable
by any safetensors reader. Anything else (an optimizer's state dict with integer keys, lists of
param groups, numbers, None, tuples) is flattened: each tensor becomes an entry named by its path
("state.0.exp_avg"), and the rest of the structure goes into __metadata__["ember.structure"] as
JSON in which dicts, tuples and tensors are tagged, so load() rebuilds the same object."""
import json
import os

import numpy as np

from . import _C
from .tensor import Tensor


_DTYPES = {"F32": (_C.dtype.float32, np.dtype("<f4")), "F64": (_C.dtype.float64, np.dtype("<f8")),
           "I64": (_C.dtype.int64, np.dtype("<i8")), "I32": (_C.dtype.int32, np.dtype("<i4")),
           "BOOL": (_C.dtype.bool, np.dtype("|b1"))}
_CODE_OF = {dtype: code for code, (dtype, _) in _DTYPES.items()}
_STRUCTURE_KEY = "ember.structure"
_MAX_HEADER = 100_000_000  # as the safetensors library: a larger header is not a real checkpoint


# ---- writing

def _is_flat(obj):
    return isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())


class _Flattener:
    def __init__(self):
        self.tensors = {}

    def _name(self, path):
        name = path or "tensor"
        n = 1
        while name in self.tensors:
            n += 1
            name = f"{path}#{n}"
        return name

    def encode(self, obj, path):
        if isinstance(obj, Tensor):
            name = self._name(path)
            self.tensors[name] = obj
            return {"__tensor__": name}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (bool, int, float, str))):
                    raise TypeError(f"ember.save can't store a dict key of type {type(k).__name__} "
                                    f"(at {path or 'top'})")
                items.append([k, self.encode(v, f"{path}.{k}" if path else str(k))])
            return {"__dict__": items}
        if isinstance(obj, (list, tuple)):
            enc = [self.encode(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]
            return {"__tuple__": enc} if isinstance(obj, tuple) else enc
        raise TypeError(f"ember.save can't store an object of type {type(obj).__name__} (at {path or 'top'}): "
                        "only tensors, numbers, strings, None, and dicts, lists and tuples of them")


def _tensor_bytes(t):
    if t.dtype not in _CODE_OF:
        raise TypeError(f"ember.save can't store dtype {t.dtype}")
    code = _CODE_OF[t.dtype]
    arr = t.detach().cpu().numpy()  # tobytes() writes C order whatever the strides (0-d included)
    return code, list(arr.shape), arr.astype(_DTYPES[code][1], copy=False).tobytes(order="C")


def save(obj, path, metadata=None):
    """Writes `obj` (a state dict of tensors, an optimizer state dict, or nested dicts/lists of
    tensors and plain values) to `path` as a safetensors file. metadata: optional {str: str}."""
    meta = {}
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("metadata must map str to str")
        meta.update(metadata)
    if _is_flat(obj):
        tensors = obj
    else:
        flat = _Flattener()
        meta[_STRUCTURE_KEY] = json.dumps(flat.encode(obj, ""))
        tensors = flat.tensors
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        code, shape, raw = _tensor_bytes(t)
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if meta:
        header = {"__metadata__": meta, **header}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the buffer starts 8-byte aligned, as safetensors does
    path = os.fspath(path)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)  # a crash mid-write never leaves a half-written checkpoint at `path`


# ---- reading

def _bad(path, msg):
    return ValueError(f"ember.load({path!r}): {msg}")


def _parse_header(path, data):
    if len(data) < 8:
        raise _bad(path, f"truncated file: {len(data)} bytes, shorter than the 8-byte header length")
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER:
        raise _bad(path, f"header length {n} is over the {_MAX_HEADER}-byte limit (not a safetensors file?)")
    if 8 + n > len(data):
        raise _bad(path, f"header length {n} runs past the end of the {len(data)}-byte file (truncated?)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _bad(path, f"the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise _bad(path, f"the header is JSON {type(header).__name__}, expected an object")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise _bad(path, "__metadata__ must map strings to strings")
    return header, meta, 8 + n


def _check_entry(path, name, entry, buffer_len):
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
        raise _bad(path, f"tensor {name!r}: entry must have dtype, shape and data_offsets")
    code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if code not in _DTYPES:
        raise _bad(path, f"tensor {name!r}: unsupported dtype {code!r} (ember reads {', '.join(_DTYPES)})")
    if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise _bad(path, f"tensor {name!r}: shape must be a list of non-negative ints, got {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
        raise _bad(path, f"tensor {name!r}: data_offsets must be [begin, end], got {offsets!r}")
    begin, end = offsets
    if not 0 <= begin <= end <= buffer_len:
        raise _bad(path, f"tensor {name!r}: data_offsets [{begin}, {end}] are out of range for a "
                         f"{buffer_len}-byte data buffer")
    nbytes = int(np.prod(shape, dtype=np.int64)) * _DTYPES[code][1].itemsize
    if end - begin != nbytes:
        raise _bad(path, f"tensor {name!r}: shape {shape} of {code} needs {nbytes} bytes, "
                         f"data_offsets [{begin}, {end}] hold {end - begin}")
    return begin, end


def _check_layout(path, spans, buffer_len):
    """Tensors must tile the data buffer exactly: no overlap, no hole, nothing after the last one."""
    pos, prev = 0, None
    for begin, end, name in sorted(spans):
        if begin < pos:
            raise _bad(path, f"tensors {prev!r} and {name!r} overlap (data_offsets {begin} < {pos})")
        if begin > pos:
            raise _bad(path, f"a hole in the data buffer before tensor {name!r} (bytes {pos} to {begin})")
        pos, prev = end, name
    if pos != buffer_len:
        raise _bad(path, f"{buffer_len - pos} trailing bytes after the last tensor")


def _decode(path, obj, tensors):
    if isinstance(obj, list):
        return [_decode(path, v, tensors) for v in obj]
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            name = obj["__tensor__"]
            if name not in tensors:
                raise _bad(path, f"the structure names tensor {name!r}, which the file does not hold")
            return tensors[name]
        if "__tuple__" in obj:
            return tuple(_decode(path, v, tensors) for v in obj["__tuple__"])
        if "__dict__" in obj:
            return {k: _decode(path, v, tensors) for k, v in obj["__dict__"]}
        raise _bad(path, f"unknown entry in {_STRUCTURE_KEY}: {sorted(obj)}")
    return obj


def load(path):
    """Reads a file written by ember.save (or any safetensors file of F32/F64/I64/BOOL tensors).
    Returns what was saved: a {name: Tensor} dict, or the nested object. The tensors own copies
    of their data. A malformed file raises ValueError naming the problem."""
    with open(path, "rb") as f:
        data = f.read()
    header, meta, start = _parse_header(path, data)
    buffer_len = len(data) - start
    spans = [(*_check_entry(path, name, entry, buffer_len), name) for name, entry in header.items()]
    _check_layout(path, spans, buffer_len)
    tensors = {}
    for (begin, end, name) in spans:
        code, shape = header[name]["dtype"], header[name]["shape"]
        np_dtype = _DTYPES[code][1]
        raw = np.frombuffer(data, dtype=np.uint8, count=end - begin, offset=start + begin)
        if code == "BOOL" and raw.size and raw.max() > 1:
            raise _bad(path, f"tensor {name!r}: BOOL data holds bytes other than 0 and 1")
        arr = raw.view(np_dtype).reshape(shape).astype(np_dtype.newbyteorder("="), copy=True)
        tensors[name] = _C.from_numpy(arr)
    if _STRUCTURE_KEY in meta:
        try:
            structure = json.loads(meta[_STRUCTURE_KEY])
        except ValueError as e:
            raise _bad(path, f"{_STRUCTURE_KEY} is not valid JSON ({e})") from None
        try:
            return _decode(path, structure, tensors)
        except (TypeError, ValueError) as e:
            if isinstance(e, ValueError) and str(e).startswith("ember.load"):
                raise
            raise _bad(path, f"malformed {_STRUCTURE_KEY} ({e})") from None
    return tensors
