"""ember.onnx.export (Note [Exporting by tracing modules]): every module with an ONNX rendering,
checked by onnx.checker and run by ONNX Runtime against ember's own output, to 1e-5; dynamic axes;
the digits CNN of examples/cnn_digits.py; and the errors for what cannot be exported faithfully."""
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import ember
import ember.nn as nn

onnx = pytest.importorskip("onnx")  # part of the test extra; the skip is for a bare checkout only
ort = pytest.importorskip("onnxruntime")

ROOT = pathlib.Path(__file__).resolve().parents[1]


def export_and_run(model, x, tmp_path, feed=None, **kw):
    path = tmp_path / "model.onnx"
    ember.onnx.export(model, x, str(path), **kw)
    onnx.checker.check_model(onnx.load(str(path)))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = x if feed is None else feed
    got = session.run(None, {session.get_inputs()[0].name: feed.numpy()})[0]
    model.eval()
    with ember.no_grad():
        want = model(feed).numpy()
    return got, want, session


def trained_batchnorm(bn, shape):
    bn.train()
    with ember.no_grad():
        for _ in range(3):
            bn(ember.randn(*shape) * 2 + 1)  # running statistics away from 0 and 1
    return bn


LAYER_STACKS = {
    "mlp": lambda: nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4), nn.LogSoftmax(dim=1)),
    "activations": lambda: nn.Sequential(nn.Linear(6, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.Tanh(), nn.Sigmoid(),
                                         nn.GELU(), nn.GELU(approximate="tanh"), nn.SiLU(), nn.ELU(0.5), nn.SELU(),
                                         nn.Hardtanh(-0.3, 0.4), nn.ReLU6(), nn.Dropout(0.5), nn.Identity(),
                                         nn.Softmax(dim=-1)),
    "norms": lambda: nn.Sequential(nn.Linear(6, 8), trained_batchnorm(nn.BatchNorm1d(8), (32, 8)), nn.ReLU(),
                                   nn.LayerNorm(8), nn.LayerNorm(8, elementwise_affine=False), nn.Linear(8, 2, bias=False)),
}


@pytest.mark.parametrize("stack", sorted(LAYER_STACKS))
def test_layer_stacks_run_in_onnx_runtime_as_in_ember(stack, tmp_path):
    ember.manual_seed(0)
    model = LAYER_STACKS[stack]()
    got, want, _ = export_and_run(model, ember.randn(5, 6), tmp_path)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_a_dynamic_batch_and_names(tmp_path):
    ember.manual_seed(1)
    model = LAYER_STACKS["mlp"]()
    got, want, session = export_and_run(model, ember.randn(5, 6), tmp_path, feed=ember.randn(11, 6),
                                        input_names=["pixels"], output_names=["log_probs"],
                                        dynamic_axes={"pixels": {0: "batch"}, "log_probs": [0]})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert [i.name for i in session.get_inputs()] == ["pixels"] and session.get_inputs()[0].shape == ["batch", 6]
    assert [o.name for o in session.get_outputs()] == ["log_probs"]


def test_the_digits_cnn(tmp_path):
    spec = importlib.util.spec_from_file_location("cnn_digits", ROOT / "examples" / "cnn_digits.py")
    cnn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cnn)
    ember.manual_seed(2)
    model = cnn.DigitsCNN()
    got, want, _ = export_and_run(model, ember.randn(4, 1, 8, 8), tmp_path, feed=ember.randn(9, 1, 8, 8),
                                  dynamic_axes={"input_0": [0], "output_0": [0]})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_convolutions_pools_and_reshapes(tmp_path):
    ember.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, stride=2, padding=1, dilation=1), trained_batchnorm(nn.BatchNorm2d(4), (8, 4, 5, 5)),
                          nn.Conv2d(4, 4, 3, padding="same", groups=2, bias=False), nn.AvgPool2d(2, padding=1),
                          nn.MaxPool2d(2, stride=1, ceil_mode=True), nn.AdaptiveAvgPool2d((1, 2)),
                          nn.Flatten(), nn.Unflatten(1, (2, 4)), nn.Flatten())
    got, want, _ = export_and_run(model, ember.randn(3, 2, 10, 10), tmp_path)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_an_embedding_model_and_float64(tmp_path):
    ember.manual_seed(4)
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2)).double()
    tokens = ember.tensor([[1, 2, 3], [9, 0, 4]])
    path = tmp_path / "m.onnx"
    ember.onnx.export(model, tokens, str(path))
    got = ort.InferenceSession(str(path)).run(None, {"input_0": tokens.numpy()})[0]
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, model(tokens).detach().numpy(), rtol=1e-12)


def test_export_restores_the_training_mode_and_writes_to_a_file_object(tmp_path):
    model = LAYER_STACKS["mlp"]()
    model.train()
    with open(tmp_path / "m.onnx", "wb") as f:
        ember.onnx.export(model, ember.randn(2, 6), f)
    assert model.training and (tmp_path / "m.onnx").stat().st_size > 0


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 4)

    def forward(self, x):
        return self.b(self.a(x).relu())  # relu as a tensor method: outside any module


def test_a_computation_outside_the_modules_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"'b' \(Linear\) reads a value computed outside the model's modules"):
        ember.onnx.export(Residual(), ember.randn(2, 4), str(tmp_path / "m.onnx"))
    assert not (tmp_path / "m.onnx").exists()


def test_unsupported_modules_are_named(tmp_path):
    with pytest.raises(ember.onnx.UnsupportedModuleError, match=r"no ONNX rendering for GroupNorm \('1'\)"):
        ember.onnx.export(nn.Sequential(nn.Linear(4, 4), nn.GroupNorm(2, 4)), ember.randn(2, 4), str(tmp_path / "m"))
    with pytest.raises(ember.onnx.UnsupportedModuleError, match="BatchNorm1d without running statistics"):
        ember.onnx.export(nn.BatchNorm1d(4, track_running_stats=False), ember.randn(2, 4), str(tmp_path / "m"))
    with pytest.raises(ember.onnx.UnsupportedModuleError, match="Softmax with dim=None"):
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            ember.onnx.export(nn.Softmax(), ember.randn(2, 4), str(tmp_path / "m"))


def test_without_the_onnx_package_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "ember\[onnx\]"'):
        ember.onnx.export(nn.Linear(2, 2), ember.randn(1, 2), str(tmp_path / "m.onnx"))
