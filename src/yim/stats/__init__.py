"""Pure statistics library for yim: arrays and frames in, immutable result dataclasses out.

Nothing in this package imports Django.
"""
