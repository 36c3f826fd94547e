"""The built-in codec configurations. Importing this module registers them all."""

from __future__ import annotations

from baselines.registry import CodecSpec, register_codec

# Entries are added per family below: classical anchors, official neural baselines, SemantiCodec.
