"""Where a run is in its data, and the latents of each step: what makes a resume exact.

Epoch ``e`` reads the data in the order of one permutation seeded by the run's seed and ``e``
alone, so the data position is just a count of batches. A run of several processes reads global
batches of ``batch_size * world_size`` rows of the same permutation, and each rank takes its
``batch_size`` rows; its latents are drawn for the whole global batch from the global RNG (in
the same state on every rank) and each rank takes its rows too. A single-process run is rank 0
of 1 and draws exactly its own batch.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Generator


def map_position(
    batches_consumed: int, old_global_batch: int, new_global_batch: int, num_samples: int
) -> tuple[int, str | None]:
    """Map a data position counted in batches of ``old_global_batch`` onto ``new_global_batch``.

    Every run reads epoch ``e`` in the order of the same permutation (seeded by seed and epoch),
    so the position is ``(epoch, samples read in that epoch)``. The new position is the first
    new batch boundary at or after the samples already read (no sample of the epoch is read
    twice, fewer than ``new_global_batch`` are skipped).

    Args:
        batches_consumed: Batches of ``old_global_batch`` rows read so far (all epochs).
        old_global_batch: The global batch the position was counted in.
        new_global_batch: The global batch of the run that goes on.
        num_samples: The data set's size.

    Returns:
        The position in batches of ``new_global_batch``, and None when the batch is unchanged
        (the count is returned as is), else a message saying that the data order (and the
        latents, drawn per global batch) now differ from an uninterrupted run.
    """
    if old_global_batch == new_global_batch:
        return batches_consumed, None
    old_per_epoch = max(num_samples // old_global_batch, 1)
    new_per_epoch = max(num_samples // new_global_batch, 1)
    epoch, pos = divmod(batches_consumed, old_per_epoch)
    new_pos = math.ceil(pos * old_global_batch / new_global_batch)
    if new_pos >= new_per_epoch:
        epoch, new_pos = epoch + 1, 0
    message = (
        f"the global batch changed from {old_global_batch} to {new_global_batch}: training goes on "
        f"from epoch {epoch}, batch {new_pos} (the same weights, optimizer states and epoch), but "
        "the batches and latents differ from those of an uninterrupted run"
    )
    return epoch * new_per_epoch + new_pos, message


class Batches:
    """The real batches and the latents of one rank's steps, in an order fixed by the seed.

    Args:
        data: The data set (``TensorData``: ``batch(index)``, ``len``), already on ``device``.
        batch_size: Rows per step on this rank.
        seed: The run's seed (it fixes every epoch's permutation).
        device: Where the permutations, latents and labels live.
        channels_last: Lay image batches out channels_last.
        rank: This process's rank (0 in a single-process run).
        world_size: The number of processes (1 in a single-process run).

    Raises:
        ConfigError: The data set holds fewer samples than one (global) batch.
    """

    def __init__(
        self,
        data: object,
        batch_size: int,
        seed: int,
        device: torch.device,
        channels_last: bool = False,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.data = data
        self.batch_size = batch_size
        self.global_batch = batch_size * world_size
        self.seed, self.device, self.channels_last = seed, device, channels_last
        self.rank, self.world_size = rank, world_size
        n = len(data)  # type: ignore[arg-type]
        if n < batch_size:
            raise ConfigError(f"batch size {batch_size} is larger than the data set ({n} samples)")
        if n < self.global_batch:
            raise ConfigError(
                f"the global batch {self.global_batch} ({batch_size} per rank x "
                f"{world_size} ranks) is larger than the data set ({n} samples)"
            )
        self.num_samples = n
        self.per_epoch = n // self.global_batch
        self.consumed = 0  # global batches read so far, over all epochs
        self._perm: Tensor | None = None
        self._perm_epoch = -1
        self._rows = slice(rank * batch_size, (rank + 1) * batch_size)

    def permutation(self, epoch: int) -> Tensor:
        """The data order of ``epoch``: a function of the seed and the epoch alone."""
        if epoch != self._perm_epoch or self._perm is None:
            # mod 2**64: the widest seed torch takes (the same value for every seed below it)
            gen = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) % 2**64)
            self._perm = torch.randperm(self.num_samples, generator=gen).to(self.device)
            self._perm_epoch = epoch
        return self._perm

    def next_index(self) -> Tensor:
        """This rank's rows of the next global batch (one slice of the epoch's permutation)."""
        epoch, pos = divmod(self.consumed, self.per_epoch)
        perm = self.permutation(epoch)
        self.consumed += 1
        start = pos * self.global_batch + self.rank * self.batch_size
        return perm[start : start + self.batch_size]

    def real(self) -> tuple[Tensor, Tensor | None]:
        """The next real batch and its labels (None for unlabelled data)."""
        x, y = self.data.batch(self.next_index())  # type: ignore[attr-defined]
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y

    def latents(self, G: Generator) -> Tensor:
        """This step's latents for this rank (its rows of the global batch's)."""
        if self.world_size == 1:
            return G.sample_latent(self.batch_size, device=self.device)
        return G.sample_latent(self.global_batch, device=self.device)[self._rows]

    def fake_labels(self, G: Generator) -> Tensor | None:
        """Class labels for this step's fakes (None for an unconditional G)."""
        if G.num_classes is None:
            return None
        y = torch.randint(0, G.num_classes, (self.global_batch,), device=self.device)
        return y if self.world_size == 1 else y[self._rows]
