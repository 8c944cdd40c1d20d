# Privacy Rights API: migrate, then serve. Configure with PRIVACY_* variables (README).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PRIVACY_ENVIRONMENT=production \
    PRIVACY_DATABASE_URL=sqlite:////srv/privacy/data/privacy.db

WORKDIR /srv/privacy
RUN groupadd --system privacy && useradd --system --gid privacy --home /srv/privacy privacy

COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install -c constraints.txt -e . && mkdir -p data && chown -R privacy:privacy data

USER privacy
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

CMD ["sh", "-c", "privacy-api migrate && exec privacy-api serve --host 0.0.0.0 --port 8000 --workers ${WORKERS:-2}"]
