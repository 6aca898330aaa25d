"""ember.load on malformed files: every way a file can be broken is one CheckpointError (a
ValueError) naming the file and what is wrong, whichever header parser read it; and the odd but
well-formed files that other writers make still load."""
import json
import struct

import numpy as np
import pytest

import ember
from ember import _safetensors_header as header_mod
from ember.serialization import CheckpointError

GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


def _blob(header, buffer=b"", compact=True):
    if isinstance(header, bytes):
        text = header
    else:
        text = json.dumps(header, separators=(",", ":") if compact else None, ensure_ascii=False).encode()
    return struct.pack("<Q", len(text)) + text + buffer


def _raises(path, blob, match):
    """load() raises CheckpointError matching `match`, and both parsers say the same."""
    path.write_bytes(blob)
    with pytest.raises(CheckpointError, match=match) as info:
        ember.load(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value) and info.value.path == str(path)
    _parsers_agree(blob)
    return info.value


def _parsers_agree(blob):
    """The fast and the general header parser give the same Header or the same error."""
    if len(blob) < 8:
        return
    n = int.from_bytes(blob[:8], "little")
    try:
        text = blob[8:8 + n].decode("utf-8")
    except UnicodeDecodeError:
        return
    buffer_len = len(blob) - 8 - n
    results = []
    for general in (False, True):
        try:
            h = header_mod.parse(text, buffer_len, general=general)
            results.append((h.metadata, h.names, h.codes, h.shapes, h.begins.tolist(), h.ends.tolist()))
        except header_mod.Malformed as e:
            results.append(str(e))
    assert results[0] == results[1]


