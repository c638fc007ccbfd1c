# returnbot — the bot as a container image (README "Deployment").
#   docker build -t returnbot .
#   docker run -e TELEGRAM_BOT_TOKEN=… -v returnbot-data:/data returnbot   # polling, SQLite
# Two stages: the builder compiles the catalogs and installs the package into a virtual
# environment; the final image gets only that environment, and runs as a non-root user.

FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv \
    && pip install "Babel>=2.14"

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY db ./db
COPY handlers ./handlers
COPY locales ./locales
# compiled catalogs first, so the package (and its wheel) ships the .mo files
RUN pybabel compile -D returnbot -d locales \
    && pip install .


FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/returnbot.db \
    LISTEN=0.0.0.0:8080

# DejaVu: the poster captions of `returnbot qr` / `/qr` need ə, ğ, ş and Cyrillic glyphs
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin returnbot \
    && mkdir /data \
    && chown returnbot:returnbot /data
COPY --from=builder /opt/venv /opt/venv

USER 10001:10001
WORKDIR /data
# the SQLite database (the default DATABASE_URL); unused with PostgreSQL
VOLUME ["/data"]
# the webhook server (only when WEBHOOK_URL is set; polling needs no port)
EXPOSE 8080

# webhook mode: GET /healthz on LISTEN; polling mode: SELECT 1 on the database
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["returnbot", "health"]

CMD ["returnbot", "run"]
