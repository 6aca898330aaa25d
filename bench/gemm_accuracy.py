"""float32 matmul accuracy at long inner dimensions: relative error against float64 of ember,
PyTorch and NumPy, on the narrow (N = 10), small and blocked GEMM paths (Note [K in panels] in
csrc/kernels/cpu/gemm.cpp). Not a timing: accuracy only. Usage: python bench/gemm_accuracy.py"""
import platform

import numpy as np
import torch

import ember


def rel_err(out, ref):
    return float(np.linalg.norm(out.astype(np.float64) - ref) / np.linalg.norm(ref))


def main():
    rng = np.random.default_rng(0)
    print(f"machine: {platform.processor() or platform.machine()}, ember {ember.__version__}, torch {torch.__version__}")
    print("| K | product | M x N | ember | PyTorch | NumPy |\n|---|---|---|---|---|---|")
    for K in (1000, 20000, 228000, 1000000):
        for M, N, kind in ((784, 10, "X^T G (narrow)"), (64, 128, "X^T G (blocked)"), (10, 10, "A B (small)")):
            if kind.startswith("X^T"):
                a, b = rng.standard_normal((K, M), dtype=np.float32), rng.standard_normal((K, N), dtype=np.float32)
                ref = a.T.astype(np.float64) @ b.astype(np.float64)
                mine = (ember.from_numpy(a).t() @ ember.from_numpy(b)).numpy()
                theirs = (torch.from_numpy(a).t() @ torch.from_numpy(b)).numpy()
                numpy_out = a.T @ b
            else:
                a, b = rng.standard_normal((M, K), dtype=np.float32), rng.standard_normal((K, N), dtype=np.float32)
                ref = a.astype(np.float64) @ b.astype(np.float64)
                mine = (ember.from_numpy(a) @ ember.from_numpy(b)).numpy()
                theirs = (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()
                numpy_out = a @ b
            print(f"| {K:,} | {kind} | {M} x {N} | {rel_err(mine, ref):.2e} | {rel_err(theirs, ref):.2e} "
                  f"| {rel_err(numpy_out, ref):.2e} |", flush=True)


if __name__ == "__main__":
    main()
