"""An S3 server inside the example app's process, for when no S3 is configured.

moto's S3 runs on a free loopback port, once per process, with fake
credentials: a demo needs no cloud account and no running MinIO.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterable

#: Fake credentials for the embedded server only (moto's usual "testing"); moto does not check them.
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
#: Variables that would make boto3 look elsewhere for credentials.
_CLEARED_AWS_ENVIRONMENT = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")

_lock = threading.Lock()
_endpoint: str | None = None


def use_fake_aws_credentials() -> None:
    """Put fake credentials in the environment, before any boto3 client exists.

    boto3 fixes credentials when a client is created, so this runs before
    the extension (or anything else) creates one. Real credentials are
    replaced on purpose: they have no business going to the embedded server.
    """
    os.environ.update(FAKE_AWS_ENVIRONMENT)
    for name in _CLEARED_AWS_ENVIRONMENT:
        os.environ.pop(name, None)


def start_embedded_s3() -> str:
    """Start moto's S3 server on 127.0.0.1 once per process; return its URL.

    Every call puts the fake credentials in the environment first, so the
    clients of each app that uses the server sign with them. The server
    thread is a daemon: it ends with the process.
    """
    global _endpoint
    with _lock:
        use_fake_aws_credentials()
        if _endpoint is None:
            from moto.server import ThreadedMotoServer

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            _endpoint = f"http://{host}:{port}"
        return _endpoint


def create_buckets(endpoint_url: str, region: str, buckets: Iterable[str]) -> None:
    """Create ``buckets`` on the S3 server at ``endpoint_url``; existing ones are kept."""
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region)
    try:
        for bucket in buckets:
            try:
                if region == "us-east-1":
                    client.create_bucket(Bucket=bucket)
                else:
                    client.create_bucket(
                        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
                    )
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
    finally:
        client.close()