CASES = {
    # the frame around the header
    "empty file": (b"", "truncated file: 0 bytes"),
    "seven bytes": (b"\x01\x02\x03\x04\x05\x06\x07", "truncated file: 7 bytes"),
    "header over the limit": (struct.pack("<Q", 10 ** 12), "header length 1000000000000 is over"),
    "header length 2**64-1": (b"\xff" * 8 + b"{}", "is over the 100000000-byte limit"),
    "header past the end": (struct.pack("<Q", 64) + b"{}", "runs past the end of the 10-byte file"),
    "not UTF-8": (_blob(b'{"\xff":1}'), "not valid JSON: not UTF-8"),
    "lone surrogate bytes": (_blob(b'{"\xed\xa0\x80":1}'), "not UTF-8"),
    "not JSON": (_blob(b"{not json"), "header is not valid JSON"),
    "empty header": (_blob(b""), "header is not valid JSON"),
    "garbage after the JSON": (_blob(b'{}xyz'), "header is not valid JSON"),
    "NUL padding": (_blob(b'{}\x00\x00'), "header is not valid JSON"),
    "a JSON list": (_blob([1, 2]), "header is JSON list, expected an object"),
    "JSON null": (_blob(b"null"), "header is JSON NoneType"),
    "nested 100000 deep": (_blob(b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}"), "nested too deeply"),
    "an integer of 5000 digits": (_blob(b'{"a":{"dtype":"F32","shape":[' + b"9" * 5000 + b'],"data_offsets":[0,0]}}'),
                                  "header is not valid JSON"),
    # keys
    "repeated tensor name": (_blob(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                   b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8),
                             "repeats the key 'a'"),
    "repeated key in an entry": (_blob(b'{"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}',
                                       b"\0" * 4), "repeats the key 'dtype'"),
    "repeated metadata key": (_blob(b'{"__metadata__":{"k":"1","k":"2"}}'), "repeats the key 'k'"),
    # __metadata__
    "metadata not a dict": (_blob({"__metadata__": "x"}), "__metadata__ must map strings to strings"),
    "metadata value not a string": (_blob({**GOOD, "__metadata__": {"k": 1}}, b"\0" * 8), "must map strings"),
    "metadata deeply nested": (_blob(b'{"__metadata__":{"k":' + b"[" * 50000 + b"]" * 50000 + b"}}"),
                               "nested too deeply"),
    "metadata shaped like a tensor": (_blob({"__metadata__": GOOD["a"]}, b"\0" * 8), "must map strings"),
    # entries
    "entry not a dict": (_blob({"a": [1, 2]}), "entry must have dtype, shape and data_offsets"),
    "entry missing data_offsets": (_blob({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8), "must have dtype"),
    "unknown dtype": (_blob({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
                      "unsupported dtype 'F16'"),
    "lower-case dtype": (_blob({"a": {"dtype": "f32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
                         "unsupported dtype 'f32'"),
    "dtype not a string": (_blob({"a": {"dtype": 4, "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
                           "dtype must be a string, got 4"),
    "negative dim": (_blob({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8),
                     "non-negative ints"),
    "float dim": (_blob({"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}, b"\0" * 8),
                  "non-negative ints, got \\[2.0\\]"),
    "bool dim": (_blob({"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, b"\0" * 4),
                 "non-negative ints"),
    "shape not a list": (_blob({"a": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}}, b"\0" * 8),
                         "shape must be a list"),
    "dim 2**70": (_blob({"a": {"dtype": "F32", "shape": [2 ** 70], "data_offsets": [0, 8]}}, b"\0" * 8),
                  "is too large for F32"),
    "dims multiplying past 2**63": (_blob({"a": {"dtype": "F64", "shape": [2 ** 31, 2 ** 31, 2],
                                                 "data_offsets": [0, 8]}}, b"\0" * 8), "is too large for F64"),
    "zero dim beside 2**62": (_blob({"a": {"dtype": "F32", "shape": [0, 2 ** 62], "data_offsets": [0, 0]}}),
                              "is too large for F32"),
    "wrapping int64 size": (_blob({"a": {"dtype": "F64", "shape": [2 ** 61 + 2], "data_offsets": [0, 16]}},
                                  b"\0" * 16), "is too large"),
    "17 dims": (_blob({"a": {"dtype": "F32", "shape": [1] * 17, "data_offsets": [0, 4]}}, b"\0" * 4),
                "has 17 dimensions, ember tensors have at most 16"),
    "offsets not a pair": (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4, 8]}}, b"\0" * 8),
                           "data_offsets must be \\[begin, end\\]"),
    "offsets floats": (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0.0, 8.0]}}, b"\0" * 8),
                       "data_offsets must be"),
    "negative offset": (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}}, b"\0" * 8),
                        "out of range for a 8-byte data buffer"),
    "offset past the buffer": (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}, b"\0" * 8),
                               "out of range"),
    "offset 2**70": (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [2 ** 70, 2 ** 70 + 8]}}, b"\0" * 8),
                     "out of range"),
    "end before begin": (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8),
                         "needs 8 bytes, data_offsets \\[8, 0\\] hold -8"),
    "offsets not matching the shape": (_blob({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}},
                                             b"\0" * 8), "needs 12 bytes"),
    # layout of the data buffer
    "overlap": (_blob({**GOOD, "b": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8),
                "tensors 'a' and 'b' overlap"),
    "partial overlap": (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                               "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12), "overlap"),
    "hole at the start": (_blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12),
                          "a hole in the data buffer before tensor 'a' \\(bytes 0 to 4\\)"),
    "hole between": (_blob({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                            "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}, b"\0" * 12), "a hole"),
    "trailing bytes": (_blob(GOOD, b"\0" * 12), "4 trailing bytes after the last tensor"),
    "bytes but no tensors": (_blob({}, b"\0" * 3), "3 trailing bytes after the header, which lists no tensors"),
    "BOOL byte 7": (_blob({"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x07"),
                    "BOOL data holds bytes other than 0 and 1"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_file(tmp_path, case):
    blob, match = CASES[case]
    _raises(tmp_path / "bad.safetensors", blob, match)


def _nested(structure, tensors=("t",)):
    header = {"__metadata__": {"ember.structure": structure if isinstance(structure, str) else json.dumps(structure)}}
    for i, name in enumerate(tensors):
        header[name] = {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]}
    return _blob(header, b"\0" * 4 * len(tensors))


STRUCTURE_CASES = {
    "not JSON": (_nested("{oops"), "ember.structure is not valid JSON"),
    "100000 deep": (_nested("[" * 100000 + "]" * 100000), "ember.structure nests too deeply"),
    "65 lists deep": (_nested("[" * 65 + '{"__tensor__":"t"}' + "]" * 65), "nests more than 64 containers deep"),
    "an integer of 5000 digits": (_nested('{"__tensor__":"t","x":' + "9" * 5000 + "}"), "is not valid JSON"),
    "unknown tag": (_nested({"__set__": [1]}), "unknown entry in ember.structure"),
    "tag with an extra key": (_nested({"__tensor__": "t", "x": 1}), "unknown entry"),
    "tensor name not a string": (_nested({"__tensor__": 3}), "unknown entry"),
    "tuple not a list": (_nested({"__tuple__": {"a": 1}}), "unknown entry"),
    "missing tensor": (_nested({"__tensor__": "zz"}), "names tensor 'zz', which the file does not hold"),
    "tensor placed twice": (_nested([{"__tensor__": "t"}, {"__tensor__": "t"}]), "places tensor 't' twice"),
    "tensor not placed": (_nested([1], tensors=("t",)), "holds tensor 't', which ember.structure does not place"),
    "dict item not a pair": (_nested({"__dict__": [["a", {"__tensor__": "t"}, 3]]}), "must be \\[key, value\\]"),
    "dict key a list": (_nested({"__dict__": [[[1], {"__tensor__": "t"}]]}), "with a plain key"),
    "dict repeats a key": (_nested({"__dict__": [[1, {"__tensor__": "t"}], [1.0, 2]]}), "repeats the key 1"),
    "repeated JSON key": (_nested('{"__tensor__":"t","__tensor__":"t"}'), "repeats the key '__tensor__'"),
}


@pytest.mark.parametrize("case", list(STRUCTURE_CASES))
def test_malformed_structure(tmp_path, case):
    blob, match = STRUCTURE_CASES[case]
    _raises(tmp_path / "bad.safetensors", blob, match)


def test_truncating_or_extending_a_checkpoint_anywhere(tmp_path):
    p = tmp_path / "c.safetensors"
    ember.save({"w": ember.randn(3, 4), "opt": {"step": 3, "m": ember.zeros(2, dtype=ember.float64)}}, p)
    data = p.read_bytes()
    for cut in range(len(data)):
        p.write_bytes(data[:cut])
        with pytest.raises(CheckpointError):
            ember.load(p)
    for extra in (b"\0", b" ", b"{}", b"\0" * 8):
        p.write_bytes(data + extra)
        with pytest.raises(CheckpointError, match="trailing bytes"):
            ember.load(p)


def test_an_io_error_is_not_a_checkpoint_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.safetensors")
    with pytest.raises(IsADirectoryError):
        ember.load(tmp_path)


def test_checkpoint_error_pickles():
    import pickle

    e = pickle.loads(pickle.dumps(CheckpointError("x.st", "truncated")))
    assert isinstance(e, CheckpointError) and e.path == "x.st" and str(e) == "ember.load('x.st'): truncated"


def _loads_as(path, blob, expected):
    path.write_bytes(blob)
    back = ember.load(path)
    assert list(back) == list(expected)
    for k, v in expected.items():
        np.testing.assert_array_equal(back[k].numpy(), v)
        assert back[k].numpy().dtype == v.dtype
    _parsers_agree(blob)


def test_well_formed_files_of_other_shapes_still_load(tmp_path):
    p = tmp_path / "ok.safetensors"
    two = np.array([1.5, -2.0], dtype=np.float32)
    f64 = np.array([3.25], dtype=np.float64)
    buf = two.tobytes() + f64.tobytes()
    entries = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
               "b": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}}
    # spaces (the general parser), key order, metadata last, null metadata, an extra key, escapes
    _loads_as(p, _blob(entries, buf, compact=False), {"a": two, "b": f64})
    _loads_as(p, _blob({"b": {"data_offsets": [8, 16], "shape": [1], "dtype": "F64"}, "a": entries["a"]}, buf),
              {"b": f64, "a": two})
    _loads_as(p, _blob({**entries, "__metadata__": {"format": "pt"}}, buf), {"a": two, "b": f64})
    _loads_as(p, _blob({"__metadata__": None, **entries}, buf), {"a": two, "b": f64})
    _loads_as(p, _blob({"a": {**entries["a"], "extra": [1]}, "b": entries["b"]}, buf), {"a": two, "b": f64})
    _loads_as(p, _blob(b'{"\\u00e9t\\u00e9":' + json.dumps(entries["a"]).encode() + b"}", two.tobytes()),
              {"été": two})
    _loads_as(p, _blob('{"ünï\\"cödé":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'.encode(), two.tobytes()),
              {'ünï"cödé': two})
    # offsets out of header order, as the safetensors library writes them (by dtype, then name)
    _loads_as(p, _blob({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]},
                        "b": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}, f64.tobytes() + two.tobytes()),
              {"a": two, "b": f64})
    # empty tensors anywhere (several at one offset), 0-d tensors, padding with any JSON whitespace
    empty = np.zeros((0, 3), dtype=np.float32)
    _loads_as(p, _blob(b'{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},'
                       b'"s":{"dtype":"I64","shape":[],"data_offsets":[0,8]},'
                       b'"z":{"dtype":"BOOL","shape":[0],"data_offsets":[8,8]}} \t\n\r ', struct.pack("<q", -5)),
              {"e": empty, "s": np.array(-5, dtype=np.int64), "z": np.zeros(0, dtype=bool)})
    # no tensors at all; metadata alone
    _loads_as(p, _blob({}), {})
    _loads_as(p, _blob({"__metadata__": {"a": "b"}}), {})


def test_misaligned_tensors_are_copied_aligned(tmp_path):
    """An unpadded header (or odd offsets) leaves tensors misaligned in the file; each such tensor
    gets an aligned copy, the others view the shared buffer."""
    p = tmp_path / "odd.safetensors"
    vals = np.array([1.25, -7.5], dtype=np.float64)
    blob = _blob({"i": {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]},
                  "f": {"dtype": "F64", "shape": [2], "data_offsets": [4, 20]}},
                 struct.pack("<i", 9) + vals.tobytes())
    _loads_as(p, blob, {"i": np.array([9], dtype=np.int32), "f": vals})
    back = ember.load(p)
    assert back["f"].data_ptr() % 8 == 0
    back["f"].add_(1.0)  # writes stay in their own tensor
    assert back["i"].tolist() == [9] and back["f"].tolist() == [2.25, -6.5]


