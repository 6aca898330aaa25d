"""out= on the ember.* functions, as torch's: ember.add(a, b, out=c) writes the result into c and
returns c; ember.max(x, 1, out=(values, indices)) fills both. One wrapper (with_out) serves every
function: it computes the result as the plain call does, refuses what PyTorch refuses (grad mode on
and something requiring grad; an `out` of a dtype the op's rule rejects), warns when it resizes an
`out` that had elements, and hands the rest to the native writer (Note [out= arguments],
csrc/ops/out.cpp). What differs between functions is only PyTorch's dtype rule for `out`: the
table at the bottom says which rule each function follows."""
import warnings

from . import _C

# PyTorch's spellings of a dtype in these messages: ScalarType names ("Float") and C++ type
# names ("float"), keyed by ember's dtype name.
_NAMES = {"bool": ("Bool", "bool"), "int32": ("Int", "int"), "int64": ("Long", "long int"),
          "float32": ("Float", "float"), "float64": ("Double", "double")}


def _scalar_name(d):
    return _NAMES.get(str(d).split(".")[-1], (str(d), str(d)))[0]


def _cpp_name(d):
    return _NAMES.get(str(d).split(".")[-1], (str(d), str(d)))[1]


def _category(d):
    """bool < integer < floating: a result may be written into an out of its category or above."""
    return 0 if d == _C.dtype.bool else 2 if d.is_floating_point else 1


# ---- dtype rules: check(op, result_dtype, out_dtype) raises what PyTorch raises for that op family

def _castable(op, r, o):  # TensorIterator ops (add, exp, ...): any out the result can be cast to
    if _category(r) > _category(o):
        raise RuntimeError(f"result type {_scalar_name(r)} can't be cast to the desired output type {_scalar_name(o)}")


def _found_same(op, r, o):  # ops that never promote (abs, neg, floor, clamp, ...): the input's dtype exactly
    if r != o:
        raise RuntimeError(f"Found dtype {_scalar_name(o)} but expected {_scalar_name(r)}")


def _must_match(message):
    """The rule of ops whose out must have exactly the result's dtype; `message` is the op's own
    PyTorch message, formatted with op and the dtypes' scalar ({r}, {o}) and C++ ({rc}, {oc}) names."""
    def check(op, r, o):
        if r != o:
            raise RuntimeError(message.format(op=op, r=_scalar_name(r), o=_scalar_name(o), rc=_cpp_name(r),
                                              oc=_cpp_name(o)))
    return check


# structured kernels with a fixed result dtype (mm, argmax, sort, ...)
_expected_same = _must_match("Expected out tensor to have dtype {rc}, but got {oc} instead")
_where = _must_match("Expected out type to be {r} but got {o}")
_amax = _must_match("Expected the dtype for input and out to match, but got {r} for input's dtype and {o} for "
                    "out's dtype.")
_same_scalar_type = _must_match("{op}(): self and result must have the same scalar type")  # index_select, masked_select
_nan_to_num = _must_match("nan_to_num: dtype of out: {o} should be same as input: {r}")
_dot = _must_match("result dtype {o} does not match input dtype {r}")
_tensordot = _must_match("tensordot: Expected the output tensor to have dtype {r}, but got an output tensor with "
                         "dtype {o}")


def _bool_only(op, r, o):  # isposinf, isneginf, signbit
    if o != _C.dtype.bool:
        raise RuntimeError(f"{op} does not support non-boolean outputs.")


def _cat(op, r, o):
    if _category(r) > _category(o):
        raise TypeError(f"ember.cat(): input types can't be cast to the desired output type {_scalar_name(o)}")


def _floating_out(op, r, o):  # logsumexp
    if not o.is_floating_point:
        raise RuntimeError(f"{op}(): Expected floating point type for result tensor, but got: {_scalar_name(o)}")


def _scalar_type(op, r, o):  # logcumsumexp
    if r != o:
        raise RuntimeError(f"expected scalar_type {_scalar_name(r)} but found {_scalar_name(o)}")


def _none(op, r, o):  # the dtype came from out itself (prepare set it)
    pass


# ---- prepare(op, args, kwargs, out) -> kwargs: what the out's dtype changes about the call itself

def _dtype_kwarg_matches(kwargs, o):
    d = kwargs.get("dtype")
    if d is not None and d != o:
        raise RuntimeError(f"Expected out tensor to have dtype {_cpp_name(d)}, but got {_cpp_name(o)} instead")


def _reduce_in_out_dtype(op, args, kwargs, out):
    """sum, prod, cumsum, cumprod: PyTorch takes the dtype to compute in from out (sum of float32
    into a float64 out adds in float64), unless dtype= says it, which must then agree."""
    _dtype_kwarg_matches(kwargs, out.dtype)
    return dict(kwargs, dtype=out.dtype)


def _mean_in_out_dtype(op, args, kwargs, out):
    """mean: as sum for a floating input and a floating out; an integer input still raises (the
    out does not give mean a dtype to infer), a floating out is never widened to an integer one."""
    _dtype_kwarg_matches(kwargs, out.dtype)
    x = args[0] if args else kwargs.get("input")
    if kwargs.get("dtype") is None and isinstance(x, _C.TensorBase) and x.is_floating_point() \
            and out.dtype.is_floating_point:
        return dict(kwargs, dtype=out.dtype)
    return kwargs


def _factory(op, args, kwargs, out):
    """zeros, arange, rand ...: the result is made in out's dtype on out's device."""
    d = kwargs.get("dtype")
    if d is not None and d != out.dtype:
        raise RuntimeError(f"dtype {_scalar_name(d)} does not match dtype of out parameter ({_scalar_name(out.dtype)})")
    kwargs = dict(kwargs, dtype=out.dtype)
    if kwargs.get("device") is None:
        kwargs["device"] = out.device
    return kwargs


