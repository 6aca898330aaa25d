// Emulated CUDA runtime (tools/cuda_emu): the host API of cuda_emu_runtime.h.
#pragma once
#include "cuda_emu_runtime.h"
