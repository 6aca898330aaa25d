"""ember.save / ember.load: checkpoints in the safetensors format, with no pickle and no code run.

A file is an 8-byte little-endian header length N, N bytes of JSON header
{name: {"dtype": "F32"|"F64"|"I64"|"I32"|"BOOL", "shape": [...], "data_offsets": [begin, end]}, ...,
 "__metadata__": {str: str}}, then the tensors' raw little-endian bytes, back to back. Nested
checkpoints (optimizer state dicts) are flattened: Note [Nested checkpoints] in
_checkpoint_structure.py. The header is read by _safetensors_header.py (Note [Two header parsers]).

Note [What load guarantees]: a file that is not a well-formed checkpoint raises CheckpointError, a
ValueError whose message names the file and what is wrong, whatever its bytes: truncated anywhere,
garbage appended, a header that is not UTF-8 JSON, nests too deeply, repeats a key, or whose
entries name unknown dtypes, impossible shapes, or offsets that do not tile the data exactly; an
ember.structure that does not place every tensor once. Nothing else escapes but OSError for the
file itself. The header is checked in full, so a header whose bytes were changed is either refused
or still describes the file consistently, and load returns what it describes. The tensor bytes are
not checked: safetensors has no checksum (ember adds none: files from other writers would lack it,
and checking would cost a pass over all the data), so a flipped bit inside tensor data loads as that
one element changed; only a BOOL byte other than 0 or 1 is refused.

Note [One buffer per file]: load reads the data region once, into one bytearray, and each tensor is
a view of its own bytes there (a tensor whose offset is not a multiple of its itemsize, or any
tensor on a big-endian host, gets its own aligned, native copy). There is no second copy, so a
checkpoint costs its size in memory, not twice that; the price is that the tensors of one file free
that buffer together, when the last of them goes. Each tensor has its own storage and version
counter: writing into one never changes, or bumps the version of, another."""
import contextlib
import gc
import json
import os
import sys

import numpy as np

from . import _C
from ._checkpoint_structure import STRUCTURE_KEY, Flattener, decode
from ._safetensors_header import DTYPES, MAX_HEADER, Malformed, _short, parse
from .tensor import Tensor

_CODE_OF = {_C.dtype.float32: "F32", _C.dtype.float64: "F64", _C.dtype.int64: "I64", _C.dtype.int32: "I32",
            _C.dtype.bool: "BOOL"}


class CheckpointError(ValueError):
    """ember.load's one error for a malformed file (Note [What load guarantees]). `path` is the
    file, `reason` what is wrong with it."""

    def __init__(self, path, reason):
        super().__init__(f"ember.load({path!r}): {reason}")
        self.path, self.reason = path, reason

    def __reduce__(self):  # so that it pickles (a DataLoader worker process may raise it)
        return type(self), (self.path, self.reason)


# ---- writing

def _is_flat(obj):
    return isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())


def _tensor_bytes(t):
    if t.dtype not in _CODE_OF:
        raise TypeError(f"ember.save can't store dtype {t.dtype}")
    code = _CODE_OF[t.dtype]
    arr = t.detach().cpu().numpy()  # tobytes() writes C order whatever the strides (0-d included)
    return code, list(arr.shape), arr.astype(DTYPES[code], copy=False).tobytes(order="C")


def save(obj, path, metadata=None):
    """Writes `obj` (a state dict of tensors, an optimizer state dict, or nested dicts/lists of
    tensors and plain values) to `path` as a safetensors file. metadata: optional {str: str}."""
    meta = {}
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("metadata must map str to str")
        if STRUCTURE_KEY in metadata:
            raise ValueError(f"metadata key {STRUCTURE_KEY!r} is ember's own (Note [Nested checkpoints])")
        meta.update(metadata)
    if _is_flat(obj):
        tensors = obj
    else:
        flat = Flattener()
        meta[STRUCTURE_KEY] = json.dumps(flat.encode(obj))
        tensors = flat.tensors
    if "__metadata__" in tensors:
        raise ValueError("ember.save: a tensor can't be named '__metadata__' (the safetensors header's own key)")
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

def load(path):
    """Reads a file written by ember.save (or any safetensors file of F32/F64/I64/I32/BOOL tensors).
    Returns what was saved: a {name: Tensor} dict in the file's order, or the nested object.
    A malformed file raises CheckpointError (Note [What load guarantees])."""
    name = os.fspath(path)
    try:
        with _collector_paused():
            return _load(name)
    except Malformed as e:
        raise CheckpointError(name, str(e)) from None


@contextlib.contextmanager
def _collector_paused():
    """Note [No garbage collection while loading]: every tensor is an object the cyclic garbage
    collector tracks, and making 600,000 of them sets off a young collection every 700 and older
    ones over all that is alive: half of a large load's time, to find nothing, since what load
    makes forms no cycles. So the collector waits until load returns. Only the thread that turned
    it off turns it back on, so concurrent loads leave it as they found it."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _load(path):
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise Malformed(f"truncated file: {size} bytes, shorter than the 8-byte header length")
        n = int.from_bytes(f.read(8), "little")
        if n > MAX_HEADER:
            raise Malformed(f"header length {n} is over the {MAX_HEADER}-byte limit (not a safetensors file?)")
        if 8 + n > size:
            raise Malformed(f"header length {n} runs past the end of the {size}-byte file (truncated?)")
        raw = f.read(n)
        if len(raw) != n:
            raise Malformed("the file shrank while it was read")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Malformed(f"the header is not valid JSON: not UTF-8 ({e.reason} at byte {e.start})") from None
        del raw
        header = parse(text, size - 8 - n)
        del text
        buffer = bytearray(size - 8 - n)  # Note [One buffer per file]
        if f.readinto(buffer) != len(buffer) or f.read(1):
            raise Malformed("the file changed size while it was read")
    tensors = _tensors(header, buffer)
    if STRUCTURE_KEY in header.metadata:
        return decode(header.metadata[STRUCTURE_KEY], tensors)
    return tensors


def _tensors(header, buffer):
    """{name: Tensor} viewing `buffer` (Note [One buffer per file])."""
    u8 = np.frombuffer(buffer, dtype=np.uint8)
    for i in (i for i, code in enumerate(header.codes) if code == "BOOL"):
        if header.ends[i] > header.begins[i] and u8[header.begins[i]:header.ends[i]].max() > 1:
            raise Malformed(f"tensor {_short(header.names[i])}: BOOL data holds bytes other than 0 and 1")
    n = len(header.names)
    dtypes = list(map(DTYPES.__getitem__, header.codes))
    # One pass of C-level map()s: a Python loop body per tensor costs more than the view itself.
    arrays = list(map(np.ndarray, header.shapes, dtypes, [buffer] * n, header.begins.tolist()))
    itemsize = np.fromiter((d.itemsize for d in dtypes), dtype=np.int64, count=n)
    own_copy = range(n) if sys.byteorder != "little" or u8.ctypes.data % 8 else \
        np.flatnonzero(header.begins % itemsize).tolist()
    for i in own_copy:
        arrays[i] = arrays[i].astype(dtypes[i].newbyteorder("="), copy=True)  # aligned and native
    return dict(zip(header.names, map(_C.from_numpy, arrays)))
