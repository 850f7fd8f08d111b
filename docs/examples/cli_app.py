"""A host on the default, database-backed hooks, for the command line.

``flask --app cli_app pis-documents ...`` with ``DATABASE_URL`` naming the
MPI database (default: a SQLite file in the instance folder).
"""
from __future__ import annotations

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_pis_documents import DatabaseRelationshipChecker, PisDocuments

db = SQLAlchemy()

app = Flask(__name__)
app.config.update(
    SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite:///mpi.sqlite"),
    JWT_SECRET_KEY=os.environ["JWT_SECRET_KEY"],
    PIS_DOCUMENTS_S3_ENDPOINT_URL=os.environ.get("S3_ENDPOINT_URL"),
)
db.init_app(app)
# The person loader defaults to SqlPersonStore: the MPI tables init-db creates.
PisDocuments(app, relationship_checker=DatabaseRelationshipChecker())
