"""Generators of the parity references under tests/**/data and tests/**/golden, and paper-parity checks."""
