"""Detector benchmark: controlled scenarios with known failure onsets, scored per diagnostic.

Run ``python -m benchmarks.diagnostics [--quick] [--seeds N]``; the table goes to
docs/diagnostics.md between the ``bench:diagnostics`` markers.
"""
