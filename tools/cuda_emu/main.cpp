// The emulated CUDA kernel checks (tools/cuda_emu/README.md): runs every family's checks and
// prints the number of mismatches; exits 1 if there were any.
#include <chrono>
#include <cstdio>
#include <cstring>

#include "harness_common.h"

void test_reduce();
void test_softmax();
void test_cross_entropy();
void test_index();
void test_optim();
void test_elementwise();
void test_gemm();
void test_conv();
void test_scan();
void test_sort();

int main(int argc, char** argv) {
  struct Family { const char* name; void (*run)(); };
  const Family families[] = {{"reduce", test_reduce}, {"softmax", test_softmax}, {"cross_entropy", test_cross_entropy}, {"index", test_index}, {"optim", test_optim}, {"elementwise", test_elementwise}, {"gemm", test_gemm}, {"conv", test_conv}, {"scan", test_scan}, {"sort", test_sort}};
  for (const auto& f : families) {
    if (argc > 1 && std::strcmp(argv[1], f.name) != 0) continue;
    const auto t0 = std::chrono::steady_clock::now();
    const int before = emu_test::g_failures;
    f.run();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-14s %d mismatches (%.1f s)\n", f.name, emu_test::g_failures - before, s);
  }
  std::printf("TOTAL %d checks, %d mismatches\n", emu_test::g_checks, emu_test::g_failures);
  return emu_test::g_failures == 0 ? 0 : 1;
}
