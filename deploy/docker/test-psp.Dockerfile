# syntax=docker/dockerfile:1
# The test payment gateway's image (development and test clusters only: it approves test cards).
# Build from the repo root:  docker build -f deploy/docker/test-psp.Dockerfile -t billing/test-psp:0.1.0 .
# Two stages so that pip, its caches and any wheel building stay in the builder: the final stage
# holds the interpreter and the virtualenv only, and runs as an unprivileged numeric user.

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY shared /src/shared
COPY test-psp /src/test-psp
RUN /opt/venv/bin/pip install /src/shared /src/test-psp

FROM python:3.11.14-slim-bookworm
LABEL org.opencontainers.image.title="billing-test-psp" \
      org.opencontainers.image.description="The test payment gateway: an outside payment service provider simulated for development (never in production)"
# uid 10001: not root, and numeric so that Kubernetes' runAsNonRoot can check it
RUN groupadd --system --gid 10001 billing \
 && useradd --system --uid 10001 --gid billing --home-dir /var/lib/billing --shell /usr/sbin/nologin billing \
 && mkdir -p /var/lib/billing \
 && chown billing:billing /var/lib/billing
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    VAR_DIR=/var/lib/billing TEST_PSP_HOST=0.0.0.0 TEST_PSP_PORT=8190
WORKDIR /var/lib/billing
USER 10001:10001
EXPOSE 8190
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8190/healthz', timeout=2)"]
CMD ["python", "-m", "test_psp"]
