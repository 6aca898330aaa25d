"""ember.__config__, as torch.__config__: how this build of ember was made and what it runs with."""
import os
import platform

import numpy

from . import _C, __version__, cuda


def show():
    """A few lines on the build: version, compiler and flags, threads, the CPU's vector ISA, CUDA."""
    b = _C._build_info()
    isa, used = _C._detected_cpu_isa(), _C._cpu_isa()
    lines = [f"ember {__version__} ({os.path.dirname(__file__)})",
             f"  - Python {platform.python_version()}, NumPy {numpy.__version__}, {platform.platform()}",
             f"  - compiler: {b['compiler']}; -march=native: {b['native_arch']}",
             f"  - {parallel_info().strip()}",
             f"  - CPU ISA: {isa}" + ("" if used == isa else f" (kernels forced to {used})"),
             f"  - CUDA backend built: {b['cuda']}" + (" (emulated: EMBER_CUDA=EMU)" if cuda.is_built() and
                                                     cuda.is_emulated() else "")]
    if cuda.is_available():
        for i in range(cuda.device_count()):
            lines.append(f"  - CUDA device {i}: {cuda.get_device_properties(i)}")
    else:
        lines.append(f"  - CUDA available: False ({cuda.unavailable_reason()})")
    lines.append(f"  - NCCL: {nccl_info()}")
    return "\n".join(lines) + "\n"


def nccl_info():
    """The NCCL that ember.distributed's nccl backend would use (Note [NCCL at run time])."""
    path, error = _C._nccl_library()
    if not path:
        return f"not loaded ({error})"
    v = _C._nccl_version()
    return f"{v // 10000}.{v // 100 % 100}.{v % 100} from {path}"


def parallel_info():
    b = _C._build_info()
    return f"OpenMP: {b['openmp']}; threads: {_C.get_num_threads()} (ember.set_num_threads)\n"
