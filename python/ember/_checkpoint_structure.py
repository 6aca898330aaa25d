"""What ember.save stores besides tensors: the shape of a nested checkpoint, as tagged JSON.

Note [Nested checkpoints]: a flat {str: Tensor} state dict is stored as plain safetensors, readable
by any safetensors reader. Anything else (an optimizer's state dict with integer keys, lists of
param groups, numbers, None, tuples) is flattened: each tensor becomes an entry named by its path
("state.0.exp_avg"), and the rest of the structure goes into __metadata__["ember.structure"] as
JSON in which dicts, tuples and tensors are tagged ({"__dict__": [[key, value], ...]},
{"__tuple__": [...]}, {"__tensor__": name}), so load() rebuilds the same object.

Reading it back trusts nothing: the JSON must use the tags exactly as encode() writes them, nest
at most MAX_DEPTH containers deep (so neither json nor decode() can run out of stack), name each of
the file's tensors exactly once, and hold dicts without repeated keys. Anything else is Malformed."""
import json

from ._safetensors_header import Malformed, _short, _unique_object
from .tensor import Tensor

STRUCTURE_KEY = "ember.structure"
MAX_DEPTH = 64  # containers inside containers; an optimizer's state dict nests 4 deep
_SCALARS = (type(None), bool, int, float, str)


class Flattener:
    """encode(obj) -> the tagged structure, with self.tensors {entry name: Tensor} filled in."""

    def __init__(self):
        self.tensors = {}

    def _name(self, path):
        name = path or "tensor"
        n = 1
        while name in self.tensors:
            n += 1
            name = f"{path}#{n}"
        return name

    def encode(self, obj, path="", depth=0):
        if isinstance(obj, Tensor):
            name = self._name(path)
            self.tensors[name] = obj
            return {"__tensor__": name}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if not isinstance(obj, (dict, list, tuple)):
            raise TypeError(f"ember.save can't store an object of type {type(obj).__name__} (at {path or 'top'}): "
                            "only tensors, numbers, strings, None, and dicts, lists and tuples of them")
        if depth == MAX_DEPTH:  # also what stops a list that holds itself
            raise ValueError(f"ember.save: containers nest more than {MAX_DEPTH} deep (at {path or 'top'})")
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, _SCALARS):
                    raise TypeError(f"ember.save can't store a dict key of type {type(k).__name__} "
                                    f"(at {path or 'top'})")
                items.append([k, self.encode(v, f"{path}.{k}" if path else str(k), depth + 1)])
            return {"__dict__": items}
        enc = [self.encode(v, f"{path}.{i}" if path else str(i), depth + 1) for i, v in enumerate(obj)]
        return {"__tuple__": enc} if isinstance(obj, tuple) else enc


def decode(text, tensors):
    """The object that the structure JSON `text` describes, with `tensors` {name: Tensor} put in."""
    try:
        structure = json.loads(text, object_pairs_hook=_unique_object)
    except RecursionError:
        raise Malformed(f"{STRUCTURE_KEY} nests too deeply") from None
    except ValueError as e:
        raise Malformed(f"{STRUCTURE_KEY} is not valid JSON ({e})") from None
    unused = dict(tensors)
    obj = _decode(structure, tensors, unused, 0)
    if unused:
        raise Malformed(f"the file holds tensor {_short(next(iter(unused)))}, which {STRUCTURE_KEY} does not place")
    return obj


def _decode(obj, tensors, unused, depth):
    if isinstance(obj, _SCALARS):
        return obj
    tag, value = next(iter(obj.items())) if isinstance(obj, dict) and len(obj) == 1 else (None, None)
    if tag == "__tensor__" and isinstance(value, str):
        if value not in tensors:
            raise Malformed(f"{STRUCTURE_KEY} names tensor {_short(value)}, which the file does not hold")
        if unused.pop(value, None) is None:
            raise Malformed(f"{STRUCTURE_KEY} places tensor {_short(value)} twice")
        return tensors[value]
    if depth == MAX_DEPTH:  # a container, as deep as encode() refuses to write
        raise Malformed(f"{STRUCTURE_KEY} nests more than {MAX_DEPTH} containers deep")
    if isinstance(obj, list):
        return [_decode(v, tensors, unused, depth + 1) for v in obj]
    if tag == "__tuple__" and isinstance(value, list):
        return tuple(_decode(v, tensors, unused, depth + 1) for v in value)
    if tag == "__dict__" and isinstance(value, list):
        out = {}
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], _SCALARS)):
                raise Malformed(f"{STRUCTURE_KEY}: a dict item must be [key, value] with a plain key, "
                                f"got {_short(pair)}")
            if pair[0] in out:
                raise Malformed(f"{STRUCTURE_KEY}: a dict repeats the key {_short(pair[0])}")
            out[pair[0]] = _decode(pair[1], tensors, unused, depth + 1)
        return out
    raise Malformed(f"unknown entry in {STRUCTURE_KEY}: {_short(obj)}")