def test_tensors_of_one_file_are_independent(tmp_path):
    p = tmp_path / "m.safetensors"
    ember.save({"a": ember.zeros(3), "b": ember.ones(3)}, p)
    back = ember.load(p)
    v = back["b"]._version
    back["a"].add_(5.0)
    assert back["b"].tolist() == [1.0] * 3 and back["b"]._version == v
    del back["b"]
    assert back["a"].tolist() == [5.0] * 3


def test_save_refuses_what_load_would_refuse(tmp_path):
    nested = []
    for _ in range(70):
        nested = [nested]
    with pytest.raises(ValueError, match="nest more than 64 deep"):
        ember.save({"x": nested}, tmp_path / "deep.safetensors")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nest more than 64 deep"):
        ember.save(loop, tmp_path / "loop.safetensors")
    for obj in ({"__metadata__": ember.ones(1)}, {"__metadata__": ember.ones(1), "n": 1}):
        with pytest.raises(ValueError, match="can't be named '__metadata__'"):
            ember.save(obj, tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="ember's own"):
        ember.save({"a": ember.ones(1)}, tmp_path / "m.safetensors", metadata={"ember.structure": "[]"})
    deep_ok = [ember.ones(1)]
    for _ in range(62):
        deep_ok = [deep_ok]  # with the dict around it, 64 containers: the most there may be
    ember.save({"x": deep_ok}, tmp_path / "ok.safetensors")
    back = ember.load(tmp_path / "ok.safetensors")["x"]
    for _ in range(62):
        back = back[0]
    assert back[0].tolist() == [1.0]
