"""The endpoint end to end against moto's S3 server."""
from __future__ import annotations

import requests

from conftest import bearer, person_record


def test_offline_person_gets_an_upload_url_per_document(make_app, persons, s3, token):
    persons["person-1"] = person_record(
        documents=[{"type": "PASSPORT", "number": "AA1"}, {"type": "TAX_ID", "number": "1"}],
        authentication_methods=[{"type": "OFFLINE"}],
    )
    app = make_app()
    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))
    assert response.status_code == 201
    assert [d["type"] for d in response.json["data"]] == ["person.PASSPORT", "person.TAX_ID"]
    url = response.json["data"][0]["url"]
    put = requests.put(url, data=b"\xff\xd8jpeg", headers={"Content-Type": "image/jpeg"}, timeout=5)
    assert put.status_code == 200
    body = s3.get_object(Bucket="persons", Key="person-1/person.PASSPORT.jpeg")["Body"].read()
    assert body == b"\xff\xd8jpeg"
    again = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))
    assert [d["type"] for d in again.json["data"]] == ["person.TAX_ID"]
