"""einsum as PyTorch has it: letters, '...' (broadcast batch dims), a letter repeated within one
operand (its diagonal: 'ii->i', 'ii', 'iij->j'), size-1 dims that broadcast, implicit output, and
the sublist form einsum(a, [0, 1], b, [1, 2], [0, 2]). A composite of native ops (indexing for
diagonals, expand, sum, permute, reshape, bmm), so gradients come from theirs.

Note [How einsum runs]: every dim of every operand gets a label: its letter, or for the dims an
ellipsis covers one label per dim, aligned from the right across operands (as broadcasting
aligns shapes). A letter repeated in one operand becomes one dim (the diagonal). A dim of size 1
whose label has a larger size elsewhere is expanded to it. Then labels that neither another
operand nor the output uses are summed away, the operands are multiplied pairwise left to right
as batched matrix products (shared labels that are still needed are the batch), labels not in
the output are summed, and the result is permuted into the output's order."""
from . import _C

_ARROW = "->"


def _ellipsis_label(k):
    """The label of the k-th dim an ellipsis covers (counted from the left of E dims): characters
    that no equation can contain, so they never meet a letter."""
    return chr(0x4E00 + k)


def _sublist_equation(args):
    """einsum(op0, sub0, op1, sub1, ..., [out]) as an equation string and the operands."""
    def letters(sub):
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < 26:
                out.append(chr(ord("A") + s))
            elif isinstance(s, int) and 26 <= s < 52:
                out.append(chr(ord("a") + s - 26))
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
        return "".join(out)

    operands = list(args[0::2])
    subs = list(args[1::2])
    out = None
    if len(operands) > len(subs):  # a trailing output sublist was read as an operand
        out = operands.pop()
    equation = ",".join(letters(s) for s in subs)
    if out is not None:
        equation += _ARROW + letters(out)
    return equation, operands


def _parse_operand_subscripts(equation, lhs, num_ops):
    """The lhs as, per operand, a list of letters and at most one None (where '...' was)."""
    subs, current, dots, op = [], [], 0, 0
    for i, c in enumerate(lhs):
        if c == " ":
            continue
        if c == ".":
            if any(x is None for x in current):
                raise RuntimeError(f"einsum(): found '.' for operand {op} for which an ellipsis was already found")
            dots += 1
            if dots == 3:
                current.append(None)
                dots = 0
            continue
        if dots:
            raise RuntimeError(f"einsum(): found '.' for operand {op} that is not part of any ellipsis")
        if c == ",":
            op += 1
            if op >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            subs.append(current)
            current = []
            continue
        if not c.isascii() or not c.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, subscripts "
                               "must be in [a-zA-Z]")
        current.append(c)
    if dots:
        raise RuntimeError(f"einsum(): found '.' for operand {op} that is not part of any ellipsis")
    subs.append(current)
    if len(subs) < num_ops:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return subs


def _parse_output(equation, rhs, offset, used):
    """The explicit output: letters and at most one None (the ellipsis)."""
    out, dots = [], 0
    for i, c in enumerate(rhs, offset):
        if c == " ":
            continue
        if c == ".":
            if any(x is None for x in out):
                raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
            dots += 1
            if dots == 3:
                out.append(None)
                dots = 0
            continue
        if dots:
            raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
        if not c.isascii() or not c.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, subscripts "
                               "must be in [a-zA-Z]")
        if c in out:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
        if c not in used:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")
        out.append(c)
    if dots:
        raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
    return out


def _labelled(op, sub, index, num_ell):
    """op with one label per dim: letters, ellipsis labels (right-aligned to num_ell), and the
    dims of a repeated letter merged into its diagonal (kept at the letter's first place)."""
    ell = op.dim() - (len(sub) - 1) if None in sub else 0
    labels = []
    for s in sub:
        if s is None:
            labels.extend(_ellipsis_label(num_ell - ell + k) for k in range(ell))
        else:
            labels.append(s)
    for c in dict.fromkeys(labels):
        where = [d for d, x in enumerate(labels) if x == c]
        if len(where) == 1:
            continue
        n = op.shape[where[0]]
        for d in where[1:]:
            if op.shape[d] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {index} but the sizes don't "
                                   f"match, {op.shape[d]} != {n}")
        # The repeated dims go last; indexing all of them with 0..n-1 leaves their diagonal there.
        rest = [d for d in range(op.dim()) if d not in where]
        ar = _C._arange(0, n, 1, _C.dtype.int64, op.device) if n else _C._empty([0], _C.dtype.int64, op.device)
        op = op.permute(*(rest + where))[(Ellipsis,) + (ar,) * len(where)]
        keep = [labels[d] for d in rest] + [c]
        order = sorted(range(len(keep)), key=lambda k: (rest + [where[0]])[k])  # back to first-place order
        op = op.permute(*order)
        labels = [keep[k] for k in order]
    return op, labels


