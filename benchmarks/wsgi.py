"""The app under test for gunicorn, configured from environment variables.

``PIS_BENCH_S3_ENDPOINT_URL``: the S3 endpoint (the delay proxy).
``PIS_BENCH_RELATIONSHIP_CHECK_URL``: the relationship check URL (the delay proxy).
``PIS_BENCH_EXISTENCE_CHECK``: ``list`` (default) or ``head``.

    gunicorn -w 2 -k gthread --threads 8 -b 127.0.0.1:PORT benchmarks.wsgi:app
"""
from __future__ import annotations

import os

from .scenarios import build_app, use_fake_aws_credentials

use_fake_aws_credentials()

app = build_app(
    os.environ.get("PIS_BENCH_EXISTENCE_CHECK", "list"),
    os.environ["PIS_BENCH_S3_ENDPOINT_URL"],
    os.environ["PIS_BENCH_RELATIONSHIP_CHECK_URL"],
)
