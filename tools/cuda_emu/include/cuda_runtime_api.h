// Emulated CUDA runtime (tools/cuda_emu): see cuda_emu.h.
#pragma once
#include "cuda_emu.h"
