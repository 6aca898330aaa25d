"""ember's benchmark suite as a script: `python bench/suite.py [--quick] [--threads N] ...`.

The same as `python -m ember.bench` (see ember/bench/__init__.py for the options), except that it
sets the thread variables before NumPy, OpenMP or BLAS load, so the thread count holds even where
threadpoolctl is not installed, and it prefers a development build in python/ember."""
import glob
import os
import sys


def _threads(argv):
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


if __name__ == "__main__":
    n = _threads(sys.argv[1:])
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = n  # before the imports below start any thread pool
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python")
    if glob.glob(os.path.join(src, "ember", "_C*.so")):
        sys.path.insert(0, src)
    import ember.bench

    sys.exit(ember.bench.main(sys.argv[1:]))
