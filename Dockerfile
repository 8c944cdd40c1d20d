# syntax=docker/dockerfile:1
# Privacy Rights API, the release image (README, "Docker"). Migrating is a release step
# of its own, never part of a container's start:
#   docker build -t privacy-api .
#   docker run --rm -e PRIVACY_DATABASE_URL=... -e ... privacy-api privacy-api migrate
#   docker run -d -p 8000:8000 -e PRIVACY_DATABASE_URL=... -e ... privacy-api
# scripts/ci-release.sh lints this file and runs the same steps without Docker.

# The base is pinned by the digest of the tag's multi-architecture index, so a rebuild
# takes the same Python and Debian; move the tag and the digest together, on purpose.
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/privacy

# The runtime dependencies as a requirements file, read from pyproject.toml. The file is
# copied into the final stage by content, so a change elsewhere in pyproject.toml (tool
# settings, the version) does not reinstall the dependencies.
FROM base AS requirements
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt

# The application as a wheel: the code, its templates and its migrations, no source tree.
FROM base AS wheel
COPY pyproject.toml README.md alembic.ini ./
COPY migrations ./migrations
COPY app ./app
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM base AS release
RUN groupadd --system --gid 10001 privacy \
    && useradd --system --uid 10001 --gid privacy --home-dir /srv/privacy --no-create-home privacy \
    && mkdir -p /srv/privacy/data \
    && chown privacy:privacy /srv/privacy/data

# Dependencies first, in a layer of their own: a change of the code reuses it. Pinned
# by constraints.txt, as in development and CI.
COPY constraints.txt ./
COPY --from=requirements /srv/privacy/requirements.txt ./
RUN pip install -c constraints.txt -r requirements.txt

# Then the application itself, not editable; the wheel is mounted, not kept in a layer.
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --no-deps /wheels/*.whl

# Production refuses to start without real secrets (PRIVACY_JWT_SECRET or keys,
# PRIVACY_HASH_SECRET). The SQLite default lives in /srv/privacy/data: mount a volume
# there, or set PRIVACY_DATABASE_URL to PostgreSQL, or the data goes with the container.
ENV PRIVACY_ENVIRONMENT=production \
    PRIVACY_DATABASE_URL=sqlite:////srv/privacy/data/privacy.db \
    PRIVACY_DATA_DIR=/srv/privacy/data

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]

# One worker: each replica is one process and one Prometheus target (README, "Production
# topology"); several workers: `privacy-api serve --host 0.0.0.0 --workers N`.
CMD ["privacy-api", "serve", "--host", "0.0.0.0", "--port", "8000"]
