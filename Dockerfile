# Lifeline: one image for every role (api, web, worker, bot); the command picks the role.
#   docker build -t lifeline .
#   docker run --rm -e LIFELINE_CONFIG=/etc/lifeline/lifeline.toml \
#     -v ./lifeline.toml:/etc/lifeline/lifeline.toml:ro lifeline api --host 0.0.0.0

# --- build: the wheel, with the gettext catalogues compiled into it (hatch_build.py) -------
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN pip install --no-cache-dir "build==1.2.2.post1"
COPY pyproject.toml hatch_build.py README.md babel.cfg ./
COPY src ./src
COPY locales ./locales
RUN python -m build --wheel --outdir /wheels . \
 && pip wheel --no-cache-dir --wheel-dir /wheels /wheels/lifeline-*.whl

# --- run: the wheels installed, no compiler, no pip cache, not root ------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LIFELINE_CONFIG=/etc/lifeline/lifeline.toml \
    LIFELINE_LOG_FORMAT=json
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/lifeline-*.whl \
 && rm -rf /wheels \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin lifeline \
 && mkdir -p /var/lib/lifeline/status \
 && chown lifeline /var/lib/lifeline/status
USER 10001
WORKDIR /var/lib/lifeline
EXPOSE 8000 8080
# The HTTP roles answer /healthz; compose and Kubernetes give workers and the bot their own
# check (or none), so this one fits `api` (8000) and `web` when LIFELINE_HEALTH_PORT=8080.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('LIFELINE_HEALTH_PORT', '8000') + '/healthz', timeout=4)"]
ENTRYPOINT ["lifeline"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]
