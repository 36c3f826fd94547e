"""Official neural codec baselines: EnCodec, DAC and HiFi-Codec (AcademiCodec).

Every adapter runs its model in eval mode without gradients, pads the input to a multiple of the
model's hop and lets the base class crop back to the input length. Pretrained weights are looked up
offline (`baselines.weights`); when they are missing the configuration is unavailable, with the
remedy, unless random weights are requested explicitly (tests and speed measurements only).
"""
