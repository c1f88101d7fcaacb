"""The four workbenches, one module each."""
