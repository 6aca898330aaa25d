"""ember.save / ember.load: safetensors files both ways with the safetensors library, optimizer
state dicts through a file, and malformed files as clean ValueErrors."""
import json
import struct

import numpy as np
import pytest

import ember

st_numpy = pytest.importorskip("safetensors.numpy")


def _state():
    return {"w": ember.randn(3, 4), "b": ember.zeros(4, dtype=ember.float64), "steps": ember.arange(5),
            "mask": ember.tensor([True, False, True]), "scalar": ember.tensor(2.5), "empty": ember.zeros(0, 3)}


def test_round_trip_flat_state_dict(tmp_path):
    sd = _state()
    path = tmp_path / "model.safetensors"
    ember.save(sd, path)
    back = ember.load(path)
    assert list(back) == list(sd)
    for k in sd:
        assert back[k].dtype == sd[k].dtype and back[k].shape == sd[k].shape
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())


def test_files_are_read_by_safetensors_and_vice_versa(tmp_path):
    sd = _state()
    ember.save(sd, tmp_path / "a.safetensors")
    theirs = st_numpy.load_file(str(tmp_path / "a.safetensors"))
    assert set(theirs) == set(sd)
    for k in sd:
        np.testing.assert_array_equal(theirs[k], sd[k].numpy())
        assert theirs[k].dtype == sd[k].numpy().dtype
    arrays = {"x": np.arange(6, dtype=np.float32).reshape(2, 3), "y": np.array([1.5, -2.0]),
              "i": np.array([[7, -8]], dtype=np.int64), "f": np.array([True, False])}
    st_numpy.save_file(arrays, str(tmp_path / "b.safetensors"), metadata={"who": "safetensors"})
    mine = ember.load(tmp_path / "b.safetensors")
    for k, a in arrays.items():
        np.testing.assert_array_equal(mine[k].numpy(), a)
        assert mine[k].numpy().dtype == a.dtype


def test_non_contiguous_tensors_are_saved_by_value(tmp_path):
    t = ember.arange(12).view(3, 4).t()
    ember.save({"t": t, "row": ember.arange(12.0)[2:7]}, tmp_path / "v.safetensors")
    back = ember.load(tmp_path / "v.safetensors")
    np.testing.assert_array_equal(back["t"].numpy(), t.numpy())
    np.testing.assert_array_equal(back["row"].numpy(), np.arange(2.0, 7.0))


def test_loaded_tensors_own_their_memory(tmp_path):
    path = tmp_path / "m.safetensors"
    ember.save({"a": ember.ones(4)}, path)
    a = ember.load(path)["a"]
    path.write_bytes(b"overwritten")  # the file's bytes are gone; the tensor is not
    a.add_(1.0)
    assert a.tolist() == [2.0] * 4


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_optimizer_state_dict_through_a_file(tmp_path, name):
    params = [ember.randn(3, 2, requires_grad=True), ember.randn(2, requires_grad=True)]
    kwargs = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(amsgrad=True, betas=(0.8, 0.99)),
              "RMSprop": dict(centered=True, momentum=0.3)}[name]
    opt = getattr(ember.optim, name)([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], **kwargs)
    for _ in range(3):
        for p in params:
            p.grad = ember.ones_like(p) * 0.3
        opt.step()
    path = tmp_path / "opt.safetensors"
    ember.save(opt.state_dict(), path)
    loaded = ember.load(path)
    ref = opt.state_dict()
    assert loaded["param_groups"] == ref["param_groups"]  # tuples (betas) and ints survive
    assert sorted(loaded["state"]) == [0, 1]
    copies = [ember.tensor(p.detach().numpy(), requires_grad=True) for p in params]
    fresh = getattr(ember.optim, name)([{"params": copies[:1]}, {"params": copies[1:]}])
    fresh.load_state_dict(ember.load(path))
    for _ in range(3):
        for p, c in zip(params, copies):
            p.grad = ember.ones_like(p) * -0.2
            c.grad = ember.ones_like(c) * -0.2
        opt.step()
        fresh.step()
    for p, c in zip(params, copies):
        np.testing.assert_array_equal(p.detach().numpy(), c.detach().numpy())


def test_nested_checkpoint_and_unsupported_objects(tmp_path):
    ckpt = {"model": {"w": ember.ones(2)}, "epoch": 3, "loss": float("nan"), "tags": ["a", None, (1, 2.5)]}
    ember.save(ckpt, tmp_path / "c.safetensors")
    back = ember.load(tmp_path / "c.safetensors")
    assert back["epoch"] == 3 and np.isnan(back["loss"]) and back["tags"] == ["a", None, (1, 2.5)]
    assert back["model"]["w"].tolist() == [1.0, 1.0]
    # It is still a valid safetensors file: the tensors are plain entries named by their path.
    assert list(st_numpy.load_file(str(tmp_path / "c.safetensors"))) == ["model.w"]
    with pytest.raises(TypeError, match="can't store an object of type function"):
        ember.save({"f": lambda: 0}, tmp_path / "bad.safetensors")


def _write(path, header, buffer=b""):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + buffer)
    return path


def test_malformed_files_are_clean_value_errors(tmp_path):
    p = tmp_path / "x.safetensors"
    good = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    cases = [
        (b"\x01\x02", None, "truncated file"),
        (struct.pack("<Q", 10 ** 12), None, "header length 1000000000000 is over"),
        (struct.pack("<Q", 64) + b"{}", None, "runs past the end"),
        (None, (b"{not json", b""), "header is not valid JSON"),
        (None, (b"\xff\xfe", b""), "header is not valid JSON"),
        (None, (b"[1, 2]", b""), "expected an object"),
        (None, ({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4), "unsupported dtype 'F16'"),
        (None, ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}, b"\0" * 8), "out of range"),
        (None, ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8), "needs 12 bytes"),
        (None, ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8), "non-negative ints"),
        (None, ({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8), "must have dtype, shape and data_offsets"),
        (None, ({**good, "b": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8), "overlap"),
        (None, ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12), "a hole"),
        (None, (good, b"\0" * 12), "4 trailing bytes"),
        (None, ({**good, "__metadata__": {"k": 1}}, b"\0" * 8), "__metadata__ must map strings to strings"),
        (None, ({"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x07"), "BOOL data holds"),
        (None, ({**good, "__metadata__": {"ember.structure": '{"__tensor__": "zz"}'}}, b"\0" * 8),
         "names tensor 'zz'"),
        (None, ({**good, "__metadata__": {"ember.structure": "{oops"}}, b"\0" * 8), "is not valid JSON"),
    ]
    for raw, parts, msg in cases:
        if raw is not None:
            p.write_bytes(raw)
        else:
            _write(p, *parts)
        with pytest.raises(ValueError, match=msg):
            ember.load(p)
    # Truncating a real checkpoint anywhere is an error, never a crash.
    ember.save(_state(), p)
    data = p.read_bytes()
    for cut in (0, 7, 9, len(data) // 2, len(data) - 1):
        p.write_bytes(data[:cut])
        with pytest.raises(ValueError):
            ember.load(p)


def test_header_is_padded_to_eight_bytes(tmp_path):
    ember.save({"a": ember.ones(1)}, tmp_path / "p.safetensors", metadata={"note": "hi"})
    data = (tmp_path / "p.safetensors").read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    assert n % 8 == 0 and json.loads(data[8:8 + n])["__metadata__"] == {"note": "hi"}
