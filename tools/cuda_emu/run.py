"""Builds and runs the emulated CUDA kernel checks (tools/cuda_emu/README.md).

    python tools/cuda_emu/run.py [--build-dir DIR] [--cxx g++] [--ubsan] [FAMILY]

The kernel sources of csrc/kernels/cuda are rewritten by preprocess.py into BUILD/src, compiled
as host C++20 against include/ (the emulated CUDA runtime), linked with the harness, and run.
Objects are cached by the hash of their source, the headers and the flags, so a rerun after editing
one kernel recompiles only that file. Exit status: the harness's (0 = no mismatches).
--ubsan builds everything with -fsanitize=undefined,float-cast-overflow (into build-emu-ubsan/ unless
--build-dir is given): the kernels and the CPU twins then report any signed overflow, bad shift,
misaligned access or out-of-range float to integer conversion on stderr as "runtime error: ..."
(Note [Wrapping integer arithmetic], Note [Float to integer conversion], kernels/functors.h).
"""
import argparse
import concurrent.futures
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CSRC = ROOT / "csrc"
# The kernel sources under test: every CUDA twin (kernels/cuda/<family>.cu).
KERNELS = sorted(p.name for p in (CSRC / "kernels" / "cuda").glob("*.cu"))

HARNESS = ["main.cpp", "emu_runtime.cpp"]
# CPU twins the harness compares with (and what they need).
EXTRA = [CSRC / "core" / "device.cpp"] + [CSRC / "kernels" / "cpu" / f for f in ("optim.cpp", "grad_norm.cpp", "task_pool.cpp", "random.cpp", "activation.cpp", "conv.cpp", "pool.cpp", "scan.cpp", "sort.cpp", "multinomial.cpp")]
# The families main.cpp runs (one pytest case each).
FAMILIES = ["reduce", "softmax", "cross_entropy", "index", "optim", "elementwise", "gemm", "conv", "scan", "sort"]


def find_cxx(preferred=None):
    for cxx in [preferred, os.environ.get("CXX"), "g++", "clang++"]:
        if cxx and shutil.which(cxx):
            probe = subprocess.run([cxx, "-std=c++20", "-x", "c++", "-fsyntax-only", "-"],
                                   input="#include <ucontext.h>\n#include <bit>\nint main(){"
                                         "return std::popcount(3u);}\n",
                                   capture_output=True, text=True)
            if probe.returncode == 0:
                return cxx
    return None


def harness_files():
    return HARNESS + sorted(p.name for p in HERE.glob("test_*.cpp"))


def build(build_dir, cxx, opt="-O1", sanitize=()):
    src = build_dir / "src" / "kernels" / "cuda"
    src.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(HERE / "preprocess.py"), str(CSRC / "kernels" / "cuda"), str(src)], check=True)
    # nvcc includes cuda_runtime.h in every .cu implicitly; so does this build.
    # A grid cap of 3 blocks (launch.cuh) makes the small shapes of the checks walk every
    # grid-stride loop several times.
    flags = ["-std=c++20", opt, "-pthread", "-w", "-include", "cuda_runtime.h", "-DEMBER_CUDA_EMU_MAX_BLOCKS=3", "-DEMBER_CUDA_EMU_K_PANEL=16", "-I", str(HERE / "include"), "-I", str(build_dir / "src"),
             "-I", str(CSRC), "-I", str(HERE), *sanitize]
    units = [src / k for k in KERNELS] + [HERE / h for h in harness_files()] + EXTRA
    objdir = build_dir / "obj"
    objdir.mkdir(exist_ok=True)

    # The cache key of an object: its own source, every header it could include (all of csrc/ and
    # of this tool, hashed once) and the flags. Editing one .cu recompiles that file only.
    digest = hashlib.sha256(" ".join([cxx, *flags]).encode())
    for h in sorted([*CSRC.rglob("*.h"), *CSRC.rglob("*.cuh"), *HERE.rglob("*.h")]):
        digest.update(h.read_bytes())
    headers_key = digest.hexdigest()

    def compile_one(path):
        key = hashlib.sha256((headers_key + path.read_text()).encode()).hexdigest()[:20]
        obj = objdir / f"{path.stem}-{key}.o"
        if not obj.exists():
            r = subprocess.run([cxx, "-x", "c++", *flags, "-c", str(path), "-o", str(obj) + ".tmp"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                return path, None, r.stderr
            os.replace(str(obj) + ".tmp", obj)
        return path, obj, ""

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(compile_one, units))
    errors = [f"{p}:\n{e}" for p, o, e in results if o is None]
    if errors:
        raise RuntimeError("emulated build failed:\n" + "\n".join(errors)[-20000:])
    exe = build_dir / "cuda_emu_checks"
    subprocess.run([cxx, "-pthread", *sanitize, *[str(o) for _, o, _ in results], "-o", str(exe)], check=True)
    return exe


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=None)
    ap.add_argument("--cxx", default=None)
    ap.add_argument("--ubsan", action="store_true", help="build with -fsanitize=undefined")
    ap.add_argument("family", nargs="?")
    args = ap.parse_args()
    cxx = find_cxx(args.cxx)
    if cxx is None:
        sys.exit("no C++20 compiler with std::atomic_ref<double> found")
    build_dir = args.build_dir or str(ROOT / ("build-emu-ubsan" if args.ubsan else "build-emu"))
    exe = build(pathlib.Path(build_dir), cxx, sanitize=["-fsanitize=undefined,float-cast-overflow"] if args.ubsan else [])
    sys.exit(subprocess.run([str(exe)] + ([args.family] if args.family else [])).returncode)


if __name__ == "__main__":
    main()
