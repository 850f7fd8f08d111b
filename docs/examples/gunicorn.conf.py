"""gunicorn settings for a host of flask_pis_documents.

Run: ``gunicorn -c gunicorn.conf.py 'production_app:create_app()'``.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
# Processes: the extension creates its boto3 clients, HTTP sessions and
# thread pool lazily, once in each worker, never before the fork.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
# Threads per worker: each request fans out to at most about six pool tasks.
worker_class = "gthread"
threads = int(os.environ.get("THREADS", 4))
# Above the longest wait of a request: 2 x 3 s storage timeout + margin.
timeout = 30
graceful_timeout = 30
keepalive = 5
# True works for the extension; keep it False unless the host opens no
# connection while the app is created.
preload_app = False
# One JSON line per request comes from the flask_pis_documents.access logger;
# gunicorn's own access log is then optional.
accesslog = None
errorlog = "-"
