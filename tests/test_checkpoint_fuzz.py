"""Fuzzing ember.load: random truncations, appended bytes, byte flips and header mutations of valid
checkpoints (model state dicts, an optimizer state dict, a nested checkpoint, files written by the
safetensors library, a header with spaces). Each case must either raise CheckpointError or load to
exactly what an independent reader makes of the same bytes, never crash, hang or raise anything else.

What counts as accepted corruption (Note [What load guarantees] in ember/serialization.py):
- a truncation or appended bytes: always refused (the tensors must tile the data to its last byte);
- a flip inside tensor data: safetensors has no checksum, so the file loads with that element
  changed, and only that, unless it makes a BOOL byte other than 0 or 1, which is refused;
- a flip or mutation in the header: refused, or the header still describes the file consistently,
  and then ember's result equals the independent reader's: the safetensors library (Rust) for the
  tensors, plain json for ember.structure. The fast and the general header parsers must also agree.

CI runs a few thousand cases, derandomized so every run is the same. EMBER_FUZZ_LONG=1 runs many
more with fresh random seeds (hypothesis prints a failing case's reproduction)."""
import json
import math
import os
import re
import struct

import numpy as np
import pytest

import ember
from ember import _safetensors_header as header_mod
from ember.serialization import CheckpointError

hypothesis = pytest.importorskip("hypothesis")
st_numpy = pytest.importorskip("safetensors.numpy")
from hypothesis import HealthCheck, event, given, settings, strategies as st  # noqa: E402

LONG = os.environ.get("EMBER_FUZZ_LONG") == "1"


def _settings(ci_examples):
    return settings(max_examples=ci_examples * 50 if LONG else ci_examples, derandomize=not LONG,
                    deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- the valid files the cases start from

def _frame(header_text, data):
    text = header_text.encode("utf-8")
    return struct.pack("<Q", len(text)) + text + data


def _samples(scratch):
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4), ember.nn.ReLU(),
                                ember.nn.Linear(4, 2))
    opt = ember.optim.Adam(model.parameters(), lr=1e-3, betas=(0.8, 0.99), amsgrad=True)
    for _ in range(2):
        model(ember.randn(5, 3)).sum().backward()
        opt.step()
    state = {**model.state_dict(), "mask": ember.tensor([True, False, True]),
             "idx": ember.tensor([[1, -2]], dtype=ember.int32), "scalar": ember.tensor(2.5, dtype=ember.float64),
             "empty": ember.zeros(0, 3)}
    blobs = {}
    for name, obj in {"model": state, "optimizer": opt.state_dict(),
                      "checkpoint": {"model": model.state_dict(), "epoch": 3, "loss": float("nan"),
                                     "tags": ("a", None, [1, 2.5]), "opt": opt.state_dict()}}.items():
        path = scratch / f"{name}.safetensors"
        ember.save(obj, path)
        blobs[name] = path.read_bytes()
    arrays = {k: v.detach().numpy() for k, v in state.items()}
    blobs["safetensors"] = st_numpy.save(arrays, metadata={"format": "np"})  # data in dtype order, not header order
    n = int.from_bytes(blobs["model"][:8], "little")
    spaced = json.dumps(json.loads(blobs["model"][8:8 + n]), indent=1)  # the general parser's kind of header
    blobs["spaced"] = _frame(spaced, blobs["model"][8 + n:])
    return blobs


class _Samples(tuple):
    def __repr__(self):  # hypothesis prints the arguments of a failing case: not all the files
        return f"<{len(self[1])} sample files>"


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("fuzz")
    blobs = _samples(scratch)
    for blob in blobs.values():  # each starts out valid, and agrees with the reference reader
        _check(scratch / "case.safetensors", blob, must_load=True)
    return _Samples((scratch, blobs))


# ---- the oracle

def _reference(blob):
    """What an independent reader makes of `blob`: the safetensors library's arrays, placed into
    ember.structure (decoded with plain json) when there is one."""
    arrays = st_numpy.load(blob)
    n = int.from_bytes(blob[:8], "little")
    meta = json.loads(blob[8:8 + n]).get("__metadata__") or {}
    if "ember.structure" not in meta:
        return arrays

    def place(o):
        if isinstance(o, list):
            return [place(v) for v in o]
        if isinstance(o, dict):
            (tag, v), = o.items()
            if tag == "__tensor__":
                return arrays[v]
            if tag == "__tuple__":
                return tuple(place(x) for x in v)
            return {k: place(x) for k, x in v}
        return o
    return place(json.loads(meta["ember.structure"]))


def _same(mine, ref):
    if isinstance(mine, ember.Tensor):
        arr = mine.numpy()
        return (isinstance(ref, np.ndarray) and arr.dtype == ref.dtype and arr.shape == ref.shape
                and arr.tobytes() == ref.tobytes())
    if type(mine) is not type(ref):
        return False
    if isinstance(mine, dict):
        keys, ref_keys = list(mine), list(ref)
        return (len(keys) == len(ref_keys) and all(map(_same, keys, ref_keys))
                and all(_same(v, r) for v, r in zip(mine.values(), ref.values())))
    if isinstance(mine, (list, tuple)):
        return len(mine) == len(ref) and all(map(_same, mine, ref))
    if isinstance(mine, float):
        return mine == ref or (math.isnan(mine) and math.isnan(ref))
    return mine == ref


