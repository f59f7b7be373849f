"""gunicorn settings for FieldAudit behind nginx (deploy/nginx/fieldaudit.conf).

    gunicorn -c deploy/gunicorn.conf.py 'fieldaudit:create_app()'

Each value can be changed with an environment variable (the systemd unit reads them from
/etc/fieldaudit/fieldaudit.env). gthread workers: a request waiting for PostgreSQL or Redis
holds a thread, not a process, and nginx buffers every upload and every answer, so no slow
client ever holds one. Photo decoding is memory-bound (FIELDAUDIT_PHOTO_WORKERS per process),
so processes stay few and threads carry the concurrency.
"""

import multiprocessing
import os

bind = os.environ.get("FIELDAUDIT_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("FIELDAUDIT_GUNICORN_WORKERS", min(4, multiprocessing.cpu_count())))
threads = int(os.environ.get("FIELDAUDIT_GUNICORN_THREADS", 4))
# A request may take this long (a 45 MB multipart upload arrives from nginx at loopback speed;
# a large export takes longest); then the worker is killed and restarted.
timeout = int(os.environ.get("FIELDAUDIT_GUNICORN_TIMEOUT", 60))
graceful_timeout = 30  # a restart lets running requests finish
# nginx keeps upstream connections open (keepalive in the upstream block) and must close an
# idle one before gunicorn does: its keepalive_timeout is 4 s. Were gunicorn first, nginx could
# send a request on a connection gunicorn is closing (a 502, measured by scale_out.py: nginx
# never resends a POST).
keepalive = 15
# Recycle workers now and then (a slow leak in a library stays bounded).
max_requests = 5000
max_requests_jitter = 500
# Forwarded headers: gunicorn trusts X-Forwarded-Proto only from these addresses; the app
# itself reads X-Forwarded-For/-Proto/-Host with FIELDAUDIT_PROXY_HOPS=1 and
# FIELDAUDIT_PROXY_HOST=1 (werkzeug's ProxyFix, fieldaudit/__init__.py).
forwarded_allow_ips = os.environ.get("FIELDAUDIT_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The app writes one JSON line per request (FIELDAUDIT_LOG_JSON); gunicorn's own access log
# would be a second, less careful one (it logs query strings).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("FIELDAUDIT_GUNICORN_LOGLEVEL", "info")
# No gunicornc control socket: systemd manages the process (and two instances on one machine
# would share its default path).
control_socket_disable = True
# Load the app in each worker after the fork: database pools and Redis clients are never shared.
preload_app = False
