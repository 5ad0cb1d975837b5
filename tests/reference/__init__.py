"""Naive, obviously-correct NumPy float64 references used by the op tests."""
