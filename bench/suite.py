"""ember's benchmark suite as a script: `python bench/suite.py [--quick] [--threads N] ...`.

The same as `python -m ember.bench` (see ember/bench/__init__.py for the options), except that it
sets the thread variables before NumPy, OpenMP or BLAS load, so the thread count holds even where
threadpoolctl is not installed, and it prefers a development build in python/ember."""
import sys

import _common


def _threads(argv):
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


if __name__ == "__main__":
    _common.set_threads_env(_threads(sys.argv[1:]))  # before the imports below start any thread pool
    _common.use_dev_build()
    import ember.bench

    sys.exit(ember.bench.main(sys.argv[1:]))
