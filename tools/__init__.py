"""Commands that are not part of the suite's interface: parity reference generators and speed measurements.

Run from the repository root as ``python -m tools.<folder>.<name> --help``. Nothing in `semanticodec`,
`baselines`, `benchmarks` or `tests` imports this package; tests read the reference files these
commands write.
"""
