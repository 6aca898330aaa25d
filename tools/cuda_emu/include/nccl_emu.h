// The emulated device's NCCL (Note [The emulated NCCL], tools/cuda_emu/nccl_emu.cpp): the table of
// NCCL calls that core/cuda/nccl.cpp fills from libnccl.so.2 in a real CUDA build.
#pragma once
#include "core/cuda/nccl_abi.h"

const ember::nccl::Api& emulated_nccl_api();
