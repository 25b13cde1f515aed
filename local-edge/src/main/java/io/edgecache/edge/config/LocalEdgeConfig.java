package io.edgecache.edge.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.edgecache.security.TlsFiles;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a local-edge instance needs: where to listen, the ext_proc filter (taken from an
 * Envoy bootstrap so there is one source of truth), where the processor runs on this machine,
 * Envoy's buffer limit, and the routes: static ones, or an xDS control plane that pushes them
 * (with the ext_proc filter of its listener, which then replaces the bootstrap's).
 *
 * <p>Load a YAML file with {@link #load(Path)} or assemble one in code with {@link #builder()}.
 * Both validate, and errors name the offending field.
 */
public final class LocalEdgeConfig {
  private final String listenHost;
  private final int listenPort;
  private final ExternalProcessor externalProcessor;
  private final String extProcHost;
  private final int extProcPort;
  private final int bufferLimitBytes;
  private final boolean warmUpProcessor;
  private final List<RouteConfig> routes;
  private final Optional<XdsSource> xds;
  private final HttpTimeouts timeouts;
  private final Optional<TlsFiles> tls;
  private final Optional<InetSocketAddress> admin;

  private LocalEdgeConfig(Builder b) {
    this.admin = Optional.ofNullable(b.admin);
    this.tls = Optional.ofNullable(b.tls);
    this.listenHost = b.listenHost;
    this.listenPort = b.listenPort;
    this.externalProcessor = b.externalProcessor;
    this.extProcHost = b.extProcHost;
    this.extProcPort = b.extProcPort;
    this.bufferLimitBytes = b.bufferLimitBytes;
    this.warmUpProcessor = b.warmUpProcessor;
    this.routes = List.copyOf(b.routes);
    this.xds = Optional.ofNullable(b.xds);
    this.timeouts = b.timeouts;
  }

  public String listenHost() { return listenHost; }
  /** The port to listen on; 0 picks an ephemeral port (see {@code LocalEdge.port()}). */
  public int listenPort() { return listenPort; }
  /** The bootstrap's ext_proc filter; null when only the control plane's listener provides one. */
  public ExternalProcessor externalProcessor() { return externalProcessor; }
  public String extProcHost() { return extProcHost; }
  public int extProcPort() { return extProcPort; }
  /** Envoy's per-connection buffer limit: the most a BUFFERED body or unanswered bytes may hold. */
  public int bufferLimitBytes() { return bufferLimitBytes; }

  /** Whether start-up opens a few ext_proc streams so the first request is not cold. */
  public boolean warmUpProcessor() { return warmUpProcessor; }
  /** The static routes; with {@link #xds()} they serve until the first pushed route table. */
  public List<RouteConfig> routes() { return routes; }
  /** The control plane routes come from, if any. */
  public Optional<XdsSource> xds() { return xds; }
  /** Envoy's connection and stream timeouts (request headers, stream idle, connection idle). */
  public HttpTimeouts timeouts() { return timeouts; }
  /**
   * This edge's client certificate, key and the CA the ext_proc server's and control plane's
   * certificates must chain to, as Envoy's UpstreamTlsContext on those clusters; empty for
   * plaintext.
   */
  public Optional<TlsFiles> tls() { return tls; }
  /** Where {@code /stats} (the ext_proc filter's counters, as Envoy's admin shows them) is served. */
  public Optional<InetSocketAddress> admin() { return admin; }

  public static Builder builder() {
    return new Builder();
  }

  /** Reads a local-edge YAML file; relative paths in it are resolved against its directory. */
  public static LocalEdgeConfig load(Path file) throws ConfigException {
    String name = file.getFileName().toString();
    FileModel model;
    try {
      model = new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .readValue(file.toFile(), FileModel.class);
    } catch (JsonMappingException e) {
      throw new ConfigException(name + ": " + fieldPath(e) + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (model == null) {
      throw new ConfigException(name + ": empty file");
    }
    Builder b = builder();
    HostPort listen = HostPort.parse(require(model.listen, name, "listen"), name + ": listen");
    b.listen(listen.host, listen.port);
    if (model.xds != null) {
      b.xds(model.xds.toSource(name + ": xds"));
    }
    if (model.envoyBootstrap != null || model.xds == null) {
      Path bootstrap = file.toAbsolutePath().getParent()
          .resolve(require(model.envoyBootstrap, name, "envoyBootstrap")).normalize();
      b.externalProcessor(EnvoyBootstrapLoader.loadExternalProcessor(bootstrap));
    }
    HostPort target = HostPort.parse(require(model.extProcTarget, name, "extProcTarget"), name + ": extProcTarget");
    b.extProcTarget(target.host, target.port);
    if (model.bufferLimitBytes != null) {
      b.bufferLimitBytes(model.bufferLimitBytes);
    }
    if (model.timeouts != null) {
      b.timeouts(model.timeouts.toTimeouts(name + ": timeouts"));
    }
    if (model.admin != null) {
      HostPort admin = HostPort.parse(model.admin, name + ": admin");
      b.admin(admin.host, admin.port);
    }
    if (model.tls != null) {
      b.tls(model.tls.toFiles(file.toAbsolutePath().getParent(), name + ": tls"));
    }
    List<RouteModel> routes = model.routes == null ? List.of() : model.routes;
    for (int i = 0; i < routes.size(); i++) {
      b.route(routes.get(i).toRoute(name + ": routes[" + i + "]"));
    }
    return b.build(name);
  }

  private static String fieldPath(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.length() == 0 ? "(document)" : path.toString();
  }

  private static String require(String value, String file, String field) throws ConfigException {
    if (value == null || value.isBlank()) {
      throw new ConfigException(file + ": " + field + ": required");
    }
    return value;
  }

  /** Parses Envoy-style durations: "15s", "0.2s", "500ms". */
  static Duration parseDuration(String text, String where) throws ConfigException {
    try {
      if (text.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2).trim()));
      }
      if (text.endsWith("s")) {
        BigDecimal seconds = new BigDecimal(text.substring(0, text.length() - 1).trim());
        return Duration.ofNanos(seconds.movePointRight(9).longValueExact());
      }
    } catch (NumberFormatException | ArithmeticException e) {
      // fall through to the error below
    }
    throw new ConfigException(where + ": must be a duration like 15s, 0.5s or 500ms, got '" + text + "'");
  }

  /** Builds a configuration in code; used by tests to start an edge in-process. */
  public static final class Builder {
    private String listenHost = "127.0.0.1";
    private int listenPort;
    private ExternalProcessor externalProcessor;
    private String extProcHost;
    private int extProcPort;
    private int bufferLimitBytes = 1024 * 1024;
    private boolean warmUpProcessor = true;
    private final List<RouteConfig> routes = new ArrayList<>();
    private XdsSource xds;
    private HttpTimeouts timeouts = HttpTimeouts.DEFAULTS;
    private TlsFiles tls;
    private InetSocketAddress admin;

    private Builder() {}

    /** Listen address; port 0 picks an ephemeral port. Default 127.0.0.1:0. */
    public Builder listen(String host, int port) {
      this.listenHost = host;
      this.listenPort = port;
      return this;
    }

    /** The ext_proc filter configuration, e.g. taken from envoy.yaml and tweaked. */
    public Builder externalProcessor(ExternalProcessor config) {
      this.externalProcessor = config;
      return this;
    }

    /** Where the filter's grpc_service cluster points on this machine. */
    public Builder extProcTarget(String host, int port) {
      this.extProcHost = host;
      this.extProcPort = port;
      return this;
    }

    /** Off for tests whose scripted processor counts every stream it sees. */
    public Builder warmUpProcessor(boolean on) {
      this.warmUpProcessor = on;
      return this;
    }

    public Builder bufferLimitBytes(int bytes) {
      this.bufferLimitBytes = bytes;
      return this;
    }

    public Builder route(RouteConfig route) {
      this.routes.add(route);
      return this;
    }

    /** Take listener, routes and clusters from this control plane. */
    public Builder xds(XdsSource source) {
      this.xds = source;
      return this;
    }

    public Builder timeouts(HttpTimeouts timeouts) {
      this.timeouts = timeouts;
      return this;
    }

    /** mTLS to the ext_proc server and the control plane, with this certificate. */
    public Builder tls(TlsFiles files) {
      this.tls = files;
      return this;
    }

    /** Serve {@code /stats} here; port 0 picks an ephemeral port. Off by default. */
    public Builder admin(String host, int port) {
      this.admin = InetSocketAddress.createUnresolved(host, port);
      return this;
    }

    public LocalEdgeConfig build() throws ConfigException {
      return build("local-edge config");
    }

    private LocalEdgeConfig build(String source) throws ConfigException {
      if (listenHost == null || listenPort < 0 || listenPort > 65535) {
        throw new ConfigException(source + ": listen: must be host:port");
      }
      if (externalProcessor == null && (xds == null || !routes.isEmpty())) {
        throw new ConfigException(source + ": envoyBootstrap: an ext_proc filter configuration is required"
            + (xds == null ? "" : " for the static routes"));
      }
      if (externalProcessor != null) {
        ExtProcConfigValidator.validate(externalProcessor, source);
      }
      if (extProcHost == null || extProcPort <= 0 || extProcPort > 65535) {
        throw new ConfigException(source + ": extProcTarget: must be host:port");
      }
      if (bufferLimitBytes <= 0) {
        throw new ConfigException(source + ": bufferLimitBytes: must be positive");
      }
      if (routes.isEmpty() && xds == null) {
        throw new ConfigException(source + ": routes: at least one route is required (or xds)");
      }
      return new LocalEdgeConfig(this);
    }
  }

  private record HostPort(String host, int port) {
    static HostPort parse(String text, String where) throws ConfigException {
      int colon = text.lastIndexOf(':');
      try {
        if (colon > 0) {
          int port = Integer.parseInt(text.substring(colon + 1));
          if (port >= 0 && port <= 65535) {
            return new HostPort(text.substring(0, colon), port);
          }
        }
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
      throw new ConfigException(where + ": must be host:port, got '" + text + "'");
    }
  }

  /** The YAML file's shape; Jackson fills it, then {@link #load} validates it. */
  private static final class FileModel {
    public String listen;
    public String envoyBootstrap;
    public String extProcTarget;
    public Integer bufferLimitBytes;
    public List<RouteModel> routes;
    public XdsModel xds;
    public TimeoutsModel timeouts;
    public TlsModel tls;
    public String admin;
  }

  /** {@code timeouts:} each field optional, Envoy's default when absent. */
  private static final class TimeoutsModel {
    public String requestHeaders;
    public String streamIdle;
    public String connectionIdle;
    public String originIdle;

    HttpTimeouts toTimeouts(String where) throws ConfigException {
      HttpTimeouts d = HttpTimeouts.DEFAULTS;
      return new HttpTimeouts(
          requestHeaders == null ? d.requestHeaders() : parseDuration(requestHeaders, where + ".requestHeaders"),
          streamIdle == null ? d.streamIdle() : parseDuration(streamIdle, where + ".streamIdle"),
          connectionIdle == null ? d.connectionIdle() : parseDuration(connectionIdle, where + ".connectionIdle"),
          originIdle == null ? d.originIdle() : parseDuration(originIdle, where + ".originIdle"));
    }
  }

  private static final class TlsModel {
    public String certFile;
    public String keyFile;
    public String caFile;
    public String refresh;

    TlsFiles toFiles(Path base, String where) throws ConfigException {
      try {
        return new TlsFiles(base.resolve(require(certFile, where, "certFile")),
            base.resolve(require(keyFile, where, "keyFile")), base.resolve(require(caFile, where, "caFile")),
            refresh == null ? TlsFiles.DEFAULT_REFRESH : parseDuration(refresh, where + ".refresh"));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(where + "." + e.getMessage(), e);
      }
    }
  }

  private static final class XdsModel {
    public String address;
    public NodeModel node;
    public String listener;

    XdsSource toSource(String where) throws ConfigException {
      HostPort target = HostPort.parse(require(address, where, "address"), where + ".address");
      if (node == null) {
        throw new ConfigException(where + ".node: required (id and cluster)");
      }
      return new XdsSource(target.host, target.port, require(node.id, where + ".node", "id"),
          require(node.cluster, where + ".node", "cluster"), Optional.ofNullable(listener));
    }
  }

  private static final class NodeModel {
    public String id;
    public String cluster;
  }

  private static final class RouteModel {
    public String host;
    public String pathPrefix;
    public String origin;
    public String timeout;
    public String headerPresent;
    public Boolean extProcDisabled;

    RouteConfig toRoute(String where) throws ConfigException {
      String h = require(host, where, "host");
      String prefix = require(pathPrefix, where, "pathPrefix");
      if (!prefix.startsWith("/")) {
        throw new ConfigException(where + ".pathPrefix: must start with /");
      }
      URI uri;
      try {
        uri = new URI(Objects.requireNonNullElse(origin, ""));
      } catch (URISyntaxException e) {
        uri = null;
      }
      if (uri == null || !"http".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new ConfigException(where + ".origin: must be an http:// URL");
      }
      Duration t = timeout == null ? RouteConfig.DEFAULT_TIMEOUT : parseDuration(timeout, where + ".timeout");
      if (headerPresent != null && !headerPresent.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
        throw new ConfigException(where + ".headerPresent: '" + headerPresent
            + "' is not a header field name");
      }
      return new RouteConfig(h, prefix, uri, t, headerPresent, Boolean.TRUE.equals(extProcDisabled));
    }
  }
}
