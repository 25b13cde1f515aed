# The images of edgecache, one per deployable, as targets of one build (context: repository root):
#   docker build --target ext-proc-server -t edgecache/ext-proc-server:0.1.0-SNAPSHOT .
#   docker build --target control-plane   -t edgecache/control-plane:0.1.0-SNAPSHOT .
#   docker build --target demo-origin     -t edgecache/demo-origin:0.1.0-SNAPSHOT .   (demo only)
# .dockerignore admits only the reactor's poms and the modules' sources: no target/, no working tree.
# Every image runs as the numeric non-root user 65532 (runAsNonRoot can verify it) and writes
# nothing outside mounted volumes (-XX:-UsePerfData: no /tmp/hsperfdata), so a read-only root
# filesystem works.

FROM maven:3.9-eclipse-temurin-17 AS sources
WORKDIR /src
# The reactor reads every module's pom, even when it builds only some of them.
COPY pom.xml ./
COPY proto/pom.xml proto/
COPY config-support/pom.xml config-support/
COPY http-common/pom.xml http-common/
COPY security/pom.xml security/
COPY admin-http/pom.xml admin-http/
COPY ext-proc-server/pom.xml ext-proc-server/
COPY control-plane/pom.xml control-plane/
COPY local-edge/pom.xml local-edge/
COPY tests/pom.xml tests/
COPY bench/pom.xml bench/
COPY proto/src proto/src
COPY config-support/src config-support/src
COPY http-common/src http-common/src
COPY security/src security/src
COPY admin-http/src admin-http/src
COPY ext-proc-server/src ext-proc-server/src
COPY control-plane/src control-plane/src
COPY local-edge/src local-edge/src

FROM sources AS ext-proc-server-build
RUN mvn -B -q -DskipTests -pl ext-proc-server -am package

FROM sources AS control-plane-build
RUN mvn -B -q -DskipTests -pl control-plane -am package

FROM sources AS demo-origin-build
RUN mvn -B -q -DskipTests -pl local-edge -am package

FROM eclipse-temurin:17-jre AS runtime
WORKDIR /app
USER 65532:65532

# The cache node. 50051 ext_proc gRPC (+ grpc.health.v1), 50052 large-body endpoint
# (tiers.bodyListen), 9902 admin (/healthz, /metrics, /stats). The disk tier's path
# (/var/cache/edgecache by default) must be a mounted volume.
FROM runtime AS ext-proc-server
COPY --from=ext-proc-server-build /src/ext-proc-server/target/classes /app/classes
COPY --from=ext-proc-server-build /src/ext-proc-server/target/lib /app/lib
EXPOSE 50051 50052 9902
ENTRYPOINT ["java", "-XX:-UsePerfData", "-XX:MaxRAMPercentage=75", "-cp", "/app/classes:/app/lib/*", "io.edgecache.extproc.Main"]
CMD ["--config", "/etc/edgecache/edgecache.yaml"]

# The xDS control plane. 18000 xDS (ADS) + purge stream + gRPC PurgeAdmin, 18001 purge admin
# REST API, 18002 Prometheus /metrics. The purge log must be on a mounted volume.
FROM runtime AS control-plane
COPY --from=control-plane-build /src/control-plane/target/classes /app/classes
COPY --from=control-plane-build /src/control-plane/target/lib /app/lib
EXPOSE 18000 18001 18002
ENTRYPOINT ["java", "-XX:-UsePerfData", "-XX:MaxRAMPercentage=75", "-cp", "/app/classes:/app/lib/*", "io.edgecache.controlplane.ControlPlaneMain"]
CMD ["--config", "/etc/edgecache/control-plane.yaml", "--listen", "0.0.0.0:18000", "--metrics", "0.0.0.0:18002"]

# The demo origin for envoy/docker-compose.yaml and k8s/overlays/sidecar (local-edge's
# DemoOriginMain); not a production image.
FROM runtime AS demo-origin
COPY --from=demo-origin-build /src/local-edge/target/classes /app/classes
COPY --from=demo-origin-build /src/local-edge/target/lib /app/lib
EXPOSE 8080
ENTRYPOINT ["java", "-XX:-UsePerfData", "-cp", "/app/classes:/app/lib/*", "io.edgecache.edge.demo.DemoOriginMain"]
CMD ["--listen", "0.0.0.0:8080"]
