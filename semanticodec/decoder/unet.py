"""Latent-diffusion UNet of the SemantiCodec decoder (AudioLDM variant of the openaimodel UNet).

Layout (attribute names equal the official `model.diffusion_model.*` state-dict keys):
`time_embed`, `input_blocks`, `middle_block`, `output_blocks`, `out`. Every attention level has a
ResBlock followed by two SpatialTransformers: the first self-attends twice (its `attn2` has no
context), the second cross-attends to the token condition. Cross-attention keys/values depend only
on the condition, so `encode_context` computes them once per sampling run and every denoising step
reuses them (exact: the same matmuls, done once).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from semanticodec.decoder.ops import upsample2x_conv3x3

# Precomputed cross-attention keys/values, one (k, v) pair per cross-attention layer,
# each `Tensor[B x heads x L x dim_head]`.
ContextKV = list[tuple[Tensor, Tensor]]


class GroupNorm32(nn.GroupNorm):
    """GroupNorm(32 groups) evaluated in float32 whatever the activation dtype."""

    def __init__(self, num_channels: int, eps: float = 1e-5) -> None:
        super().__init__(num_groups=32, num_channels=num_channels, eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        if x.dtype == torch.float32:
            return super().forward(x)
        return F.group_norm(x.float(), self.num_groups, self.weight.float(), self.bias.float(),
                            self.eps).to(x.dtype)


def timestep_embedding(timesteps: Tensor, dim: int, max_period: float = 10000.0) -> Tensor:
    """Sinusoidal embedding, cosine half first: `Tensor[N] -> Tensor[N x dim]` (float32)."""
    half = dim // 2
    freqs = torch.exp(
        -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=timesteps.device) / half
    )
    args = timesteps.float()[:, None] * freqs[None]
    embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        embedding = F.pad(embedding, (0, 1))
    return embedding


class ResBlock(nn.Module):
    """GN-SiLU-conv, + time embedding, GN-SiLU-conv, residual (1x1 conv skip when C changes)."""

    def __init__(self, channels: int, emb_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_layers = nn.Sequential(
            GroupNorm32(channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1)
        )
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, out_channels))
        self.out_layers = nn.Sequential(
            GroupNorm32(out_channels), nn.SiLU(), nn.Identity(),  # index 2 = dropout slot
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
        )
        self.skip_connection = (
            nn.Identity() if out_channels == channels else nn.Conv2d(channels, out_channels, 1)
        )

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        """`x: Tensor[B x C x T x F]`, `emb: Tensor[B x E]` -> `Tensor[B x C_out x T x F]`."""
        norm_in, _, conv_in = self.in_layers
        norm_out, _, _, conv_out = self.out_layers
        # The same layers as the Sequentials, with activations and sums done in place on the
        # tensors made here (fewer buffers per step; the sums are the same, a + b == b + a).
        h = conv_in(F.silu(norm_in(x), inplace=True))
        h.add_(self.emb_layers(emb).to(h.dtype)[:, :, None, None])
        h = conv_out(F.silu(norm_out(h), inplace=True))
        return h.add_(self.skip_connection(x))


class Downsample(nn.Module):
    """Stride-2 3x3 convolution."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.op(x)


