# OpenCalendars server image (docs/deploy.md, "Docker").
#
#   docker build -t opencalendars .
#   docker run -p 8000:8000 -v opencalendars-data:/var/lib/opencalendars opencalendars
#
# The same image runs the delivery worker: `docker run --no-healthcheck ... opencalendars worker`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The server never runs as root.
RUN groupadd --system --gid 10001 opencalendars \
    && useradd --system --uid 10001 --gid opencalendars --no-create-home \
        --home-dir /var/lib/opencalendars --shell /usr/sbin/nologin opencalendars \
    && install -d -o opencalendars -g opencalendars -m 0750 /var/lib/opencalendars

# The locked runtime set, every file checked against its hash (scripts/lock.sh writes the lock);
# its own layer, rebuilt only when the lock changes.
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /opt/opencalendars/venv \
    && /opt/opencalendars/venv/bin/pip install --require-hashes --no-deps \
        -r /tmp/requirements.lock \
    && rm /tmp/requirements.lock

# The server itself, on exactly those dependencies (`pip check` fails the build if one is missing).
COPY pyproject.toml README.md /tmp/opencalendars/
COPY src /tmp/opencalendars/src
RUN /opt/opencalendars/venv/bin/pip install --no-deps /tmp/opencalendars \
    && /opt/opencalendars/venv/bin/pip check \
    && rm -rf /tmp/opencalendars

ENV PATH=/opt/opencalendars/venv/bin:$PATH \
    OPENCALENDARS_DATABASE_URL=sqlite:////var/lib/opencalendars/opencalendars.db

USER opencalendars
WORKDIR /var/lib/opencalendars
# The SQLite database (the default) and its lock and rate-limit files; unused with PostgreSQL.
VOLUME ["/var/lib/opencalendars"]
EXPOSE 8000

# Liveness: the process answers. A load balancer or orchestrator should route by /readyz
# (the database answers and is migrated), which a restart would not fix.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# exec form: the server is PID 1 and gets SIGTERM itself (uvicorn finishes the requests in flight).
CMD ["opencalendars", "serve", "--host", "0.0.0.0", "--port", "8000"]
