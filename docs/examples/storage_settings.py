"""Storage settings for AWS S3, MinIO and Google Cloud Storage.

Credentials are never in ``app.config``: boto3 reads them from the standard
AWS chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, shared files,
instance or task roles). ``tests/test_docs_examples.py`` validates each
mapping and checks where its signed URLs point.
"""

# start-aws
AWS_S3 = {
    "PIS_DOCUMENTS_S3_REGION": "eu-central-1",
    "PIS_DOCUMENTS_BUCKETS": {
        "persons": "pis-prod-persons",
        "person_requests": "pis-prod-person-requests",
        "authentication_method_requests": "pis-prod-authentication-method-requests",
    },
}
# end-aws

# start-minio
# The app reaches MinIO as http://minio:9000 inside the cluster; uploaders
# reach it as https://files.pis.example. Signed URLs must name the latter.
MINIO = {
    "PIS_DOCUMENTS_S3_ENDPOINT_URL": "http://minio:9000",
    "PIS_DOCUMENTS_S3_PUBLIC_ENDPOINT_URL": "https://files.pis.example",
    "PIS_DOCUMENTS_S3_REGION": "us-east-1",
}
# end-minio

# start-gcs
# Cloud Storage through its XML API, with an HMAC key of a service account
# as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
GCS = {
    "PIS_DOCUMENTS_S3_ENDPOINT_URL": "https://storage.googleapis.com",
    "PIS_DOCUMENTS_S3_REGION": "auto",
}
# end-gcs
