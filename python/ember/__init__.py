"""ember: a tensor engine with reverse-mode autodiff whose hot path is native C++.

`import ember as torch` is meant to run an ordinary small-MLP script.
"""
from . import _C
from ._C import device, dtype, from_dlpack, from_numpy
from ._C import OutOfMemoryError  # a RuntimeError (as PyTorch raises) and a MemoryError
from ._C import get_num_threads, set_num_threads
from ._C import *  # noqa: F401,F403  the elementwise ops of csrc/kernels/op_kinds.h (_C.__all__): abs, add, exp ...
from ._C import all, any, clamp, clip, count_nonzero, where
from ._C import as_strided, bmm, cat, chunk, gather, index_select, matmul, mm, narrow, scatter_add, select, split, stack  # noqa: E501

float32 = dtype.float32
float64 = dtype.float64
int32 = dtype.int32
int64 = dtype.int64
bool = dtype.bool
float = float32
double = float64
long = int64
int = int32  # noqa: A001  (torch.int is int32)

from .tensor import Tensor  # noqa: E402
from .size import Size  # noqa: E402
from .type_info import finfo, iinfo  # noqa: E402
from .functions import (addbmm, addmm, addmv, baddbmm, bincount, broadcast_to, cdist, clone, detach,  # noqa: E402
                        diag, dot, einsum, flatten, flip, is_floating_point, is_nonzero, logsumexp, masked_fill,
                        masked_select, meshgrid, mv, norm, numel, outer, permute, repeat_interleave, reshape, roll,
                        scatter, squeeze, swapaxes, swapdims, t, tensordot, transpose, tril, triu, unbind, unique,
                        unsqueeze)
from ._scatter_ops import index_add, index_copy, index_fill, scatter_reduce  # noqa: E402
from .factories import (arange, as_tensor, empty, empty_like, eye, full, full_like,  # noqa: E402
                        linspace, ones, ones_like, tensor, zeros, zeros_like)
from .factories import get_default_dtype, set_default_dtype, set_default_tensor_type  # noqa: E402
from .random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,  # noqa: E402
                     rand, rand_like, randint, randn, randn_like, randperm, seed, set_rng_state)
from .autograd.grad_mode import (enable_grad, inference_mode, no_grad,  # noqa: E402
                                 set_grad_enabled)
from ._C import is_grad_enabled  # noqa: E402
from . import autograd, cuda  # noqa: E402
from . import viz  # noqa: E402
from ._C import (argsort, bucketize, cumprod, cumsum, kthvalue, logcumsumexp, median, msort,  # noqa: E402
                 multinomial, prod, searchsorted, sort, topk)
from ._reductions import amax, amin, argmax, argmin, log_softmax, max, mean, min, softmax, std, var  # noqa: E402,A004
from ._C import sum  # noqa: E402,A004
from . import nn  # noqa: E402
from .nn.functional import conv2d, max_pool2d  # noqa: E402,F401  (torch.conv2d ...)
from .nn.functional_sparse import embedding_op as embedding  # noqa: E402  (torch.embedding: weight first)
from . import return_types  # noqa: E402,F401  (torch.return_types)
from . import data, optim  # noqa: E402
from .serialization import load, save  # noqa: E402
from . import utils  # noqa: E402
from . import onnx  # noqa: E402  (needs the onnx package only when export() runs)
from . import profiler  # noqa: E402
from . import distributed  # noqa: E402  (imports mpi4py only at init_process_group)
from ._out import install as _install_out  # noqa: E402

_install_out(globals())  # out= on the functions above that torch gives it (python/ember/_out.py)
del _install_out

__version__ = "0.1.0"
from . import __config__  # noqa: E402  (after __version__, which it reports)


def is_tensor(obj):
    return isinstance(obj, Tensor)


