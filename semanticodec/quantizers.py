"""The two quantisers: k-means semantic codebook and the acoustic VQ codebook.

Both pick the nearest codeword in squared Euclidean distance, computed with one matrix product as
``|x|^2 + |c|^2 - 2 x.c``. The exact arithmetic order of the official code is kept (the semantic
one subtracts ``2 * dot``; the acoustic one adds ``-2 * dot`` and takes a clamped square root), so
the same float inputs give the same indices, ties included.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["AcousticQuantizer", "SemanticQuantizer"]

#: Rows x codewords of one distance block; bigger inputs are processed in row chunks.
_MAX_DISTANCE_ELEMENTS = 1 << 24


def _row_chunks(rows: int, codewords: int) -> int:
    return max(1, _MAX_DISTANCE_ELEMENTS // max(codewords, 1)) if rows else 1


class SemanticQuantizer(nn.Module):
    """Frozen k-means codebook over AudioMAE features (vocabulary V).

    The codebook comes from the official ``codebook_{V/2}_0.npy`` file, not from the state dict,
    so it is a non-persistent buffer set with `set_codebook`.

    Args:
        vocab_size: V rows.
        dim: feature width (768 x stack factor).
    """

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.dim = dim
        self.register_buffer("codebook", torch.zeros(vocab_size, dim), persistent=False)

    def set_codebook(self, codebook: Tensor) -> None:
        """Install float32 Tensor[V x dim]."""
        if tuple(codebook.shape) != (self.vocab_size, self.dim):
            raise ValueError(
                f"semantic codebook has shape {tuple(codebook.shape)}, expected ({self.vocab_size}, {self.dim})"
            )
        if not torch.isfinite(codebook).all():
            raise ValueError("semantic codebook contains NaN or Inf")
        device = codebook.device if self.codebook.is_meta else self.codebook.device
        self.codebook = codebook.to(device=device, dtype=torch.float32).contiguous()

    def quantize(self, features: Tensor) -> Tensor:
        """Tensor[B x L x dim] -> int64 Tensor[B x L] nearest-centroid indices."""
        batch, length, dim = features.shape
        flat = features.reshape(batch * length, dim).to(torch.float32)
        centroid_norm = self.codebook.pow(2).sum(dim=1, keepdim=True).t()
        out = []
        for rows in flat.split(_row_chunks(flat.shape[0], self.vocab_size)):
            feature_norm = rows.pow(2).sum(dim=1, keepdim=True)
            distances = feature_norm + centroid_norm - 2 * torch.mm(rows, self.codebook.t())
            out.append(torch.min(distances, dim=1).indices)
        return torch.cat(out).reshape(batch, length)

    def dequantize(self, indices: Tensor) -> Tensor:
        """int Tensor[...] -> Tensor[... x dim] codebook rows."""
        _check_indices(indices, self.vocab_size, "semantic")
        return torch.nn.functional.embedding(indices, self.codebook)


class _Codebook(nn.Module):
    def __init__(self, size: int, dim: int) -> None:
        super().__init__()
        self.register_buffer("embed", torch.zeros(1, size, dim))


class AcousticQuantizer(nn.Module):
    """Single-codebook Euclidean VQ over the LSTM residual features.

    The table lives at ``_codebook.embed`` (Tensor[1 x size x dim]) so that the checkpoint key
    ``quantizer._codebook.embed`` loads by name.
    """

    def __init__(self, codebook_size: int, dim: int) -> None:
        super().__init__()
        self.codebook_size = codebook_size
        self._codebook = _Codebook(codebook_size, dim)

    @property
    def table(self) -> Tensor:
        """Tensor[size x dim]."""
        return self._codebook.embed[0]

    def quantize(self, features: Tensor) -> Tensor:
        """Tensor[B x L x dim] -> int64 Tensor[B x L]."""
        batch, length, dim = features.shape
        flat = features.reshape(1, batch * length, dim).to(torch.float32)
        embed = self._codebook.embed.to(torch.float32)
        codeword_norm = embed.pow(2).sum(dim=-1)[:, None, :]
        out = []
        for rows in flat.split(_row_chunks(flat.shape[1], self.codebook_size), dim=1):
            dot = torch.einsum("bid,bjd->bij", rows, embed) * -2
            distances = (rows.pow(2).sum(dim=-1)[:, :, None] + codeword_norm + dot).clamp(min=0).sqrt()
            out.append((-distances).argmax(dim=-1)[0])
        return torch.cat(out).reshape(batch, length)

    def dequantize(self, indices: Tensor) -> Tensor:
        """int Tensor[...] -> Tensor[... x dim]."""
        _check_indices(indices, self.codebook_size, "acoustic")
        return torch.nn.functional.embedding(indices, self.table)


def _check_indices(indices: Tensor, size: int, name: str) -> None:
    if indices.dtype.is_floating_point or indices.dtype == torch.bool:
        raise TypeError(f"{name} tokens must be integers, got {indices.dtype}")
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= size):
        raise ValueError(
            f"{name} tokens out of range: found [{int(indices.min())}, {int(indices.max())}], "
            f"codebook has {size} entries"
        )
