"""The whole flow from the person information system's side.

Initialize, ``PUT`` each scan to its presigned URL with the headers the item
names, then complete. Uses ``requests``; nothing here is specific to Flask.
"""
from __future__ import annotations

from collections.abc import Mapping

import requests


def upload_documents(
    base_url: str, token: str, scans: Mapping[str, bytes], session: requests.Session | None = None
) -> list[str]:
    """Upload the scans the extension asks for; return the names still missing.

    :param base_url: the host, such as ``https://pis.example``.
    :param token: the person's access token.
    :param scans: one-page JPEGs by document name, such as ``"person.PASSPORT"``.
    """
    http = session or requests.Session()
    auth = {"Authorization": f"Bearer {token}"}

    initialized = http.post(f"{base_url}/api/pis/documents", headers=auth, timeout=10)
    initialized.raise_for_status()
    for item in initialized.json()["data"]:
        scan = scans.get(item["type"])
        if scan is not None:
            # The headers are signed into the URL: send them exactly.
            put = http.put(item["url"], data=scan, headers=item["headers"], timeout=60)
            put.raise_for_status()

    completed = http.patch(f"{base_url}/api/pis/documents/actions/complete",
                           headers=auth, timeout=10)
    completed.raise_for_status()
    return [item["type"] for item in completed.json()["data"]]
