// The default floating dtype (torch.get_default_dtype / set_default_dtype): what a Python float
// becomes, what the float factories make, and what integer inputs of a float op (sqrt, true
// division, int * 2.5) compute in. float32 unless the user says otherwise.
#pragma once
#include "core/dtype.h"

namespace ember {

// Note [Default dtype]
// One process-wide value, as PyTorch's: set_default_dtype is global, not per thread. It is an
// atomic so that a thread reading it while another sets it sees one of the two values, never a
// torn one. Ops read it where PyTorch does (TensorIterator's promote_integer_inputs_to_float, a
// wrapped Python float, the factories); C++ callers that want float32 say so.
DType default_dtype();
// TypeError unless d is a floating dtype (float32 or float64), in PyTorch's words.
void set_default_dtype(DType d);

}  // namespace ember
