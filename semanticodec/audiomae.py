"""AudioMAE ViT-B/16 encoder used as SemantiCodec's frozen semantic feature extractor.

Input: a 10.24 s window of normalised fbank, Tensor[B x 1024 x 128]. It is cut into 16 x 16
patches (64 time x 8 frequency, index = t * 8 + f), embedded, given the stored 2-D sin-cos position
embedding and a CLS token, and run through pre-norm transformer blocks without masking. The output
is the mean of the last `average_last` block outputs, each passed through the final LayerNorm;
the CLS row is dropped: Tensor[B x 512 x dim].

Parameter names follow the checkpoint (`patch_embed.proj`, `blocks.{i}.attn.qkv`, `norm`, ...), so a
`MaskedViTEncoder` placed at ``audiomae.model`` loads the official weights by name. The MAE decoder
in the checkpoint is never run and is not built.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["PATCH_SIZE", "MaskedViTEncoder"]

PATCH_SIZE = 16
_GRID = (64, 8)
_LN_EPS = 1e-6


class _PatchEmbed(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(1, dim, kernel_size=PATCH_SIZE, stride=PATCH_SIZE)

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B x 1 x 1024 x 128] -> Tensor[B x 512 x dim]."""
        return self.proj(x).flatten(2).transpose(1, 2)


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        batch, length, dim = x.shape
        qkv = self.qkv(x).reshape(batch, length, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(batch, length, dim))


class _Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=_LN_EPS)
        self.attn = _Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=_LN_EPS)
        self.mlp = _Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class MaskedViTEncoder(nn.Module):
    """The AudioMAE encoder half (no masking, no MAE decoder).

    Args:
        dim: embedding width (768).
        depth: transformer blocks (12).
        heads: attention heads (12).
        mlp_ratio: MLP hidden width / dim (4).
        average_last: how many final blocks are normed and averaged (3).
    """

    def __init__(
        self, dim: int = 768, depth: int = 12, heads: int = 12, mlp_ratio: float = 4.0, average_last: int = 3
    ) -> None:
        super().__init__()
        num_patches = _GRID[0] * _GRID[1]
        self.average_last = average_last
        self.patch_embed = _PatchEmbed(dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        # Fixed 2-D sin-cos table stored in the checkpoint (slot 0 belongs to the CLS token).
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, dim), requires_grad=False)
        self.blocks = nn.ModuleList(_Block(dim, heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=_LN_EPS)

    def forward(self, fbank: Tensor) -> Tensor:
        """Tensor[B x 1024 x 128] normalised fbank -> Tensor[B x 512 x dim] patch features."""
        x = self.patch_embed(fbank[:, None]) + self.pos_embed[:, 1:, :]
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1)
        first_averaged = len(self.blocks) - self.average_last
        averaged = []
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index >= first_averaged:
                averaged.append(self.norm(x))
        return torch.stack(averaged, dim=0).mean(dim=0)[:, 1:, :]
