# One image for the bot and the portal: the code, the flows and the texts, run as an
# unprivileged user. No secret is built in: the token, the database password and
# DATA_ENCRYPTION_KEY come from the environment when the container starts (compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin coach
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-compile . && rm -rf /root/.cache
COPY flows ./flows
COPY content ./content
RUN mkdir -p /app/data && chown coach:coach /app/data && chmod 700 /app/data

USER coach
# SQLite (one process) keeps its file here; with PostgreSQL it stays empty.
VOLUME ["/app/data"]
ENV METRICS_LISTEN=0.0.0.0 \
    METRICS_PORT=9108 \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8443
EXPOSE 8443 9108

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"METRICS_PORT\"]}/healthz', timeout=4)"

ENTRYPOINT ["coach"]
CMD ["run", "--webhook"]
