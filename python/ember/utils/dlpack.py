"""torch.utils.dlpack: DLPack capsules by hand (Note [DLPack], bindings/init_dlpack.cpp). Most code
passes tensors directly instead: ember.from_dlpack(numpy_array), numpy.from_dlpack(ember_tensor)."""
from .._C import from_dlpack


def to_dlpack(tensor):
    """A DLPack capsule ("dltensor") holding `tensor`'s memory, for a consumer's from_dlpack."""
    return tensor.__dlpack__()


__all__ = ["from_dlpack", "to_dlpack"]