def _out_tensors(name, out):
    if isinstance(out, _C.TensorBase):
        return (out,)
    if isinstance(out, (tuple, list)) and all(isinstance(o, _C.TensorBase) for o in out):
        return tuple(out)
    raise TypeError(f"{name}(): argument 'out' must be Tensor or a tuple of Tensors, not {type(out).__name__}")


def _tensor_args(args, kwargs):
    """The tensors a call reads: its tensor arguments and those in list arguments (cat's)."""
    found = []
    for a in (*args, *kwargs.values()):
        if isinstance(a, _C.TensorBase):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            found.extend(t for t in a if isinstance(t, _C.TensorBase))
    return found


def _resize_warning(out, shape):
    return (f"An output with one or more elements was resized since it had shape {list(out.shape)}, which does not "
            f"match the required output shape {list(shape)}. This behavior is deprecated, and in a future release "
            "outputs will not be resized unless they have zero elements. You can explicitly reuse an out tensor t by "
            "resizing it, inplace, to zero elements with t.resize_(0).")


def with_out(fn, name, check=_castable, prepare=None, op=None):
    """fn with an `out=` keyword. `check` is the op's dtype rule for a single result (a (values,
    indices) result always needs both dtypes exact, as PyTorch's sort/max/topk do); `prepare`
    adjusts the call for the out's dtype; `op` names the op in errors when it is not `name`."""
    op = op or name

    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        outs = _out_tensors(name, out)
        requires_grad = False
        if prepare is not None:
            if prepare is _factory:  # requires_grad= of a factory applies to the out it fills
                requires_grad = kwargs.pop("requires_grad", False)
            kwargs = prepare(op, args, kwargs, outs[0])
        inputs = _tensor_args(args, kwargs)
        if inputs:
            for o in outs:
                _C._check_out_overlap(op, o, inputs)
        result = fn(*args, **kwargs)
        pair = isinstance(result, tuple)
        results = tuple(result) if pair else (result,)
        if pair and isinstance(out, _C.TensorBase):
            raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(results)} Tensors, not Tensor")
        if not pair and not isinstance(out, _C.TensorBase):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        if len(outs) != len(results):
            raise TypeError(f"expected tuple of {len(results)} elements but got {len(outs)}")
        if _C.is_grad_enabled() and any(t.requires_grad for t in results + outs):
            raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                               "but one of the arguments requires grad.")
        for r, o in zip(results, outs):
            (_expected_same if pair else check)(op, r.dtype, o.dtype)
        for r, o in zip(results, outs):
            if o.shape != r.shape and o.numel() != 0:
                warnings.warn(_resize_warning(o, r.shape), UserWarning, stacklevel=2)
            _C._write_out(op, o, r)
        if requires_grad:
            out.requires_grad_(True)
        if not pair:
            return out
        return type(result)(*outs) if hasattr(result, "_fields") else outs

    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(wrapper, attr, getattr(fn, attr))
        except (AttributeError, TypeError):
            pass
    wrapper.__wrapped__ = fn
    return wrapper


# ---- which rule each ember.* function follows (PyTorch 2.x's, function by function)

_RULES = {}
for _name in ("neg", "abs", "sign", "round", "floor", "ceil", "trunc", "frac", "bitwise_not", "clamp", "clip",
              "clamp_min", "clamp_max"):
    _RULES[_name] = dict(check=_found_same)
for _name in ("isposinf", "isneginf", "signbit"):
    _RULES[_name] = dict(check=_bool_only)
for _name in ("matmul", "mm", "bmm", "argmax", "argmin", "msort", "gather", "scatter_add", "mv", "addmm", "addmv",
              "baddbmm", "addbmm", "diag", "tril", "triu", "norm", "sort", "topk", "kthvalue", "median"):
    _RULES[_name] = dict(check=_expected_same)
for _name in ("sum", "prod", "cumsum", "cumprod"):
    _RULES[_name] = dict(check=_none, prepare=_reduce_in_out_dtype)
for _name in ("zeros", "ones", "empty", "full", "arange", "linspace", "eye", "rand", "randn", "randint", "randperm"):
    _RULES[_name] = dict(check=_none, prepare=_factory)
_RULES.update(
    mean=dict(check=_castable, prepare=_mean_in_out_dtype),
    where=dict(check=_where), amax=dict(check=_amax), amin=dict(check=_amax),
    cat=dict(check=_cat), stack=dict(check=_cat),
    index_select=dict(check=_same_scalar_type), masked_select=dict(check=_same_scalar_type),
    nan_to_num=dict(check=_nan_to_num), dot=dict(check=_dot), tensordot=dict(check=_tensordot),
    logsumexp=dict(check=_floating_out), logcumsumexp=dict(check=_scalar_type),
    outer=dict(check=_castable), std=dict(check=_castable), var=dict(check=_castable),
    max=dict(check=_castable), min=dict(check=_castable),
)
_OPS = {"clip": "clamp"}  # the name PyTorch's errors use, where it is another op's
# Functions of _C.__all__ (the elementwise tables) that PyTorch gives no out=.
_NO_OUT = {"relu", "silu", "mish", "selu", "logsigmoid", "isnan", "isinf", "isfinite", "isclose", "allclose", "equal"}


def install(namespace):
    """Gives out= to the ember.* functions in `namespace` (ember's module dict): those of the table
    above, and every other elementwise function of _C.__all__ (castable results, as add's)."""
    names = set(_RULES) | {n for n in _C.__all__ if n not in _NO_OUT}
    for name in sorted(names):
        if name in namespace:
            rule = _RULES.get(name, {})
            namespace[name] = with_out(namespace[name], name, rule.get("check", _castable), rule.get("prepare"),
                                       _OPS.get(name))
