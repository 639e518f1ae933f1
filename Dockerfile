# The outreach portal. Build: docker build -t outreach .   Run: see compose.yaml and the README.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OUTREACH_VAR_DIR=/var/lib/outreach
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk libharfbuzz-subset0 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app outreach && mkdir -p /var/lib/outreach && chown outreach /var/lib/outreach

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps -e .

USER outreach
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["outreach", "serve", "--host", "0.0.0.0", "--port", "8000"]
