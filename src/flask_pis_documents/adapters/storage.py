"""Media content storages: which documents exist, and signed upload URLs."""
from __future__ import annotations

import logging
import threading
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..config import PERSONS, STORAGES, PisDocumentsConfig
from ..exceptions import DependencyUnavailable
from ..process_local import ProcessLocal

logger = logging.getLogger("flask_pis_documents.storage")

STORAGE = "storage"


@dataclass(frozen=True)
class SignedUpload:
    """Where and how to upload one document.

    :param url: a presigned ``PUT`` URL.
    :param headers: headers the uploader must send, as signed into the URL.
    """

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class DocumentStorage(Protocol):
    """What the extension asks of the media content storages.

    The extension calls :meth:`snapshot` for every storage concurrently with
    the person load; where it returns ``None`` it calls :meth:`exists` for
    each required name, concurrently too. Raise
    :class:`~flask_pis_documents.exceptions.DependencyUnavailable` (or any
    exception) when a storage cannot answer.
    """

    storage_names: Sequence[str]

    def snapshot(self, storage: str, person_id: str) -> Container[str] | None:
        """Return the names stored for ``person_id``, or ``None`` to be asked per name."""

    def exists(self, storage: str, person_id: str, name: str) -> bool:
        """Return whether document ``name`` of ``person_id`` is in ``storage``."""

    def sign_upload(self, person_id: str, name: str) -> SignedUpload:
        """Return a signed upload for ``name`` into the upload storage. No network call."""


class _KeySnapshot:
    """The names whose object keys appear in one listing."""

    __slots__ = ("_keys", "_template", "_person_id")

    def __init__(self, keys: frozenset[str], template: str, person_id: str) -> None:
        self._keys = keys
        self._template = template
        self._person_id = person_id

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return self._template.format(person_id=self._person_id, name=name) in self._keys


def _s3_client(config: PisDocumentsConfig, endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    return session.client(
        "s3",
        region_name=config.s3_region,
        endpoint_url=endpoint_url,
        config=Config(
            signature_version="s3v4",
            region_name=config.s3_region,
            s3={"addressing_style": "auto"},
            connect_timeout=config.storage_timeout,
            read_timeout=config.storage_timeout,
            retries={"mode": "standard", "total_max_attempts": 1},
            max_pool_connections=max(10, config.max_workers),
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


class S3DocumentStorage:
    """The three storages as S3 buckets, through boto3.

    One client per process for server-side calls and, when
    ``PIS_DOCUMENTS_S3_PUBLIC_ENDPOINT_URL`` is set, one for signing: the
    host is part of a SigV4 signature, so it cannot be rewritten afterwards.
    """

    storage_names = STORAGES

    def __init__(self, config: PisDocumentsConfig) -> None:
        self.config = config
        self._client = ProcessLocal(lambda: _s3_client(config, config.s3_endpoint_url))
        # A HEAD on a missing bucket is a bare 404 too: each bucket is checked
        # once per process, on the first 404, before a 404 means "absent".
        self._buckets_seen: ProcessLocal[set[str]] = ProcessLocal(set)
        self._bucket_check = threading.Lock()
        if config.s3_public_endpoint_url:
            self._signer = ProcessLocal(lambda: _s3_client(config, config.s3_public_endpoint_url))
        else:
            self._signer = self._client

    def key(self, storage: str, person_id: str, name: str) -> str:
        """The object key of ``name`` for ``person_id`` in ``storage``."""
        return self.config.object_keys[storage].format(person_id=person_id, name=name)

    def _fail(self, storage: str, error: Exception) -> DependencyUnavailable:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        logger.warning("storage %s failed: %s %s", storage, type(error).__name__, code)
        return DependencyUnavailable(STORAGE)

    def snapshot(self, storage: str, person_id: str) -> Container[str] | None:
        if self.config.existence_check != "list":
            return None
        from botocore.exceptions import BotoCoreError, ClientError

        template = self.config.object_keys[storage]
        prefix = template[: template.index("{name}")].format(person_id=person_id)
        keys: set[str] = set()
        try:
            pages = self._client.get().get_paginator("list_objects_v2").paginate(
                Bucket=self.config.buckets[storage], Prefix=prefix
            )
            for page in pages:
                keys.update(item["Key"] for item in page.get("Contents", ()))
        except (BotoCoreError, ClientError) as error:
            raise self._fail(storage, error) from None
        return _KeySnapshot(frozenset(keys), template, person_id)

    def exists(self, storage: str, person_id: str, name: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client.get()
        bucket = self.config.buckets[storage]
        try:
            client.head_object(Bucket=bucket, Key=self.key(storage, person_id, name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise self._fail(storage, error) from None
        except BotoCoreError as error:
            raise self._fail(storage, error) from None
        else:
            return True
        seen = self._buckets_seen.get()
        if bucket not in seen:
            with self._bucket_check:
                if bucket not in seen:
                    try:
                        client.head_bucket(Bucket=bucket)
                    except (BotoCoreError, ClientError) as error:
                        raise self._fail(storage, error) from None
                    seen.add(bucket)
        return False

    def sign_upload(self, person_id: str, name: str) -> SignedUpload:
        content_type = self.config.upload_content_type
        params = {
            "Bucket": self.config.buckets[PERSONS],
            "Key": self.key(PERSONS, person_id, name),
            "ContentType": content_type,
        }
        headers = {"Content-Type": content_type}
        if self.config.upload_if_none_match:
            # Signed in: the store refuses (412) to overwrite an object already there.
            params["IfNoneMatch"] = "*"
            headers["If-None-Match"] = "*"
        url = self._signer.get().generate_presigned_url(
            "put_object", Params=params, ExpiresIn=self.config.url_expires_in, HttpMethod="PUT"
        )
        return SignedUpload(url=url, headers=headers)
