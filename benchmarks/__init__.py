"""Benchmarks of flask_pis_documents: figures, never timed assertions.

Run ``python -m benchmarks`` (or ``make bench``); see ``benchmarks/README.md``.
"""
