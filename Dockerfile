# One image for the four services; the command picks the service:
#   python -m nameko run --config services/<svc>/config.yaml services.<svc>.service
# the same command the tests start each service with (tests/ops/test_compose.py compares them).
# The base image is pinned to a patch release of Python and of Debian (bookworm).

# --- build: resolve and build every wheel, install them into a virtualenv ---
FROM python:3.11.7-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml constraints.txt ./
COPY services ./services

# The last step fails the build if a service's config.yaml did not ship as package data: the
# runtime stage reads it from the installed package.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip wheel --wheel-dir /wheels -c constraints.txt . \
 && /opt/venv/bin/pip install --no-index --find-links /wheels iec-platform \
 && /opt/venv/bin/python -c "import importlib.resources as r; \
[r.files('services').joinpath(s, 'config.yaml').read_text() \
 for s in ('intake', 'surveys', 'reporting', 'notifications')]"

# --- runtime: the virtualenv only, no build context, no compilers ---
FROM python:3.11.7-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="iec-platform" \
      org.opencontainers.image.description="Immigrant employment councils: intake, surveys, reporting, notifications"

RUN groupadd --system --gid 10001 iec \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /app \
            --shell /usr/sbin/nologin iec

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# The run command names `services/<svc>/config.yaml` relative to the working directory, as in a
# checkout; the link points it at the installed package instead of shipping a second copy.
RUN ln -s /opt/venv/lib/python3.11/site-packages/services /app/services

USER 10001:10001
# `nameko run` shuts down promptly on SIGINT; under eventlet a SIGTERM can wait for the hub to wake.
STOPSIGNAL SIGINT
EXPOSE 8001 8002 8003 8004

# Healthy once /ready answers 200 (RabbitMQ and MongoDB reachable) on the port the service listens
# on (WEB_SERVER_ADDRESS); slim has no curl, the interpreter does the request.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('WEB_SERVER_ADDRESS', ':8001').rsplit(':', 1)[1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/ready', timeout=4)"]

CMD ["python", "-m", "nameko", "run", "--config", "services/intake/config.yaml", "services.intake.service"]
