"""A storage backend of your own: the three storages as local folders.

Uploads go to the host's own ``PUT /uploads/<token>`` route, whose token is
signed with :mod:`itsdangerous` (shipped with Flask) and expires. Useful for
development or for a host that keeps scans on its own disks; production
hosts usually keep the S3 default.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from flask_pis_documents import PisDocuments, SignedUpload

STORAGES = ("persons", "person_requests", "authentication_method_requests")
UPLOAD_STORAGE = "persons"


# start-storage
class LocalFolderStorage:
    """``<root>/<storage>/<person_id>/<name>.jpeg``; satisfies ``DocumentStorage``."""

    storage_names = STORAGES

    def __init__(self, root: Path, secret: str, upload_url: str, expires_in: int = 600) -> None:
        self.root = root
        self.upload_url = upload_url.rstrip("/")
        self.expires_in = expires_in
        self._tokens = URLSafeTimedSerializer(secret, salt="pis-documents-upload")

    def _path(self, storage: str, person_id: str, name: str) -> Path:
        return self.root / storage / person_id / f"{name}.jpeg"

    def snapshot(self, storage: str, person_id: str) -> set[str] | None:
        """Every name stored for the person: one directory listing per storage."""
        folder = self.root / storage / person_id
        if not folder.is_dir():
            return set()
        return {path.name.removesuffix(".jpeg") for path in folder.glob("*.jpeg")}

    def exists(self, storage: str, person_id: str, name: str) -> bool:
        """Only called when :meth:`snapshot` returns ``None``; here, never."""
        return self._path(storage, person_id, name).is_file()

    def sign_upload(self, person_id: str, name: str) -> SignedUpload:
        """A URL of the upload route carrying a signed, expiring token. No I/O."""
        token = self._tokens.dumps({"person_id": person_id, "name": name})
        return SignedUpload(url=f"{self.upload_url}/{token}",
                            headers={"Content-Type": "image/jpeg"})

    def receive(self, token: str, content_type: str | None, body: bytes) -> bool:
        """Store an upload when its token is valid; ``False`` otherwise."""
        try:
            target = self._tokens.loads(token, max_age=self.expires_in)
        except BadSignature:  # also SignatureExpired
            return False
        if content_type != "image/jpeg" or not body.startswith(b"\xff\xd8"):
            return False
        path = self._path(UPLOAD_STORAGE, target["person_id"], target["name"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return True
# end-storage


# start-upload-route
uploads = Blueprint("uploads", __name__)


@uploads.put("/uploads/<token>")
def receive_upload(token: str) -> tuple[str, int]:
    storage: LocalFolderStorage = current_app.extensions["host-upload-storage"]
    if (request.content_length or 0) > 10 * 1024 * 1024:  # ESOZ: at most 10 MB
        return "too large", 413
    if not storage.receive(token, request.mimetype, request.get_data()):
        return "forbidden", 403
    return "", 200
# end-upload-route


# start-app
def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(config or {})
    storage = LocalFolderStorage(
        root=Path(app.config["UPLOAD_ROOT"]),
        secret=app.config["SECRET_KEY"],
        upload_url=app.config["PUBLIC_BASE_URL"] + "/uploads",
    )
    app.extensions["host-upload-storage"] = storage
    app.register_blueprint(uploads)
    PisDocuments(person_loader=app.config["PERSONS"].get,
                 relationship_checker=lambda person_id, applicant_id: "not_found",
                 ).init_app(app, storage=storage)
    return app
# end-app
