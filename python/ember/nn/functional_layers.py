"""The parts of nn.functional that live in their own files -- lookups (functional_sparse),
vector norms and group / RMS normalisation (functional_norms), padding (functional_pad) --
gathered here so that nn.functional takes them all with one import line."""
from .functional_norms import cosine_similarity, group_norm, normalize, pairwise_distance, rms_norm
from .functional_pad import pad
from .functional_sparse import embedding, one_hot

__all__ = ["cosine_similarity", "embedding", "group_norm", "normalize", "one_hot", "pad", "pairwise_distance",
           "rms_norm"]