def _contract(a, la, b, lb, keep, sizes):
    """a (labels la) times b (labels lb) summed over their shared labels not in `keep`: one
    batched matrix product over the shared labels that are kept."""
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    only_a = [c for c in la if c not in lb]
    only_b = [c for c in lb if c not in la]

    def size(labels):
        n = 1
        for c in labels:
            n *= sizes[c]
        return n

    lhs = a.permute(*[la.index(c) for c in batch + only_a + summed]).reshape(size(batch), size(only_a), size(summed))
    rhs = b.permute(*[lb.index(c) for c in batch + summed + only_b]).reshape(size(batch), size(summed), size(only_b))
    out = _C.bmm(lhs, rhs).reshape([sizes[c] for c in batch + only_a + only_b])
    return out, batch + only_a + only_b


def einsum(*args):
    """Einstein summation (Note [How einsum runs]): einsum('...ij,...jk->...ik', a, b),
    einsum('ii', m), einsum(a, [0, 1], b, [1, 2], [0, 2]) ..."""
    if args and isinstance(args[0], _C.TensorBase):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    operands = list(operands)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    arrow = equation.find(_ARROW)
    lhs = equation if arrow < 0 else equation[:arrow]
    subs = _parse_operand_subscripts(equation, lhs, len(operands))
    num_ell = 0
    for i, (sub, op) in enumerate(zip(subs, operands)):
        letters = len(sub) - (1 if None in sub else 0)
        if None in sub:
            if letters > op.dim():
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({letters}) is more than the "
                                   f"number of dimensions ({op.dim()}) for operand {i}")
            num_ell = max(num_ell, op.dim() - letters)
        elif letters != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({letters}) does not match the "
                               f"number of dimensions ({op.dim()}) for operand {i} and no ellipsis was given")
    used = {c for sub in subs for c in sub if c is not None}
    ell_labels = [_ellipsis_label(k) for k in range(num_ell)]
    if arrow >= 0:
        out_sub = _parse_output(equation, equation[arrow + len(_ARROW):], arrow + len(_ARROW), used)
        out = [x for s in out_sub for x in (ell_labels if s is None else [s])]
    else:  # implicit: the ellipsis dims, then the letters used once, in order (upper case first)
        counts = {}
        for sub in subs:
            for c in sub:
                if c is not None:
                    counts[c] = counts.get(c, 0) + 1
        out = ell_labels + sorted(c for c, n in counts.items() if n == 1)
    for op in operands[1:]:
        if op.dtype != operands[0].dtype:
            raise RuntimeError(f"expected scalar type {_type_name(operands[0].dtype)} but found "
                               f"{_type_name(op.dtype)}")

    terms = [_labelled(op, sub, i, num_ell) for i, (op, sub) in enumerate(zip(operands, subs))]
    sizes = {}
    for i, (op, labels) in enumerate(terms):
        for d, (c, n) in enumerate(zip(labels, op.shape)):
            seen = sizes.setdefault(c, n)
            if seen == 1:
                sizes[c] = n
            elif n != 1 and n != seen:
                if len(c) == 1 and c.isascii():
                    raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not "
                                       f"broadcast with previously seen size {seen}")
                # the dim of the operand as given: where its ellipsis starts, plus the offset in it
                dim = subs[i].index(None) + d - labels.index(next(x for x in labels if not x.isascii()))
                raise RuntimeError(f"einsum(): dimension {dim} covered by ellipsis in operand {i}has size {n} which "
                                   f"does not broadcast with previously seen ellipsis with size {seen} for the "
                                   "respective dimension")
    expanded = []
    for op, labels in terms:  # size-1 dims broadcast to their label's size
        shape = [sizes[c] for c in labels]
        expanded.append((op.expand(*shape) if list(op.shape) != shape else op, labels))
    terms = expanded

    for i, (op, labels) in enumerate(terms):  # labels nobody else needs are summed away first
        others = set(out).union(*(set(ls) for j, (_, ls) in enumerate(terms) if j != i))
        gone = [d for d, c in enumerate(labels) if c not in others]
        if gone:
            terms[i] = (op.sum(gone), [c for c in labels if c in others])
    acc, labels = terms[0]
    for k, (op, sub) in enumerate(terms[1:], 1):
        keep = set(out).union(*(set(ls) for _, ls in terms[k + 1:]))
        acc, labels = _contract(acc, labels, op, sub, keep, sizes)
    gone = [d for d, c in enumerate(labels) if c not in out]
    if gone:
        acc, labels = acc.sum(gone), [c for c in labels if c in out]
    return acc.permute(*[labels.index(c) for c in out]) if out else acc


def _type_name(dtype):
    return {_C.dtype.float32: "Float", _C.dtype.float64: "Double", _C.dtype.int64: "Long",
            _C.dtype.bool: "Bool"}.get(dtype, str(dtype))
