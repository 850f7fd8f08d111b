import os

from flask import Flask

from flask_pis_documents import PisDocuments

PERSONS = {"p-1": {"id": "p-1", "birth_date": "1990-05-01", "status": "active", "is_active": True,
                   "documents": [{"type": "PASSPORT", "number": "AA1"}],
                   "authentication_methods": [{"type": "OFFLINE"}]}}

app = Flask(__name__)
app.config["JWT_SECRET_KEY"] = os.environ["JWT_SECRET_KEY"]
app.config["PIS_DOCUMENTS_S3_ENDPOINT_URL"] = os.environ.get("S3_ENDPOINT_URL")  # unset: AWS
PisDocuments(app, person_loader=PERSONS.get,
             relationship_checker=lambda person_id, applicant_id: "not_found")
