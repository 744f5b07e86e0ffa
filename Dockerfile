# amlguard in a container, for cron, Kubernetes CronJobs and Azure DevOps container jobs.
#
#   docker build -t amlguard .
#   docker run --rm -v "$PWD:/work" amlguard check --snapshot estate.json --output html:report.html
#
# The package is built from this checkout (never fetched from a package index by name). The base
# image is pinned by tag and by digest (the multi-platform index of python:3.12.8-slim-bookworm;
# a retagged image fails the build instead of running): update both together, e.g. with
# `docker buildx imagetools inspect python:3.12.8-slim-bookworm`. Credentials come from the
# environment (DefaultAzureCredential: AZURE_CLIENT_ID, AZURE_TENANT_ID and
# AZURE_FEDERATED_TOKEN_FILE, a managed identity, or AMLGUARD_ACCESS_TOKEN).
FROM python:3.12.8-slim-bookworm@sha256:2199a62885a12290dc9c5be3ca0681d367576ab7bf037da120e564723292a2f0 AS build
WORKDIR /src
COPY pyproject.toml setup.cfg README.md ./
COPY amlguard ./amlguard
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12.8-slim-bookworm@sha256:2199a62885a12290dc9c5be3ca0681d367576ab7bf037da120e564723292a2f0
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --create-home --uid 10001 amlguard
USER 10001
WORKDIR /work
ENTRYPOINT ["amlguard"]
CMD ["--help"]