def _parsers_agree(blob):
    n = int.from_bytes(blob[:8], "little")
    text = blob[8:8 + n].decode("utf-8")
    results = []
    for general in (False, True):
        try:
            h = header_mod.parse(text, len(blob) - 8 - n, general=general)
            results.append((h.metadata, h.names, h.codes, h.shapes, h.begins.tolist(), h.ends.tolist()))
        except header_mod.Malformed as e:
            results.append(str(e))
    assert results[0] == results[1]


def _check(path, blob, must_load=False, must_fail=False):
    """Loads `blob`: CheckpointError, or the reference reader's result. Returns what load gave."""
    path.write_bytes(blob)
    try:
        got = ember.load(path)
    except CheckpointError as e:
        assert not must_load, f"refused a file it must load: {e}"
        assert str(path) in str(e)
        _event("refused: " + re.split(r" \(|, got|: [\[{]", re.sub(r"'[^']*'|[0-9]+", "_", e.reason))[0][:60])
        got = e
    else:
        assert not must_fail, "accepted a file it must refuse"
        ref = _reference(blob)  # raises if the independent reader refuses what ember accepted
        if isinstance(got, dict) and isinstance(ref, dict) and "ember.structure" not in _metadata(blob):
            assert list(got) == _header_names(blob)  # the file's order (the library's dict has its own)
            ref = {k: ref[k] for k in got} if set(ref) == set(got) else ref
        assert _same(got, ref)
        _event("loaded")
    if len(blob) >= 8 and 8 + int.from_bytes(blob[:8], "little") <= len(blob):
        try:
            blob[8:8 + int.from_bytes(blob[:8], "little")].decode("utf-8")
        except UnicodeDecodeError:
            return got
        _parsers_agree(blob)
    return got


def _event(what):
    """Counts outcomes for --hypothesis-show-statistics (outside a hypothesis test: nothing)."""
    try:
        event(what)
    except hypothesis.errors.InvalidArgument:
        pass


def _metadata(blob):
    n = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8:8 + n]).get("__metadata__") or {}


def _header_names(blob):
    n = int.from_bytes(blob[:8], "little")
    return [k for k in json.loads(blob[8:8 + n]) if k != "__metadata__"]


NAMES = ["model", "optimizer", "checkpoint", "safetensors", "spaced"]


# ---- byte-level mutations

@_settings(400)
@given(name=st.sampled_from(NAMES), data=st.data())
def test_truncated_anywhere_is_refused(samples, name, data):
    scratch, blobs = samples
    blob = blobs[name]
    cut = data.draw(st.integers(0, len(blob) - 1))
    _check(scratch / "case.safetensors", blob[:cut], must_fail=True)


@_settings(200)
@given(name=st.sampled_from(NAMES), extra=st.binary(min_size=1, max_size=40))
def test_appended_bytes_are_refused(samples, name, extra):
    scratch, blobs = samples
    _check(scratch / "case.safetensors", blobs[name] + extra, must_fail=True)


@_settings(1500)
@given(name=st.sampled_from(NAMES), data=st.data())
def test_flipped_bytes(samples, name, data):
    scratch, blobs = samples
    blob = bytearray(blobs[name])
    n = int.from_bytes(blob[:8], "little")
    region = data.draw(st.sampled_from(["header", "data", "anywhere", "digit"]))
    if region == "digit":  # a digit of the header changed to another: a shape or offset that still parses
        where = data.draw(st.sampled_from([i for i in range(8, 8 + n) if chr(blob[i]).isdigit()]))
        blob[where] = ord(data.draw(st.sampled_from("0123456789".replace(chr(blob[where]), ""))))
    else:
        low, high = {"header": (0, 8 + n), "data": (8 + n, len(blob)), "anywhere": (0, len(blob))}[region]
        where = data.draw(st.integers(low, high - 1))
        blob[where] ^= data.draw(st.integers(1, 255))
    for _ in range(data.draw(st.integers(0, 2))):  # sometimes a second and third flip
        blob[data.draw(st.integers(0, len(blob) - 1))] ^= data.draw(st.integers(1, 255))
    got = _check(scratch / "case.safetensors", bytes(blob))
    if blob[:8 + n] == blobs[name][:8 + n] and isinstance(got, CheckpointError):
        # Only tensor data changed: refused only for a BOOL byte that is now neither 0 nor 1.
        assert "BOOL data holds" in str(got), got


# ---- header mutations: what a flipped byte rarely reaches

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8)
DIMS = st.integers(-3, 6) | st.integers(-2 ** 70, 2 ** 70) | st.sampled_from([2 ** 31, 2 ** 62, 2 ** 63, 2 ** 64])
SHAPES = st.lists(DIMS, max_size=18) | JSON_VALUES
CODES = st.sampled_from(["F32", "F64", "I64", "I32", "BOOL", "F16", "BF16", "U8", "f32", ""]) | JSON_VALUES
OFFSETS = st.lists(st.integers(-5, 300) | st.integers(-2 ** 70, 2 ** 70), max_size=3) | JSON_VALUES


