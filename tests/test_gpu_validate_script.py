"""bench/gpu_validate.sh, the first thing to run on a lent GPU, on a machine without one: the driver,
nvcc, the build tools and Python are stand-ins on PATH that answer as the real ones do, so the test
checks the script's own plumbing (logs, the pass count in the results file, the exit status), which a
GPU session cannot afford to find broken (issue 14, defect 7)."""
import os
import pathlib
import stat
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]

STUBS = {
    "nvidia-smi": """#!/bin/sh
case "$*" in
  *compute_cap*name*|*name*compute_cap*) echo "name, driver_version, memory.total [MiB], compute_cap"; echo "NVIDIA H100, 570.1, 81559 MiB, 9.0";;
  *compute_cap*) echo "9.0";;
esac
""",
    "nvcc": "#!/bin/sh\necho 'Cuda compilation tools, release 13.0'\necho 'Build cuda_13.0'\n",
    "cmake": "#!/bin/sh\nexit 0\n",
    "ninja": "#!/bin/sh\nexit 0\n",
    # Python: pytest prints its pass count; the benchmarks write their --out tables.
    "python": """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "pytest" ]; then echo "...."; echo "FAILED tests/test_x.py::test_y"; echo "1 failed, 1086 passed in 279.20s"; exit 1; fi
if [ "$1" = "-c" ]; then echo "python 3.11 | torch 2.13.0 | torch CUDA 13.0"; exit 0; fi
while [ $# -gt 0 ]; do if [ "$1" = "--out" ]; then echo "| table of $0 |" > "$2"; fi; shift; done
exit 0
""",
}


def test_the_results_file_has_the_pass_count_and_the_exit_status(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in STUBS.items():
        p = bin_dir / name
        p.write_text(text)
        p.chmod(p.stat().st_mode | stat.S_IEXEC)
    out = tmp_path / "gpu-results.md"
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", PYTHON=str(bin_dir / "python"),
               LOG_DIR=str(tmp_path))
    proc = subprocess.run(["bash", str(ROOT / "bench" / "gpu_validate.sh"), str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the tests' exit status, passed on
    text = out.read_text()
    assert "1 failed, 1086 passed" in text and "FAILED tests/test_x.py::test_y" in text
    assert "(exit status 1)" in text and "NVIDIA H100" in text and "sm_90" in text
    assert text.count("| table of") == 3  # the three benchmarks' tables
    assert "wrote" in proc.stdout and "1086 passed" not in proc.stdout  # the test log went to its file
