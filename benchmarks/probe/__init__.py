"""Semantic probe: how much meaning a codec's representation (or its reconstruction) carries.

The paper's Table III: a small classifier trained on each frozen codec's time-pooled representation, per
task, following the HEAR protocol (predefined splits or folds, a small grid chosen on validation data,
early stopping, fixed seeds).
"""
