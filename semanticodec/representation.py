"""Token pairs -> the continuous representation a probe reads (the paper's Table III features).

The diffusion decoder is conditioned, row by row, on ``acoustic vector ‖ semantic vector`` (then a
position code, which carries no content and is left out here; see `semanticodec.fusion`). So:

* ``layers="all"``: acoustic ‖ semantic codebook vectors, Tensor[B x 2 fd x T'];
* ``layers="first"``: the semantic (k-means) codebook vectors only, Tensor[B x fd x T'].

fd is the token feature width (768 K for the released models: 768 / 1536 / 3072 at 100 / 50 / 25
tokens/s); T' counts token pairs (``token_rate / 2`` per second).
"""

from __future__ import annotations

import torch
from torch import Tensor

from semanticodec.encoder import SemantiCodecEncoder

__all__ = ["REPRESENTATION_LAYERS", "token_representation"]

REPRESENTATION_LAYERS: tuple[str, ...] = ("all", "first")


def token_representation(encoder: SemantiCodecEncoder, tokens: Tensor, layers: str = "all") -> Tensor:
    """Codebook vectors of token pairs, channels first.

    Args:
        encoder: the model's encoder (holds both codebooks).
        tokens: int Tensor[B x T' x 2] ([..., 0] semantic, [..., 1] acoustic).
        layers: ``"all"`` (acoustic ‖ semantic) or ``"first"`` (semantic).

    Returns:
        float32 Tensor[B x D x T'], D = 2 fd (``all``) or fd (``first``).
    """
    if layers not in REPRESENTATION_LAYERS:
        raise ValueError(f"layers must be one of {', '.join(REPRESENTATION_LAYERS)}; got {layers!r}")
    if tokens.dim() != 3 or tokens.shape[-1] != 2:
        raise ValueError(f"tokens must be [B, T, 2] (semantic, acoustic), got {tuple(tokens.shape)}")
    with torch.inference_mode():
        if layers == "all":
            features = encoder.tokens_to_features(tokens)
        else:
            semantic = tokens[..., 0].to(encoder.semantic.codebook.device)
            features = encoder.semantic.dequantize(semantic).float()
    return features.transpose(1, 2).contiguous()
