# amlguard in a container, for cron, Kubernetes CronJobs and Azure DevOps container jobs.
#
#   docker build -t amlguard .
#   docker run --rm -v "$PWD:/work" amlguard check --snapshot estate.json --output html:report.html
#
# The package is built from this checkout (never fetched from a package index by name). The base
# image is pinned to an exact Python release; pin its digest too in your registry
# (`FROM python:3.12.8-slim-bookworm@sha256:...`) when you mirror it. Credentials come from the
# environment (DefaultAzureCredential: AZURE_CLIENT_ID, AZURE_TENANT_ID and
# AZURE_FEDERATED_TOKEN_FILE, a managed identity, or AMLGUARD_ACCESS_TOKEN).
FROM python:3.12.8-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml setup.cfg README.md ./
COPY amlguard ./amlguard
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12.8-slim-bookworm
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --create-home --uid 10001 amlguard
USER 10001
WORKDIR /work
ENTRYPOINT ["amlguard"]
CMD ["--help"]
