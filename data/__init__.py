"""Bundled data: the real district boundary (with attribution) and the sample-district generator."""
