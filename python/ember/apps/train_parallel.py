"""`ember train --nproc N`: the same training on N CPU ranks, data-parallel.

Note [Training on N ranks]: the command starts its own ranks through `ember run` (relaunch), each
running the same command line with the run folder fixed, so all agree on it. Each rank builds the
same model (then DistributedDataParallel broadcasts rank 0's weights anyway), trains on its share
of every epoch (DistributedSampler, set_epoch each epoch, so the shares change with the epoch as a
shuffle would), and its gradients are averaged over the ranks during backward. --batch-size stays
the global batch: each rank takes batch_size // N rows, so a step sees as many rows as one process
would with the same --batch-size, and the same --lr fits. The epoch's loss and accuracy are summed
over the ranks. Rank 0 alone evaluates, logs, draws and writes the run folder; the others are
quiet. Single-process training goes through the same interface (OneProcess), so train.py has one
loop."""
import ember
from ember import data
from ember import distributed as dist
from ember.utils.data import DistributedSampler


def relaunch(nproc, argv, out_dir):
    """Runs `ember train <argv> --out out_dir` on nproc ranks; returns the job's exit code."""
    from ..distributed.launch import run
    args = list(argv)
    if "--out" not in args and not any(a.startswith("--out=") for a in args):
        args += ["--out", out_dir]
    return run(nproc, "ember", args, module=True)


class OneProcess:
    rank, world = 0, 1
    is_main = True

    def wrap(self, model):
        return model

    def loader(self, dataset, batch_size, seed):
        return data.DataLoader(dataset, batch_size=batch_size, shuffle=True)

    def start_epoch(self, loader, epoch):
        pass

    def sum_over_ranks(self, values):
        return values

    def describe_batch(self, batch_size):
        return f"batch {batch_size}"

    def finish(self):
        pass


class Ranks(OneProcess):
    """Data-parallel training over the ranks `ember run` started (Note [Training on N ranks])."""

    def __init__(self, nproc, device):
        # CPU ranks reduce over MPI; CUDA ranks over NCCL, one device each (rank modulo the devices).
        if device not in ("cpu", "cuda"):
            raise RuntimeError(f"ember train --nproc {nproc}: each rank takes its own GPU (rank r: cuda:r modulo the "
                               f"devices); pass --device cuda, not --device {device}")
        dist.init_process_group("mpi" if device == "cpu" else "nccl")
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        if device != "cpu":
            from .. import cuda
            cuda.set_device(self.rank % cuda.device_count())
        if self.world != nproc:
            raise RuntimeError(f"ember train --nproc {nproc}: started with {self.world} ranks")
        self.is_main = self.rank == 0

    def wrap(self, model):
        from ..nn.parallel import DistributedDataParallel
        return DistributedDataParallel(model)

    def per_rank(self, batch_size):
        return max(1, batch_size // self.world)

    def loader(self, dataset, batch_size, seed):
        sampler = DistributedSampler(dataset, shuffle=True, seed=seed)
        return data.DataLoader(dataset, batch_size=self.per_rank(batch_size), sampler=sampler)

    def start_epoch(self, loader, epoch):
        loader.sampler.set_epoch(epoch)

    def sum_over_ranks(self, values):
        t = ember.tensor([float(v) for v in values], dtype=ember.float64)
        dist.all_reduce(t)
        return t.tolist()

    def describe_batch(self, batch_size):
        b = self.per_rank(batch_size)
        return f"global batch {b * self.world} ({b} on each of {self.world} ranks)"

    def finish(self):
        dist.barrier()  # nobody leaves while rank 0 still evaluates (its peers would look dead to it)
        dist.destroy_process_group()


def setup(config):
    nproc = config.get("nproc", 1)
    if nproc == 1:
        return OneProcess()
    return Ranks(nproc, config["device"])


def quiet(log, ranks):
    """`log` on rank 0; nothing elsewhere."""
    if ranks.is_main:
        return log
    return lambda *a, **k: None
