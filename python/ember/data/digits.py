"""scikit-learn's bundled 8x8 handwritten digits (1797 samples, ten classes): no download needed."""
import numpy as np

from ..factories import tensor


def digits():
    """X float32 (1797, 64) with pixels scaled to [0, 1], y int64 (1797,) digit labels 0-9."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("ember.data.digits() reads the digits data set that ships with scikit-learn, which is "
                          "not installed: pip install scikit-learn") from None
    d = load_digits()
    X = (d.data / 16.0).astype(np.float32)
    return tensor(X), tensor(d.target.astype(np.int64))
