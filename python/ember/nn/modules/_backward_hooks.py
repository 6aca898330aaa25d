"""Module.register_full_backward_hook on top of Tensor.register_hook.

Note [Full backward hooks]: the inputs that require grad are passed to forward through an
identity view, so a hook on that view sees exactly the gradient flowing out of this module (not
the sum over every use of the input); hooks on the outputs see grad_output. Output gradients
always arrive first. When every input gradient has arrived (or at once, when no input requires
grad) the user hooks run as hook(module, grad_input, grad_output) with tuples, None for inputs
that do not require grad. A hook may return a replacement grad_input tuple; ember applies it to
the input whose gradient arrived last (all of them for a single-input module)."""
from ...tensor import Tensor


class BackwardHookState:
    def __init__(self, module, hooks):
        self.module = module
        self.hooks = hooks
        self.grad_output = None
        self.n_outputs = 0
        self.grad_input = None
        self.pending = 0

    def wrap_inputs(self, args):
        self.grad_input = [None] * len(args)
        wrapped = list(args)
        for i, a in enumerate(args):
            if isinstance(a, Tensor) and a.requires_grad:
                wrapped[i] = a.view_as(a)
                wrapped[i].register_hook(self._input_hook(i))
        self.input_slots = [i for i, a in enumerate(wrapped) if a is not args[i]]
        return tuple(wrapped)

    def wrap_outputs(self, output):
        outs = output if isinstance(output, tuple) else (output,)
        tensors = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
        self.grad_output = [None] * len(outs)
        self.n_output_tensors = self.outputs_waiting = len(tensors)
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and o.requires_grad:
                o.register_hook(self._output_hook(i))
        return output

    def _output_hook(self, i):
        def hook(grad):
            self.grad_output[i] = grad
            self.outputs_waiting -= 1
            if self.outputs_waiting == 0:
                self.outputs_waiting = self.n_output_tensors  # ready for another backward (retain_graph)
                self.pending = len(self.input_slots)
                if self.pending == 0:
                    self._run()
        return hook

    def _input_hook(self, i):
        def hook(grad):
            self.grad_input[i] = grad
            self.pending -= 1
            if self.pending == 0:
                replaced = self._run()
                if replaced is not None:
                    return replaced[i]
            return None
        return hook

    def _run(self):
        grad_input, grad_output = tuple(self.grad_input), tuple(self.grad_output)
        replaced = None
        for hook in list(self.hooks.values()):
            result = hook(self.module, grad_input, grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got "
                                       f"{len(result)}, but expected {len(grad_input)}")
                grad_input = replaced = result
        return replaced