class Upsample(nn.Module):
    """Nearest x2 then 3x3 convolution."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return upsample2x_conv3x3(x, self.conv)


class Attention(nn.Module):
    """Multi-head attention; self-attention when `context_dim` is None."""

    def __init__(self, query_dim: int, heads: int, dim_head: int, context_dim: int | None = None) -> None:
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.dim_head = dim_head
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim or query_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim or query_dim, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, query_dim), nn.Identity())  # index 1 = dropout slot

    def split_heads(self, x: Tensor) -> Tensor:
        """`Tensor[B x N x heads*d] -> Tensor[B x heads x N x d]` (head-major channel split)."""
        batch, length, _ = x.shape
        return x.view(batch, length, self.heads, self.dim_head).transpose(1, 2)

    def key_value(self, context: Tensor) -> tuple[Tensor, Tensor]:
        """Keys and values of `context: Tensor[B x L x C]`, each `Tensor[B x heads x L x d]`."""
        return self.split_heads(self.to_k(context)), self.split_heads(self.to_v(context))

    def forward(self, x: Tensor, kv: tuple[Tensor, Tensor] | None = None) -> Tensor:
        """`x: Tensor[B x N x D]`; `kv` = precomputed keys/values (else self-attention on x)."""
        q = self.split_heads(self.to_q(x))
        k, v = kv if kv is not None else self.key_value(x)
        out = F.scaled_dot_product_attention(q, k, v)
        batch, _, length, _ = out.shape
        out = out.transpose(1, 2).reshape(batch, length, self.heads * self.dim_head)
        return self.to_out(out)


class GEGLU(nn.Module):
    """Linear to 2*inner, value * GELU(gate)."""

    def __init__(self, dim_in: int, dim_out: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x: Tensor) -> Tensor:
        # Two matmuls on the weight halves instead of chunking one output: the same numbers, but
        # GELU then runs on a contiguous tensor (on CPU ~20x faster than on the strided chunk).
        inner = self.proj.out_features // 2
        weight, bias = self.proj.weight, self.proj.bias
        value = F.linear(x, weight[:inner], bias[:inner])
        return value.mul_(F.gelu(F.linear(x, weight[inner:], bias[inner:])))


class FeedForward(nn.Module):
    """GEGLU feed-forward with inner width 4*dim."""

    def __init__(self, dim: int, mult: int = 4) -> None:
        super().__init__()
        self.net = nn.Sequential(GEGLU(dim, dim * mult), nn.Identity(), nn.Linear(dim * mult, dim))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    """Pre-LN attn1 (self) -> attn2 (cross, or self again) -> GEGLU FF, each with a residual."""

    def __init__(self, dim: int, heads: int, dim_head: int, context_dim: int | None) -> None:
        super().__init__()
        self.attn1 = Attention(dim, heads, dim_head)
        self.ff = FeedForward(dim)
        self.attn2 = Attention(dim, heads, dim_head, context_dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(self, x: Tensor, kv: tuple[Tensor, Tensor] | None) -> Tensor:
        x = self.attn1(self.norm1(x)).add_(x)  # each sublayer output is fresh: residual in place
        x = self.attn2(self.norm2(x), kv).add_(x)
        return self.ff(self.norm3(x)).add_(x)


class SpatialTransformer(nn.Module):
    """GroupNorm, 1x1 conv in, transformer over the T*F positions, 1x1 conv out, residual."""

    def __init__(self, channels: int, heads: int, dim_head: int, context_dim: int | None) -> None:
        super().__init__()
        inner = heads * dim_head
        self.is_cross = context_dim is not None
        self.cross_slot = -1  # index into the ContextKV list; assigned by UNetModel
        self.norm = GroupNorm32(channels, eps=1e-6)
        self.proj_in = nn.Conv2d(channels, inner, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(inner, heads, dim_head, context_dim)])
        self.proj_out = nn.Conv2d(inner, channels, 1)

    def forward(self, x: Tensor, context_kv: ContextKV | None) -> Tensor:
        """`x: Tensor[B x C x T x F]` -> same shape.

        The 1x1 convolutions run as matmuls on the `[B, T*F, C]` view (identical math; on CPU
        PyTorch sends 1x1 convs to a slow generic kernel)."""
        batch, channels, height, width = x.shape
        h = self.norm(x).flatten(2).transpose(1, 2)  # [B, T*F, C] (a view)
        h = F.linear(h, self.proj_in.weight.flatten(1), self.proj_in.bias)
        kv = None
        if self.is_cross:
            if context_kv is None:
                raise ValueError("cross-attention SpatialTransformer needs the encoded context")
            kv = context_kv[self.cross_slot]
        for block in self.transformer_blocks:
            h = block(h, kv)
        h = F.linear(h, self.proj_out.weight.flatten(1), self.proj_out.bias)
        return h.transpose(1, 2).reshape(batch, channels, height, width).add_(x)


class UNetStage(nn.Sequential):
    """One entry of input_blocks / middle_block / output_blocks; routes emb and context by layer type.

    Shared-prefix batching: when `h` has fewer rows than the context (k copies of the same latent,
    one per context, e.g. the two halves of a classifier-free-guidance batch), everything before
    the first cross-attention is computed once and `h`/`emb` are tiled right before it.
    """

    def forward(self, h: Tensor, emb: Tensor, context_kv: ContextKV | None) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        for layer in self:
            if isinstance(layer, ResBlock):
                h = layer(h, emb)
            elif isinstance(layer, SpatialTransformer):
                if layer.is_cross and context_kv is not None:
                    h, emb = _tile_to(h, context_kv[0][0].shape[0]), _tile_to(emb, context_kv[0][0].shape[0])
                h = layer(h, context_kv)
            else:
                h = layer(h)
        return h, emb


def _tile_to(x: Tensor, rows: int) -> Tensor:
    """Repeat `x` along the batch axis to `rows` rows ([x; x; ...]); unchanged if already there."""
    if x.shape[0] == rows:
        return x
    if rows % x.shape[0]:
        raise ValueError(f"context batch {rows} is not a multiple of the latent batch {x.shape[0]}")
    return x.repeat(rows // x.shape[0], *([1] * (x.dim() - 1)))


class UNetModel(nn.Module):
    """v-predicting UNet: `(x_t: Tensor[B x C x T x F], t: Tensor[B], context) -> Tensor[B x C x T x F]`."""

    def __init__(self, *, in_channels: int, model_channels: int, channel_mult: tuple[int, ...],
                 num_res_blocks: int, attention_levels: tuple[int, ...], num_head_channels: int,
                 context_dim: int) -> None:
        super().__init__()
        self.model_channels = model_channels
        emb_dim = model_channels * 4
        self.time_embed = nn.Sequential(
            nn.Linear(model_channels, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim)
        )

        def attention_pair(ch: int) -> list[nn.Module]:
            heads = ch // num_head_channels
            dim_head = ch // heads
            return [SpatialTransformer(ch, heads, dim_head, None),
                    SpatialTransformer(ch, heads, dim_head, context_dim)]

        self.input_blocks = nn.ModuleList([UNetStage(nn.Conv2d(in_channels, model_channels, 3, padding=1))])
        skip_channels = [model_channels]
        ch = model_channels
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers: list[nn.Module] = [ResBlock(ch, emb_dim, model_channels * mult)]
                ch = model_channels * mult
                if level in attention_levels:
                    layers += attention_pair(ch)
                self.input_blocks.append(UNetStage(*layers))
                skip_channels.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(UNetStage(Downsample(ch)))
                skip_channels.append(ch)

        self.middle_block = UNetStage(ResBlock(ch, emb_dim, ch), *attention_pair(ch), ResBlock(ch, emb_dim, ch))

        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(channel_mult))[::-1]:
            for index in range(num_res_blocks + 1):
                layers = [ResBlock(ch + skip_channels.pop(), emb_dim, model_channels * mult)]
                ch = model_channels * mult
                if level in attention_levels:
                    layers += attention_pair(ch)
                if level and index == num_res_blocks:
                    layers.append(Upsample(ch))
                self.output_blocks.append(UNetStage(*layers))

        self.out = nn.Sequential(GroupNorm32(ch), nn.SiLU(), nn.Conv2d(model_channels, in_channels, 3, padding=1))

        self.cross_layers: list[SpatialTransformer] = [
            m for m in self.modules() if isinstance(m, SpatialTransformer) and m.is_cross
        ]
        for slot, layer in enumerate(self.cross_layers):
            layer.cross_slot = slot

    def encode_context(self, context: Tensor) -> ContextKV:
        """Cross-attention keys/values for `context: Tensor[B x L x context_dim]`, computed once."""
        dtype = self.time_embed[0].weight.dtype
        context = context.to(dtype)
        pairs = (layer.transformer_blocks[0].attn2.key_value(context) for layer in self.cross_layers)
        return [(k.contiguous(), v.contiguous()) for k, v in pairs]  # laid out once, reused every step

    def time_embedding(self, timesteps: Tensor) -> Tensor:
        """`Tensor[B]` (integer steps) -> `Tensor[B x 4*model_channels]`."""
        weight = self.time_embed[0].weight
        return self.time_embed(timestep_embedding(timesteps, self.model_channels).to(weight.dtype))

    def forward(self, x: Tensor, timesteps: Tensor, context: Tensor | None = None, *,
                context_kv: ContextKV | None = None) -> Tensor:
        """Predict v for `x: Tensor[B x C x T x F]` at integer steps `timesteps: Tensor[B]`.

        Give either `context: Tensor[B' x L x context_dim]` or its `encode_context`. The context
        batch B' may be a multiple k of B: the result is then `Tensor[kB x C x T x F]`, row
        i*B + j being latent j under context i*B + j (each latent shared by k contexts; the
        layers before the first cross-attention run once per latent). Returns x's dtype.
        """
        if context_kv is None:
            if context is None:
                raise ValueError("UNetModel.forward needs `context` or `context_kv`")
            context_kv = self.encode_context(context)
        emb = self.time_embedding(timesteps)
        h = x.to(emb.dtype)
        skips = []
        for stage in self.input_blocks:
            h, emb = stage(h, emb, context_kv)
            skips.append(h)
        h, emb = self.middle_block(h, emb, context_kv)
        for stage in self.output_blocks:
            h, emb = stage(torch.cat([h, _tile_to(skips.pop(), h.shape[0])], dim=1), emb, context_kv)
        return self.out(h).to(x.dtype)
