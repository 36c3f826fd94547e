"""The builder of the embedded default corpus (`benchmarks.datasets.embedded` is its loader).

- `recipe`: the recipe file and the clips it plans (no audio touched);
- `requirements`: which Debian / PyPI packages the build lacks;
- `harmony`: the four-part composer of the recipe's music pieces;
- `render`: audio makers (joined package sounds, flite speech, FluidSynth stems);
- `build`: the locked, atomic build into a folder with its manifest and build record;
- `cli`: ``python -m benchmarks.datasets.embedded build|check``.
"""
