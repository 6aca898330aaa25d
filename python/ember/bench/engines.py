"""The engines a benchmark run compares, and the one thread count they all get.

An `Engine` is a name, the library that implements it and a device; `discover` returns the ones
asked for, each either usable or with the reason it is skipped (no GPU, torch not installed), so
the report can say why a row is missing instead of leaving it out silently.
"""
import os
import sys

import numpy as np

ENGINE_NAMES = ("value", "numpy", "ember", "ember-cuda", "torch", "torch-cuda")
DEFAULT_ENGINES = "value,numpy,ember,torch"  # each CPU name brings its -cuda twin along


class Engine:
    def __init__(self, name, lib=None, device="cpu", skip=None, version=""):
        self.name, self.lib, self.device, self.skip, self.version = name, lib, device, skip, version

    @property
    def kind(self):
        """'value', 'numpy', 'ember' or 'torch': what code builds a case for this engine."""
        return self.name.split("-")[0]

    def __repr__(self):
        return f"Engine({self.name!r}" + (f", skipped: {self.skip}" if self.skip else "") + ")"

    # ------------------------------------------------------------------ moving data in and out

    def tensor(self, array, requires_grad=False):
        """An engine tensor holding `array` (value: nested lists of floats, left to the workload)."""
        if self.kind == "numpy":
            return self.lib.Tensor(np.array(array), requires_grad=requires_grad)
        if self.kind in ("ember", "torch"):
            t = self.lib.tensor(np.ascontiguousarray(array))
            if self.device != "cpu":
                t = t.to(self.device)
            return t.requires_grad_(requires_grad) if requires_grad else t
        raise TypeError(f"[bench] engine {self.name} has no tensors")

    def numpy(self, t):
        if t is None:
            return None
        if self.kind == "numpy":
            return np.asarray(t.data)
        return t.detach().cpu().numpy()

    def sync(self):
        """Waits for queued device work (a no-op on the CPU) so that a timer sees all of it."""
        if self.name == "torch-cuda":
            self.lib.cuda.synchronize()
        elif self.name == "ember-cuda":
            sync = getattr(self.lib.cuda, "synchronize", None)
            if sync is not None:
                sync()


def expand(names):
    """'value,numpy,ember,torch' -> the list of engine names, each CPU engine with its -cuda twin."""
    out = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in ENGINE_NAMES:
            raise ValueError(f"[bench] unknown engine {name!r}; choose from {', '.join(ENGINE_NAMES)}")
        for n in (name, name + "-cuda") if name in ("ember", "torch") else (name,):
            if n not in out:
                out.append(n)
    return out


def discover(names):
    import ember
    from ember import reference
    engines = []
    for name in names:
        if name == "value":
            engines.append(Engine(name, reference, version="ember.reference.Value (pure Python)"))
        elif name == "numpy":
            engines.append(Engine(name, reference.numpy_engine, version=f"ember.reference.numpy_engine on numpy {np.__version__}"))
        elif name == "ember":
            engines.append(Engine(name, ember, version=_ember_version(ember)))
        elif name == "ember-cuda":
            engines.append(Engine(name, ember, "cuda", skip=_ember_cuda_skip(ember), version=f"ember {ember.__version__}"))
        else:
            torch, why = _import_torch()
            if torch is None:
                engines.append(Engine(name, skip=why))
            elif name == "torch":
                engines.append(Engine(name, torch, version=f"torch {torch.__version__}"))
            else:
                skip = None if torch.cuda.is_available() else (
                    "torch.cuda.is_available() is False (torch "
                    f"{torch.__version__}{'' if torch.version.cuda else ' is a CPU-only build'})")
                engines.append(Engine(name, torch, "cuda", skip=skip, version=f"torch {torch.__version__}"))
    return engines


def _ember_version(ember):
    """The version and how the extension was compiled (-march=native changes what kernels run)."""
    info = ember._C._build_info() if hasattr(ember._C, "_build_info") else {}
    if not info:
        return f"ember {ember.__version__}"
    return (f"ember {ember.__version__} ({info.get('compiler', '?')}, -march=native "
            f"{'on' if info.get('native_arch') else 'off'}, OpenMP {'on' if info.get('openmp') else 'off'})")


def _ember_cuda_skip(ember):
    if ember.cuda.is_available():
        return None
    info = ember._C._build_info() if hasattr(ember._C, "_build_info") else {}
    if not info.get("cuda", False):
        return "ember.cuda.is_available() is False: this ember build has no CUDA backend (EMBER_CUDA=OFF or no nvcc)"
    return "ember.cuda.is_available() is False: ember has CUDA but no driver or GPU was found"


def _import_torch():
    try:
        import torch
        return torch, None
    except ImportError as e:
        return None, f"PyTorch is not importable ({e})"


# ---------------------------------------------------------------------- threads

_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_limits = None  # the threadpoolctl limiter, kept alive for the whole run


def set_threads(n):
    """Gives every engine `n` threads; returns a description of what was set, for the report.

    Note [One thread count for all]: environment variables only reach a threading runtime that has
    not started yet, and `import ember` has already loaded NumPy (and its BLAS) and ember's OpenMP.
    threadpoolctl changes the running BLAS and OpenMP pools in place, so it is used when installed;
    without it the variables are the best we can do, and the report says which applied."""
    for var in _ENV_VARS:
        os.environ[var] = str(n)
    notes = [f"{'/'.join(_ENV_VARS)}={n}"]
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
        notes.append(f"torch.set_num_threads({n})")
    global _limits
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        notes.append("threadpoolctl not installed: NumPy's BLAS keeps the count it started with "
                     "(run bench/suite.py, which sets the variables before NumPy loads)")
        return "; ".join(notes)
    _limits = threadpool_limits(limits=n)
    pools = sorted({f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()})
    notes.append("threadpoolctl: " + ", ".join(pools))
    return "; ".join(notes)
