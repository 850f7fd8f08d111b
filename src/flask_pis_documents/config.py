"""A typed view over ``app.config``, read and validated once at ``init_app``."""
from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .domain.rules import GlobalParameters
from .exceptions import ConfigurationError

PREFIX = "PIS_DOCUMENTS_"

PERSONS = "persons"
PERSON_REQUESTS = "person_requests"
AUTHENTICATION_METHOD_REQUESTS = "authentication_method_requests"
STORAGES = (PERSONS, PERSON_REQUESTS, AUTHENTICATION_METHOD_REQUESTS)

DEFAULT_BUCKETS = {
    PERSONS: "persons",
    PERSON_REQUESTS: "person-requests",
    AUTHENTICATION_METHOD_REQUESTS: "authentication-method-requests",
}
DEFAULT_GLOBAL_PARAMETERS = {
    "no_self_auth_age": 14,
    "no_self_registration_age": 14,
    "person_full_legal_capacity_age": 18,
}
DEFAULT_LEGAL_CAPACITY_DOCUMENT_TYPES = (
    "DIVORCE_CERTIFICATE",
    "MARRIAGE_CERTIFICATE",
    "STATE_REGISTER_EXTRACT",
    "COURT_DECISION_LEGAL_CAPACITY",
    "COURT_DECISION_DIVORCE",
    "GUARDIANSHIP_DECISION_LEGAL_CAPACITY",
    "LEGAL_CAPACITY_DOCUMENT",
)
RELATIONSHIP_STATUSES = ("approved", "not_approved", "not_found")
MAX_URL_LIFETIME = 7 * 24 * 3600

#: Every key the extension reads, with its default; the docs' reference table.
DEFAULTS: dict[str, Any] = {
    "PIS_DOCUMENTS_URL_PREFIX": "/api/pis",
    "PIS_DOCUMENTS_SCOPE": "person_documents:write_pis",
    "PIS_DOCUMENTS_PERSON_ID_CLAIM": "person_id",
    "PIS_DOCUMENTS_APPLICANT_PERSON_ID_CLAIM": "applicant_person_id",
    "PIS_DOCUMENTS_SCOPE_CLAIM": "scope",
    "PIS_DOCUMENTS_GLOBAL_PARAMETERS": DEFAULT_GLOBAL_PARAMETERS,
    "PIS_DOCUMENTS_GLOBAL_PARAMETERS_TTL": 60,
    "PIS_PERSON_LEGAL_CAPACITY_DOCUMENT_TYPES": DEFAULT_LEGAL_CAPACITY_DOCUMENT_TYPES,
    "PIS_DOCUMENTS_TIMEZONE": "Europe/Kyiv",
    "PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": None,
    "PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES": ("approved", "not_approved"),
    "PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT": 3,
    "PIS_DOCUMENTS_BUCKETS": DEFAULT_BUCKETS,
    "PIS_DOCUMENTS_OBJECT_KEY": "{person_id}/{name}.jpeg",
    "PIS_DOCUMENTS_UPLOAD_CONTENT_TYPE": "image/jpeg",
    "PIS_DOCUMENTS_URL_EXPIRES_IN": 600,
    "PIS_DOCUMENTS_EXISTENCE_CHECK": "list",
    "PIS_DOCUMENTS_S3_ENDPOINT_URL": None,
    "PIS_DOCUMENTS_S3_PUBLIC_ENDPOINT_URL": None,
    "PIS_DOCUMENTS_S3_REGION": "us-east-1",
    "PIS_DOCUMENTS_STORAGE_TIMEOUT": 3,
    "PIS_DOCUMENTS_PERSON_STORE_TIMEOUT": 3,
    "PIS_DOCUMENTS_MAX_WORKERS": 16,
    "PIS_DOCUMENTS_OPENAPI_URL_PREFIX": None,
    "PIS_DOCUMENTS_SQLALCHEMY_BIND": None,
    "PIS_DOCUMENTS_COMPLETED_VERIFICATION_STATUS": None,
    "PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH": False,
    "PIS_DOCUMENTS_JWKS_URL": None,
    "PIS_DOCUMENTS_JWKS_TIMEOUT": 3,
    "PIS_DOCUMENTS_JWKS_CACHE_SECONDS": 300,
    "PIS_DOCUMENTS_MAX_TOKEN_BYTES": 8192,
}


def _fail(key: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"{key}: {problem}")


def _text(cfg: Mapping[str, Any], key: str, *, optional: bool = False) -> Any:
    value = cfg.get(key, DEFAULTS[key])
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, f"expected a non-empty string, got {value!r}")
    return value


_REGION = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")
_BUCKET = re.compile(r"[a-zA-Z0-9.\-_]{1,255}")  # botocore's own client-side check


def _url(cfg: Mapping[str, Any], key: str) -> str | None:
    value = _text(cfg, key, optional=True)
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _fail(key, f"expected an http(s) URL with a host, got {value!r}")
    return value  # type: ignore[no-any-return]


