# Guestlist's container image: Debian 13 "trixie" (it ships Python 3.13), the locked
# dependencies from uv.lock and nothing to build with in the final image.
#   podman build -t guestlist .      (or: docker build -t guestlist .)
# See the README's "Running it in a container" for run, compose, PUID/PGID and upgrades.

FROM debian:trixie-slim AS build
ARG UV_VERSION=0.13.8
ENV DEBIAN_FRONTEND=noninteractive \
    UV_PYTHON=/usr/bin/python3.13 UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/guestlist UV_NO_CACHE=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# A network that inspects TLS may hand its CA in as an optional build secret:
#   --secret id=ca-certificates,src=/etc/ssl/certs/ca-certificates.crt
# Nothing of it stays in the image.
RUN --mount=type=secret,id=ca-certificates \
    if [ -s /run/secrets/ca-certificates ]; then export SSL_CERT_FILE=/run/secrets/ca-certificates PIP_CERT=/run/secrets/ca-certificates; fi \
 && python3 -m venv /opt/uv \
 && /opt/uv/bin/pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first (a layer that changes only with uv.lock), then the app itself.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=secret,id=ca-certificates \
    if [ -s /run/secrets/ca-certificates ]; then export SSL_CERT_FILE=/run/secrets/ca-certificates; fi \
 && /opt/uv/bin/uv sync --frozen --no-dev --no-install-project --no-editable
COPY guestlist ./guestlist
RUN --mount=type=secret,id=ca-certificates \
    if [ -s /run/secrets/ca-certificates ]; then export SSL_CERT_FILE=/run/secrets/ca-certificates; fi \
 && /opt/uv/bin/uv sync --frozen --no-dev --no-editable \
 && /opt/guestlist/bin/python -m compileall -q /opt/guestlist/lib/python3.13/site-packages/guestlist

FROM debian:trixie-slim
ENV DEBIAN_FRONTEND=noninteractive
# python3: the interpreter the venv was built for; tzdata: TZ; tini: PID 1 that forwards
# SIGTERM and reaps; postgresql-client: pg_dump for scheduled backups on PostgreSQL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 tzdata tini ca-certificates postgresql-client \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
 && groupadd --gid 1000 guestlist \
 && useradd --uid 1000 --gid guestlist --home-dir /config --no-create-home --shell /usr/sbin/nologin guestlist \
 && mkdir -p /config && chown guestlist:guestlist /config
COPY --from=build /opt/guestlist /opt/guestlist
COPY docker/entrypoint.sh /usr/local/bin/guestlist-entrypoint
COPY docker/guestlist /usr/local/bin/guestlist
# /usr/local/bin first: its `guestlist` runs the real one as PUID:PGID when called as root.
ENV PATH=/usr/local/bin:/opt/guestlist/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1 \
    GUESTLIST_DATA_DIR=/config \
    PUID=1000 PGID=1000 TZ=UTC \
    PLEXAPI_CONFIG_PATH=/config/plexapi.ini
VOLUME /config
EXPOSE 8484
# No curl in the image: Python asks /healthz itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python3", "-c", "import sys, urllib.request as u; sys.exit(0 if u.urlopen('http://127.0.0.1:8484/healthz', timeout=4).status == 200 else 1)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/guestlist-entrypoint"]
CMD ["guestlist", "serve", "--host", "0.0.0.0", "--port", "8484"]
