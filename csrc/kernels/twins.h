// Note [One declaration per kernel family]
// A kernel family's header (kernels/<family>.h) writes the signatures of its kernels once, as a
// list macro, and EMBER_DECLARE_TWINS expands that list in both ember::kernels::cpu and
// ember::kernels::cuda: the CPU kernel (kernels/cpu/<family>.cpp) and its CUDA twin
// (kernels/cuda/<family>.cu, the same file stem) cannot drift apart, and an op picks one with
// EMBER_DISPATCH_KERNEL (kernels/dispatch.h). Comments inside a list are /* */ ones: a // comment
// would swallow the macro's continuation lines. A build without CUDA declares the cuda:: side too
// and never defines it; nothing calls it there (kernels/dispatch.h).
// Shared argument types (DimIndexLoop, PointwiseLoss, the optimizer slots ...) live beside the
// list in kernels/, never under kernels/cpu or kernels/cuda, so each twin sees the same type.
#pragma once

#define EMBER_DECLARE_TWINS(LIST)   \
  namespace ember::kernels::cpu {   \
  LIST                              \
  }                                 \
  namespace ember::kernels::cuda {  \
  LIST                              \
  }
