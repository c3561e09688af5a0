# syntax=docker/dockerfile:1
# The payments image: PaymentIntents, webhooks, refunds (API; the worker with `worker`).
# Build from the repo root:  docker build -f deploy/docker/payments.Dockerfile -t billing/payments:0.1.0 .
# Two stages so that pip, its caches and any wheel building stay in the builder: the final stage
# holds the interpreter and the virtualenv only, and runs as an unprivileged numeric user.

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY shared /src/shared
COPY services/payments /src/services/payments
RUN /opt/venv/bin/pip install /src/shared /src/services/payments

FROM python:3.11.14-slim-bookworm
LABEL org.opencontainers.image.title="billing-payments" \
      org.opencontainers.image.description="PaymentIntents, webhooks, refunds (API; the worker with `worker`)"
# uid 10001: not root, and numeric so that Kubernetes' runAsNonRoot can check it
RUN groupadd --system --gid 10001 billing \
 && useradd --system --uid 10001 --gid billing --home-dir /var/lib/billing --shell /usr/sbin/nologin billing \
 && mkdir -p /var/lib/billing \
 && chown billing:billing /var/lib/billing
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    VAR_DIR=/var/lib/billing PAYMENTS_HOST=0.0.0.0 PAYMENTS_PORT=8103 PAYMENTS_WORKER_HEALTH_PORT=8113
WORKDIR /var/lib/billing
USER 10001:10001
EXPOSE 8103 8113
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os,sys,urllib.request; w='worker' in open('/proc/1/cmdline').read(); p=os.environ['PAYMENTS_WORKER_HEALTH_PORT' if w else 'PAYMENTS_PORT']; urllib.request.urlopen('http://127.0.0.1:'+p+'/healthz', timeout=2)"]
CMD ["python", "-m", "payments.cli", "serve"]
