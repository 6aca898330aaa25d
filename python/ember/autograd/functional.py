"""ember.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp with torch.autograd.functional's
signatures and return conventions (a Tensor where the user gave a Tensor, a tuple where a tuple).

Everything is built from reverse-mode autograd.grad. jvp and hvp use the double-backward trick
(Note [Forward mode by double vjp] in forward_ad.py): the vjp u -> uᵀJ is linear in u and
differentiable, so differentiating it w.r.t. a dummy u gives J·v."""
from .. import _C
from . import grad as _autograd_grad
from ..factories import ones_like, zeros, zeros_like
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


# ---- argument handling ---------------------------------------------------------------------------

def _as_tuple(x, arg_name, fn_name):
    """(was_tuple, tuple of tensors), with PyTorch's TypeError for anything else."""
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, _C.TensorBase):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                            f"but the {where} has type {type(el)}.")
    return is_tuple, items


def _tuple_postprocess(res, was_tuple):
    """Unwraps one level (a list of flags) or two levels (a pair of flags) of 1-tuples."""
    if isinstance(was_tuple, tuple):
        if not was_tuple[1]:
            res = tuple(r[0] for r in res)
        if not was_tuple[0]:
            res = res[0]
    elif not was_tuple:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph):
    """Fresh tensors to differentiate against: views keep the user's graph when create_graph is
    set (so the result is differentiable w.r.t. the user's inputs), detached leaves otherwise."""
    if create_graph:
        return tuple(x.view(tuple(x.shape)) if x.requires_grad else x.detach().requires_grad_(True)
                     for x in inputs)
    return tuple(x.detach().requires_grad_(True) for x in inputs)


def _grad_postprocess(items, create_graph):
    if create_graph:
        return items
    return tuple(None if t is None else t.detach() for t in items)


def _validate_v(v, other, is_other_tuple):
    if len(v) != len(other):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (el_v, el_other) in enumerate(zip(v, other)):
        if tuple(el_v.shape) != tuple(el_other.shape):
            prepend = f"Entry {i} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {list(el_other.shape)} "
                               f"but got {list(el_v.shape)}.")


def _check_outputs_require_grad(outputs, strict):
    if not strict:
        return
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The outputs "
                               "must be computed in a differentiable manner from the input when running in strict "
                               "mode.")


