# latchkey: one image for both containers of a Connect-style deployment.
#   docker build -t latchkey:latest .
#   docker run ... latchkey:latest api     (the default: the REST API, like connect-api)
#   docker run ... latchkey:latest sync    (the sync worker, like connect-sync)
# Same layout as 1Password Connect's images: uid/gid 999, HOME=/home/opuser, the credentials file
# at /home/opuser/.op/1password-credentials.json and the data volume at /home/opuser/.op/data.

# ---- build ---------------------------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
ENV CARGO_PROFILE_RELEASE_STRIP=symbols

# Dependencies first, against placeholder sources, so that editing src/ reuses this layer.
# (If Cargo.toml ever names extra targets, e.g. [[bench]], give them placeholders here as well.)
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src \
    && echo 'fn main() {}' > src/main.rs \
    && : > src/lib.rs \
    && cargo build --release --locked --bin latchkey \
    && rm -rf src

# The real sources. migrations/ is embedded at compile time (sqlx::migrate!), so it comes first;
# touch makes cargo rebuild the crate even when the copied files are older than the placeholders.
COPY migrations ./migrations
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin latchkey \
    && install -D -m 0755 target/release/latchkey /out/usr/local/bin/latchkey

# The home and data directories, owned by uid/gid 999: the runtime image has no shell to make
# them, and a new named volume takes its owner from the directory it is mounted over.
RUN install -d -m 0755 /out/home/opuser /out/home/opuser/.op \
    && install -d -m 0700 /out/home/opuser/.op/data

# ---- runtime -------------------------------------------------------------------------------------
# glibc and libgcc only, no shell, no package manager. The process writes only to the data volume
# (SQLite keeps its temporary tables in memory), so a read-only root filesystem works.
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="latchkey" \
      org.opencontainers.image.description="A self-hosted server that speaks the 1Password Connect REST API" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY --from=build --chown=999:999 /out/home/ /home/
COPY --from=build /out/usr/local/bin/latchkey /usr/local/bin/latchkey

# Two glibc malloc arenas instead of up to 8 per core: memory freed in one arena is not reused by
# the others, and a long-running server's RSS crept with many (README, "Configuration"). The
# binary applies the same default itself; the image states it.
ENV HOME=/home/opuser \
    XDG_DATA_HOME=/home/opuser \
    OP_HTTP_PORT=8080 \
    MALLOC_ARENA_MAX=2
USER 999:999
WORKDIR /home/opuser
VOLUME /home/opuser/.op/data
EXPOSE 8080

# Probes http://127.0.0.1:$OP_HTTP_PORT/heartbeat, so it follows the port of api and sync alike.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/latchkey", "healthcheck"]

ENTRYPOINT ["/usr/local/bin/latchkey"]
CMD ["api"]
