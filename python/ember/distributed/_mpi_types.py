"""What the MPI backend speaks: ReduceOp, the ember dtype -> MPI datatype table, and the checks
that turn a tensor into an MPI buffer without copying it.

Note [Tensors as MPI buffers]: an ember CPU tensor's `.numpy()` is a view of its memory (a write
through the array is seen by the tensor), so a contiguous tensor goes to MPI as `[array, MPI type]`
through mpi4py's upper-case (buffer) methods: no copy, no pickling on the data path. A tensor that
is not contiguous is refused rather than copied and copied back: torch's MPI backend refuses it
too ("input tensor has to be contiguous"), and a silent copy would hide that an in-place
collective wrote to a temporary. CUDA tensors are refused as torch's MPI backend refuses them
without a CUDA-aware MPI (the nccl backend is the one for GPUs: nccl.py)."""
import enum

from .. import _C

_INSTALL_HINT = "pip install 'ember[distributed]' (mpi4py and an MPI such as the mpich wheel)"
_MPI = None


def mpi():
    """mpi4py's MPI module, imported on first use (importing it initialises MPI, so `import ember`
    must not do it)."""
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise RuntimeError(f"ember.distributed: the 'mpi' backend needs mpi4py, which is not importable "
                               f"({e}); {_INSTALL_HINT}") from None
        _MPI = MPI
    return _MPI


def mpi4py_importable():
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


class ReduceOp(enum.Enum):
    """How a reduction combines the ranks' values, as torch.distributed.ReduceOp (SUM, AVG,
    PRODUCT, MIN, MAX and the bitwise BAND, BOR, BXOR)."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    def __repr__(self):
        return f"ReduceOp.{self.name}"


_DTYPE_TO_MPI_NAME = {_C.dtype.float32: "FLOAT", _C.dtype.float64: "DOUBLE", _C.dtype.int32: "INT32_T",
                      _C.dtype.int64: "INT64_T", _C.dtype.bool: "C_BOOL"}
_FLOATS = (_C.dtype.float32, _C.dtype.float64)


def dtype_name(dtype):
    return str(dtype).replace("ember.", "")


def mpi_datatype(op_name, tensor):
    name = _DTYPE_TO_MPI_NAME.get(tensor.dtype)
    if name is None:
        supported = ", ".join(dtype_name(d) for d in _DTYPE_TO_MPI_NAME)
        raise TypeError(f"ember.distributed.{op_name}: dtype {dtype_name(tensor.dtype)} is not supported by the "
                        f"mpi backend (supported: {supported})")
    return getattr(mpi(), name)


def check_tensor(op_name, tensor, what="tensor"):
    """Raises the clear error for anything MPI cannot take as it is (Note [Tensors as MPI buffers])."""
    from ..tensor import Tensor
    if not isinstance(tensor, Tensor):
        raise TypeError(f"ember.distributed.{op_name}: {what} must be an ember.Tensor, got {type(tensor).__name__}")
    if tensor.device.type != "cpu":
        raise RuntimeError(f"ember.distributed.{op_name}: {what} is on {tensor.device}, but the mpi backend takes "
                           f"CPU tensors only (no CUDA-aware MPI, as torch's MPI backend without one): "
                           f"init_process_group('nccl') for GPU tensors, or move the tensor with .cpu() and back")
    if not tensor.is_contiguous():
        raise RuntimeError(f"ember.distributed.{op_name}: {what} has to be contiguous (shape "
                           f"{tuple(tensor.shape)}, strides {tuple(tensor.stride())}), as torch's MPI backend "
                           f"requires: pass t.contiguous() and copy the result back")
    mpi_datatype(op_name, tensor)


def buffer(op_name, tensor, what="tensor"):
    """[array, MPI datatype] sharing the tensor's memory (Note [Tensors as MPI buffers])."""
    check_tensor(op_name, tensor, what)
    return [tensor.detach().numpy(), mpi_datatype(op_name, tensor)]


def mpi_op(op_name, op, dtype):
    """The MPI reduction for `op` on `dtype`. AVG runs as SUM (the caller divides afterwards); on
    bool SUM/MAX are a logical or and PRODUCT/MIN a logical and, as NCCL treats bools."""
    if not isinstance(op, ReduceOp):
        raise ValueError(f"ember.distributed.{op_name}: op must be an ember.distributed.ReduceOp (SUM, AVG, PRODUCT, "
                         f"MIN, MAX, BAND, BOR, BXOR), got {op!r}")
    floating = dtype in _FLOATS
    if op is ReduceOp.AVG and not floating:
        raise ValueError(f"ember.distributed.{op_name}: ReduceOp.AVG needs a floating tensor, got "
                         f"{dtype_name(dtype)} (the mean of integers is not an integer): use ReduceOp.SUM and divide")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and floating:
        raise ValueError(f"ember.distributed.{op_name}: {op!r} needs an integer or bool tensor, got {dtype_name(dtype)}")
    MPI = mpi()
    if dtype == _C.dtype.bool:
        return {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND,
                ReduceOp.BAND: MPI.LAND, ReduceOp.BOR: MPI.LOR, ReduceOp.BXOR: MPI.LXOR}[op]
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]