def _grad(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """autograd.grad over the outputs that require grad; None for every input when none does."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _autograd_grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs],
                          retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


def _fill_in_zeros(grads, refs, strict, message):
    """Replaces None by zeros shaped like refs[i] (PyTorch's convention), or raises in strict mode."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(message.format(i=i))
            g = zeros_like(ref)
        out.append(g)
    return tuple(out)


_INDEPENDENT = ("The output of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode.")


# ---- vjp, jvp ------------------------------------------------------------------------------------

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns (func_output, vjp): func(inputs) and vᵀ·J, the vector-Jacobian product at `inputs`."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_outputs_require_grad(outputs, strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            _validate_v(v, outputs, is_outputs_tuple)
        else:
            if len(outputs) != 1 or outputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                                   "Tensor with a single element.")
            v = (ones_like(outputs[0]),)
        grads = _grad(outputs, inputs, v, create_graph)
        vjp_ = _fill_in_zeros(grads, inputs, strict, _INDEPENDENT)
    outputs = _grad_postprocess(outputs, create_graph)
    vjp_ = _grad_postprocess(vjp_, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(vjp_, is_inputs_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns (func_output, jvp): func(inputs) and J·v, the Jacobian-vector product at `inputs`."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            _validate_v(v, inputs, is_inputs_tuple)
        else:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            v = (ones_like(inputs[0]),)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_outputs_require_grad(outputs, strict)
        # Dummy cotangents u: the vjp is linear in u, so its gradient w.r.t. u along v is J·v.
        us = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        grad_inputs = _grad(outputs, inputs, us, create_graph=True)
        _fill_in_zeros(grad_inputs, inputs, strict, _INDEPENDENT)
        live = [(g, vi) for g, vi in zip(grad_inputs, v) if g is not None and g.requires_grad]
        if live:
            jv = _autograd_grad([g for g, _ in live], list(us), [vi for _, vi in live],
                                create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(us)
        jvp_ = _fill_in_zeros(jv, outputs, strict,
                              "The gradient with respect to the input is independent of entry {i} in the "
                              "grad_outputs when using the double backward trick to compute forward mode "
                              "gradients. This is not allowed in strict mode.")
    outputs = _grad_postprocess(outputs, create_graph)
    jvp_ = _grad_postprocess(jvp_, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(jvp_, is_outputs_tuple)


# ---- jacobian, hessian ---------------------------------------------------------------------------

def _basis_vector(out, j):
    seed = zeros(out.numel(), dtype=out.dtype, device=out.device)
    seed[j] = 1.0
    return seed.view(tuple(out.shape))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at inputs: J[i][j] has shape outputs[i].shape + inputs[j].shape.

    Computed row by row with reverse mode (one autograd.grad per output element). `vectorize` is
    accepted for compatibility and gives the same values (ember has no vmap, so rows are a loop);
    strategy="forward-mode" builds columns with jvp instead."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
                         'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, '
                         'prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError("torch.autograd.functional.jacobian: `create_graph=True` and "
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        return _jacobian_forward(func, inputs, strict)
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_outputs_require_grad(outputs, strict)
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            for j in range(out.numel()):
                grads = (None,) * len(inputs)
                if out.requires_grad:
                    grads = _autograd_grad([out], list(inputs), [_basis_vector(out, j)], retain_graph=True,
                                           create_graph=create_graph, allow_unused=True)
                for k, (g, x) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent of input "
                                               f"{k}. This is not allowed in strict mode.")
                        g = zeros_like(x)
                    rows[k].append(g)
            jac.append(tuple(_stack_rows(r, out, x) for r, x in zip(rows, inputs)))
    jac = tuple(_grad_postprocess(row, create_graph) for row in jac)
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def _stack_rows(rows, out, x):
    shape = tuple(out.shape) + tuple(x.shape)
    if not rows:
        return zeros(shape, dtype=x.dtype, device=x.device)
    return _C.stack(rows, 0).view(shape)


def _jacobian_forward(func, inputs, strict):
    """Columns J·e_k by jvp, one input element at a time."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
    jac = [[[] for _ in inputs] for _ in outputs]
    for k, x in enumerate(inputs):
        for e in range(x.numel()):
            v = tuple(_basis_vector(xi, e) if i == k else zeros_like(xi)
                      for i, xi in enumerate(inputs))
            _, cols = jvp(func, inputs, v, strict=strict)
            cols = cols if is_outputs_tuple else (cols,)
            for i, c in enumerate(cols):
                jac[i][k].append(c)
    result = []
    for i, out in enumerate(outputs):
        row = []
        for k, x in enumerate(inputs):
            shape = tuple(x.shape) + tuple(out.shape)
            cols = _C.stack(jac[i][k], 0).view(shape) if jac[i][k] else zeros(shape, dtype=out.dtype, device=out.device)
            # cols is (input dims..., output dims...); the Jacobian is (output dims..., input dims...).
            perm = list(range(x.dim(), x.dim() + out.dim())) + list(range(x.dim()))
            row.append(cols.permute(perm).contiguous())
        result.append(tuple(row))
    return _tuple_postprocess(tuple(result), (is_outputs_tuple, is_inputs_tuple))


def _single_scalar_output(func, fn_name):
    def wrapped(*inputs):
        is_out_tuple, out = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
        if is_out_tuple or not isinstance(out[0], _C.TensorBase):
            raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
        if out[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single "
                               "element")
        return out[0].view(())
    return wrapped


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: H[i][j] has shape inputs[i].shape + inputs[j].shape (a single
    Tensor when inputs is a single Tensor). The Jacobian of the gradient, as in PyTorch."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    scalar_func = _single_scalar_output(func, "hessian")

    def jac_func(*inp):
        return jacobian(scalar_func, inp, create_graph=True, strict=strict)

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy if outer_jacobian_strategy == "forward-mode" else "reverse-mode")
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns (func_output, vhp): func(inputs) and vᵀ·H for a scalar func."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _grad_preprocess(inputs, create_graph)
        v = _check_hvp_v(v, inputs, is_inputs_tuple, "vhp")
        out = _single_scalar_output(func, "vhp")(*inputs)
        _check_outputs_require_grad((out,), strict)
        jac = _grad([out], inputs, [ones_like(out)], create_graph=True)
        jac = _fill_in_zeros(jac, inputs, strict, _INDEPENDENT)
        grads = _grad(jac, inputs, v, create_graph)
        vhp_ = _fill_in_zeros(grads, inputs, strict, "The jacobian of the user-provided function is independent of "
                              "input {i}. This is not allowed in strict mode.")
    return _grad_postprocess((out,), create_graph)[0], _tuple_postprocess(_grad_postprocess(vhp_, create_graph),
                                                                          is_inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Returns (func_output, hvp): func(inputs) and H·v for a scalar func, by the double-backward trick
    (exact even where the 'Hessian' is not symmetric)."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _grad_preprocess(inputs, create_graph)
        v = _check_hvp_v(v, inputs, is_inputs_tuple, "hvp")
        out = _single_scalar_output(func, "hvp")(*inputs)
        _check_outputs_require_grad((out,), strict)
        jac = _grad([out], inputs, [ones_like(out)], create_graph=True)
        jac = _fill_in_zeros(jac, inputs, strict, _INDEPENDENT)
        grad_jac = tuple(zeros_like(x).requires_grad_(True) for x in inputs)
        double_back = _grad(jac, inputs, grad_jac, create_graph=True)
        double_back = _fill_in_zeros(double_back, inputs, strict, "The jacobian of the user-provided function is "
                                     "independent of input {i}. This is not allowed in strict mode.")
        live = [(d, vi) for d, vi in zip(double_back, v) if d.requires_grad]
        grads = (None,) * len(inputs)
        if live:
            grads = _autograd_grad([d for d, _ in live], list(grad_jac), [vi for _, vi in live],
                                   create_graph=create_graph, allow_unused=True)
        hvp_ = _fill_in_zeros(grads, inputs, strict, "The hessian of the user-provided function is independent of "
                              "entry {i} in the grad_jacobian. This is not allowed in strict mode as it prevents from "
                              "using the double backward trick to replace forward mode AD.")
    return _grad_postprocess((out,), create_graph)[0], _tuple_postprocess(_grad_postprocess(hvp_, create_graph),
                                                                          is_inputs_tuple)


def _check_hvp_v(v, inputs, is_inputs_tuple, fn_name):
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        _validate_v(v, inputs, is_inputs_tuple)
        return v
    if len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                           "Tensor with a single element.")
    return (ones_like(inputs[0]),)
