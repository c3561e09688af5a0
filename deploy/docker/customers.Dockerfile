# syntax=docker/dockerfile:1
# The customers image: Customers and their references (API; the worker is the same image with `worker`).
# Build from the repo root:  docker build -f deploy/docker/customers.Dockerfile -t billing/customers:0.1.0 .
# Two stages so that pip, its caches and any wheel building stay in the builder: the final stage
# holds the interpreter and the virtualenv only, and runs as an unprivileged numeric user.

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY shared /src/shared
COPY services/customers /src/services/customers
RUN /opt/venv/bin/pip install /src/shared /src/services/customers

FROM python:3.11.14-slim-bookworm
LABEL org.opencontainers.image.title="billing-customers" \
      org.opencontainers.image.description="Customers and their references (API; the worker is the same image with `worker`)"
# uid 10001: not root, and numeric so that Kubernetes' runAsNonRoot can check it
RUN groupadd --system --gid 10001 billing \
 && useradd --system --uid 10001 --gid billing --home-dir /var/lib/billing --shell /usr/sbin/nologin billing \
 && mkdir -p /var/lib/billing \
 && chown billing:billing /var/lib/billing
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    VAR_DIR=/var/lib/billing CUSTOMERS_HOST=0.0.0.0 CUSTOMERS_PORT=8101 CUSTOMERS_WORKER_HEALTH_PORT=8111
WORKDIR /var/lib/billing
USER 10001:10001
EXPOSE 8101 8111
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os,sys,urllib.request; w='worker' in open('/proc/1/cmdline').read(); p=os.environ['CUSTOMERS_WORKER_HEALTH_PORT' if w else 'CUSTOMERS_PORT']; urllib.request.urlopen('http://127.0.0.1:'+p+'/healthz', timeout=2)"]
CMD ["python", "-m", "customers.cli", "serve"]
