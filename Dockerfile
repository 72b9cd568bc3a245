# The spprov relay (`spprov relay serve`) behind a TLS-terminating reverse proxy.
# It holds no age identity: it needs only SPPROV_RELAY_TOKEN and each app's
# SPPROV_APP_<APP>_CLIENT_SECRET, and a volume for its SQLite database.
#   docker build -t spprov-relay .
#   docker run -p 127.0.0.1:8080:8080 -v relay:/data \
#     -e SPPROV_RELAY_TOKEN -e SPPROV_APP_ACME_CLIENT_SECRET spprov-relay \
#     --public-url https://relay.example.com
FROM python:3.11-slim
WORKDIR /src
COPY . /src
RUN pip install --no-cache-dir '.[relay]' && rm -rf /src \
    && useradd --system --create-home relay && mkdir /data && chown relay /data
USER relay
WORKDIR /data
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
ENTRYPOINT ["spprov", "relay", "serve", "--host", "0.0.0.0", "--port", "8080", "--db", "/data/relay.sqlite3"]
