"""Dataset loaders producing `Clip` manifests, and their registry."""

from benchmarks.datasets.base import (
    DOMAINS,
    Clip,
    DatasetError,
    check_unique_ids,
    dataset_names,
    load_dataset,
    read_manifest,
    register_dataset,
    write_manifest,
)

__all__ = [
    "DOMAINS",
    "Clip",
    "DatasetError",
    "check_unique_ids",
    "dataset_names",
    "load_dataset",
    "read_manifest",
    "register_dataset",
    "write_manifest",
]