def _region(cfg: Mapping[str, Any]) -> str:
    region: str = _text(cfg, "PIS_DOCUMENTS_S3_REGION")
    if not _REGION.fullmatch(region):
        raise _fail("PIS_DOCUMENTS_S3_REGION", f"not a region name: {region!r}")
    return region


def _number(cfg: Mapping[str, Any], key: str, *, low: float, high: float, integer: bool = False) -> Any:
    value = cfg.get(key, DEFAULTS[key])
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value) if integer else float(value)
        if integer and float(value) != number:
            raise ValueError
    except (TypeError, ValueError):
        raise _fail(key, f"expected a number, got {value!r}") from None
    if not low <= number <= high:
        raise _fail(key, f"must be between {low:g} and {high:g}, got {value!r}")
    return number


def _flag(cfg: Mapping[str, Any], key: str) -> bool:
    value = cfg.get(key, DEFAULTS[key])
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return value.strip().lower() in ("1", "true", "yes", "on")
    raise _fail(key, f"expected true or false, got {value!r}")


def _names(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(
        isinstance(v, str) and v for v in value
    ):
        raise _fail(key, "expected a list of strings or a comma-separated string")
    return tuple(value)


def parse_global_parameters(values: Any, source: str) -> GlobalParameters:
    """Read the three ages from a mapping whose values may be strings.

    :param values: a mapping with the three parameter names.
    :param source: named in the error, such as the config key.
    :raise ConfigurationError: a value is missing or not a whole number >= 0.
    """
    if not isinstance(values, Mapping):
        raise _fail(source, "expected a mapping of the three global parameters")
    ages = {}
    for name in DEFAULT_GLOBAL_PARAMETERS:
        raw = values.get(name)
        try:
            if isinstance(raw, bool):
                raise ValueError
            age = int(raw.strip()) if isinstance(raw, str) else int(raw)  # type: ignore[arg-type]
            if isinstance(raw, float) and raw != age:
                raise ValueError
        except (TypeError, ValueError, AttributeError):
            raise _fail(source, f"{name} must be a whole number, got {raw!r}") from None
        if not 0 <= age <= 200:
            raise _fail(source, f"{name} must be between 0 and 200, got {raw!r}")
        ages[name] = age
    return GlobalParameters(**ages)


def _object_keys(cfg: Mapping[str, Any], existence_check: str) -> dict[str, str]:
    key = "PIS_DOCUMENTS_OBJECT_KEY"
    value = cfg.get(key, DEFAULTS[key])
    if isinstance(value, str):
        templates = {storage: value for storage in STORAGES}
    elif isinstance(value, Mapping):
        unknown = set(value) - set(STORAGES)
        if unknown:
            raise _fail(key, f"unknown storages {sorted(unknown)}; use {list(STORAGES)}")
        default = DEFAULTS[key]
        templates = {storage: value.get(storage, default) for storage in STORAGES}
    else:
        raise _fail(key, "expected a template string or a mapping of storage to template")
    for storage, template in templates.items():
        if not isinstance(template, str):
            raise _fail(key, f"template for {storage} must be a string")
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        except ValueError as error:
            raise _fail(key, f"template for {storage} is malformed: {error}") from None
        if sorted(set(fields)) != ["name", "person_id"] or len(fields) != 2:
            raise _fail(key, "a template must contain {person_id} and {name} once each, nothing else")
        if existence_check == "list" and template.index("{person_id}") > template.index("{name}"):
            raise _fail(key, "with the 'list' existence check, {person_id} must come before {name}")
    return templates


@dataclass(frozen=True)
class PisDocumentsConfig:
    """The extension's settings for one app; see :data:`DEFAULTS`."""

    url_prefix: str
    scope: str
    person_id_claim: str
    applicant_person_id_claim: str
    scope_claim: str
    global_parameters: GlobalParameters
    global_parameters_ttl: float
    legal_capacity_document_types: frozenset[str]
    timezone: ZoneInfo
    relationship_check_url: str | None
    relationship_ok_statuses: frozenset[str]
    relationship_timeout: float
    buckets: Mapping[str, str]
    object_keys: Mapping[str, str]
    upload_content_type: str
    url_expires_in: int
    existence_check: str
    s3_endpoint_url: str | None
    s3_public_endpoint_url: str | None
    s3_region: str
    storage_timeout: float
    person_store_timeout: float
    max_workers: int
    openapi_url_prefix: str | None
    sqlalchemy_bind: str | None
    completed_verification_status: str | None
    upload_if_none_match: bool
    jwks_url: str | None
    jwks_timeout: float
    jwks_cache_seconds: float
    max_token_bytes: int

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> PisDocumentsConfig:
        """Validate ``cfg`` (an ``app.config``).

        :raise ConfigurationError: naming the first bad key.
        """
        prefix = _text(cfg, "PIS_DOCUMENTS_URL_PREFIX")
        if not prefix.startswith("/"):
            raise _fail("PIS_DOCUMENTS_URL_PREFIX", "must start with '/'")

        tz_name = _text(cfg, "PIS_DOCUMENTS_TIMEZONE")
        try:
            timezone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise _fail("PIS_DOCUMENTS_TIMEZONE", f"unknown time zone {tz_name!r}") from None

        ok_key = "PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES"
        ok_statuses = _names(cfg.get(ok_key, DEFAULTS[ok_key]), ok_key)
        if not set(ok_statuses) <= set(RELATIONSHIP_STATUSES):
            raise _fail(ok_key, f"statuses must be among {list(RELATIONSHIP_STATUSES)}")

        bucket_key = "PIS_DOCUMENTS_BUCKETS"
        bucket_overrides = cfg.get(bucket_key) or {}
        if not isinstance(bucket_overrides, Mapping) or set(bucket_overrides) - set(STORAGES):
            raise _fail(bucket_key, f"expected a mapping with keys among {list(STORAGES)}")
        buckets = {**DEFAULT_BUCKETS, **bucket_overrides}
        for storage, bucket in buckets.items():
            if not isinstance(bucket, str) or not _BUCKET.fullmatch(bucket):
                raise _fail(bucket_key, f"bucket for {storage} is not a valid bucket name")

        check_key = "PIS_DOCUMENTS_EXISTENCE_CHECK"
        existence_check = cfg.get(check_key, DEFAULTS[check_key])
        if existence_check not in ("list", "head"):
            raise _fail(check_key, f"expected 'list' or 'head', got {existence_check!r}")

        types_key = "PIS_PERSON_LEGAL_CAPACITY_DOCUMENT_TYPES"
        params_key = "PIS_DOCUMENTS_GLOBAL_PARAMETERS"
        completed_key = "PIS_DOCUMENTS_COMPLETED_VERIFICATION_STATUS"
        return cls(
            url_prefix=prefix.rstrip("/"),
            scope=_text(cfg, "PIS_DOCUMENTS_SCOPE"),
            person_id_claim=_text(cfg, "PIS_DOCUMENTS_PERSON_ID_CLAIM"),
            applicant_person_id_claim=_text(cfg, "PIS_DOCUMENTS_APPLICANT_PERSON_ID_CLAIM"),
            scope_claim=_text(cfg, "PIS_DOCUMENTS_SCOPE_CLAIM"),
            global_parameters=parse_global_parameters(
                cfg.get(params_key, DEFAULTS[params_key]), params_key
            ),
            global_parameters_ttl=_number(cfg, "PIS_DOCUMENTS_GLOBAL_PARAMETERS_TTL", low=0, high=86400),
            legal_capacity_document_types=frozenset(
                _names(cfg.get(types_key, DEFAULTS[types_key]), types_key)
            ),
            timezone=timezone,
            relationship_check_url=_url(cfg, "PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL"),
            relationship_ok_statuses=frozenset(ok_statuses),
            relationship_timeout=_number(cfg, "PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT", low=0.001, high=300),
            buckets=buckets,
            object_keys=_object_keys(cfg, existence_check),
            upload_content_type=_text(cfg, "PIS_DOCUMENTS_UPLOAD_CONTENT_TYPE"),
            url_expires_in=_number(
                cfg, "PIS_DOCUMENTS_URL_EXPIRES_IN", low=1, high=MAX_URL_LIFETIME, integer=True
            ),
            existence_check=existence_check,
            s3_endpoint_url=_url(cfg, "PIS_DOCUMENTS_S3_ENDPOINT_URL"),
            s3_public_endpoint_url=_url(cfg, "PIS_DOCUMENTS_S3_PUBLIC_ENDPOINT_URL"),
            s3_region=_region(cfg),
            storage_timeout=_number(cfg, "PIS_DOCUMENTS_STORAGE_TIMEOUT", low=0.001, high=300),
            person_store_timeout=_number(cfg, "PIS_DOCUMENTS_PERSON_STORE_TIMEOUT", low=0.001, high=300),
            max_workers=_number(cfg, "PIS_DOCUMENTS_MAX_WORKERS", low=1, high=512, integer=True),
            openapi_url_prefix=_text(cfg, "PIS_DOCUMENTS_OPENAPI_URL_PREFIX", optional=True),
            sqlalchemy_bind=_text(cfg, "PIS_DOCUMENTS_SQLALCHEMY_BIND", optional=True),
            completed_verification_status=_text(cfg, completed_key, optional=True),
            upload_if_none_match=_flag(cfg, "PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH"),
            jwks_url=_url(cfg, "PIS_DOCUMENTS_JWKS_URL"),
            jwks_timeout=_number(cfg, "PIS_DOCUMENTS_JWKS_TIMEOUT", low=0.001, high=300),
            jwks_cache_seconds=_number(cfg, "PIS_DOCUMENTS_JWKS_CACHE_SECONDS", low=1, high=86400),
            max_token_bytes=_number(
                cfg, "PIS_DOCUMENTS_MAX_TOKEN_BYTES", low=256, high=1 << 20, integer=True
            ),
        )
