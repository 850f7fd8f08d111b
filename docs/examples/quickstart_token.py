"""Print a development access token for the quickstart's person ``p-1``.

Your identity provider issues the real tokens; this one is signed with the
quickstart's ``JWT_SECRET_KEY`` and lasts 15 minutes.
"""
from flask_jwt_extended import create_access_token

from quickstart_app import app

with app.app_context():
    print(create_access_token(
        "user-1",
        additional_claims={"person_id": "p-1", "scope": "person_documents:write_pis"},
    ))