def _deep(inner, depth):
    return "[" * depth + inner + "]" * depth


def _mutate_structure(draw, structure_text, names):
    structure = json.loads(structure_text)
    nodes = []  # (container, key) of every value, to replace one

    def walk(o):
        items = enumerate(o) if isinstance(o, list) else o.items() if isinstance(o, dict) else ()
        for k, v in items:
            nodes.append((o, k))
            walk(v)
    walk(structure)
    how = draw(st.sampled_from(["node", "tensor", "text", "deep"]))
    if how == "text":
        return draw(st.text(max_size=30))
    if how == "deep":
        return _deep(json.dumps(structure), draw(st.integers(1, 3000)))
    if not nodes:
        return json.dumps(draw(JSON_VALUES))
    container, key = draw(st.sampled_from(nodes))
    if how == "tensor":
        container[key] = {draw(st.sampled_from(["__tensor__", "__tuple__", "__dict__", "__x__"])):
                          draw(st.sampled_from(names or ["t"]) | JSON_VALUES)}
    else:
        container[key] = draw(JSON_VALUES)
    return json.dumps(structure)


@st.composite
def mutated_headers(draw, blobs):
    name = draw(st.sampled_from(NAMES))
    blob = blobs[name]
    n = int.from_bytes(blob[:8], "little")
    pairs = list(json.loads(blob[8:8 + n]).items())
    names = [k for k, _ in pairs if k != "__metadata__"]
    entry = draw(st.sampled_from([i for i, (k, _) in enumerate(pairs) if k != "__metadata__"]))
    key, value = pairs[entry]
    value = dict(value)
    what = draw(st.sampled_from(["dtype", "shape", "offsets", "offset+-", "swap", "drop key", "extra key",
                                 "rename", "duplicate", "delete", "metadata", "metadata value", "structure",
                                 "deep value", "replace entry"]))
    if what == "dtype":
        value["dtype"] = draw(CODES)
    elif what == "shape":
        value["shape"] = draw(SHAPES)
    elif what == "offsets":
        value["data_offsets"] = draw(OFFSETS)
    elif what == "offset+-":
        i = draw(st.integers(0, 1))
        value["data_offsets"] = list(value["data_offsets"])
        value["data_offsets"][i] += draw(st.integers(-16, 16))
    elif what == "swap":
        other = draw(st.sampled_from([i for i, (k, _) in enumerate(pairs) if k != "__metadata__"]))
        pairs[other] = (pairs[other][0], {**pairs[other][1], "data_offsets": value["data_offsets"]})
        value["data_offsets"] = json.loads(blob[8:8 + n])[pairs[other][0]]["data_offsets"]
    elif what == "drop key":
        del value[draw(st.sampled_from(sorted(value)))]
    elif what == "extra key":
        value[draw(st.text(max_size=5))] = draw(JSON_VALUES)
    elif what == "rename":
        key = draw(st.sampled_from(names) | st.text(max_size=8) | st.just("__metadata__"))
    elif what == "duplicate":
        pairs.insert(draw(st.integers(0, len(pairs))), (draw(st.sampled_from(names)), value))
    elif what == "delete":
        value = None
    elif what == "replace entry":
        value = draw(JSON_VALUES)
    elif what == "deep value":
        value = "DEEP"
    meta = dict(pairs[0][1]) if pairs and pairs[0][0] == "__metadata__" else None
    if what in ("metadata", "metadata value", "structure"):
        if meta is None or what == "metadata":
            meta = draw(JSON_VALUES | st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2))
        elif what == "metadata value" or "ember.structure" not in meta:
            meta[draw(st.sampled_from(sorted(meta)) | st.text(max_size=4))] = draw(JSON_VALUES)
        else:
            meta["ember.structure"] = _mutate_structure(draw, meta["ember.structure"], names)
        if pairs and pairs[0][0] == "__metadata__":
            pairs[0] = ("__metadata__", meta)
        else:
            pairs.insert(0, ("__metadata__", meta))
    if value is None:
        del pairs[entry]
    else:
        pairs[entry] = (key, value)
    # Written compact (the fast parser's form), spaced, or with every non-ASCII name escaped.
    style = draw(st.sampled_from(["compact", "spaced", "ascii"]))
    sep = (", ", ": ") if style == "spaced" else (",", ":")
    items = []
    for k, v in pairs:
        v_text = _deep("0", draw(st.integers(1, 5000))) if isinstance(v, str) and v == "DEEP" else \
            json.dumps(v, separators=sep, ensure_ascii=style == "ascii")
        items.append(json.dumps(k, ensure_ascii=style == "ascii") + sep[1] + v_text)
    text = "{" + sep[0].join(items) + "}" + " " * draw(st.integers(0, 7))
    return name, _frame(text, blob[8 + n:])


@_settings(1500)
@given(data=st.data())
def test_mutated_headers(samples, data):
    scratch, blobs = samples
    name, blob = data.draw(mutated_headers(blobs))
    _check(scratch / "case.safetensors", blob)
