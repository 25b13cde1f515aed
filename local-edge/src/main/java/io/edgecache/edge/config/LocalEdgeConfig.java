package io.edgecache.edge.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.Durations;
import io.edgecache.config.HeaderNames;
import io.edgecache.config.HostPort;
import io.edgecache.config.YamlNode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.edgecache.security.PlaintextWarning;
import io.edgecache.security.TlsFiles;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
  private static final Set<String> FIELDS = Set.of("listen", "envoyBootstrap", "extProcTarget",
      "bufferLimitBytes", "routes", "xds", "timeouts", "tls", "admin");
  private static final Set<String> TIMEOUTS =
      Set.of("requestHeaders", "streamIdle", "connectionIdle", "originIdle");
  private static final Set<String> TLS = Set.of("certFile", "keyFile", "caFile", "refresh");
  private static final Set<String> XDS = Set.of("address", "node", "listener");
  private static final Set<String> NODE = Set.of("id", "cluster");
  private static final Set<String> ROUTE =
      Set.of("host", "pathPrefix", "origin", "timeout", "headerPresent", "extProcDisabled");

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

  /**
   * Reads a local-edge YAML file; relative paths in it are resolved against its directory.
   * Messages read {@code path/local-edge.yaml:line: field.path: problem}, as in the other
   * processes.
   */
  public static LocalEdgeConfig load(Path file) throws ConfigException {
    String name = file.getFileName().toString();
    YamlNode root = YamlNode.read(file);
    if (root == null) {
      throw new ConfigException(name + ": empty file");
    }
    return read(root.mapping(FIELDS), file.toAbsolutePath().getParent()).build(name);
  }

  private static Builder read(YamlNode.Fields f, Path base) throws ConfigException {
    Builder b = builder();
    HostPort listen = f.required("listen").hostPort();
    b.listen(listen.host(), listen.port());
    YamlNode xds = f.optional("xds");
    if (xds != null) {
      b.xds(xdsSource(xds.mapping(XDS)));
    }
    if (f.optional("envoyBootstrap") != null || xds == null) {
      Path bootstrap = base.resolve(text(f, "envoyBootstrap")).normalize();
      b.externalProcessor(EnvoyBootstrapLoader.loadExternalProcessor(bootstrap));
    }
    HostPort target = f.required("extProcTarget").hostPort();
    b.extProcTarget(target.host(), target.port());
    YamlNode bufferLimit = f.optional("bufferLimitBytes");
    if (bufferLimit != null) {
      long bytes = bufferLimit.bytes();
      if (bytes > Integer.MAX_VALUE) {
        throw bufferLimit.error("must be at most " + Integer.MAX_VALUE + " bytes");
      }
      b.bufferLimitBytes((int) bytes);
    }
    YamlNode timeouts = f.optional("timeouts");
    if (timeouts != null) {
      b.timeouts(timeouts(timeouts.mapping(TIMEOUTS)));
    }
    YamlNode admin = f.optional("admin");
    if (admin != null) {
      HostPort where = admin.hostPort();
      if (!PlaintextWarning.isLoopback(where.host())) {
        // Like Envoy's admin, it has no authentication: only this machine may read it.
        throw admin.error("/stats has no authentication, so it must listen on a loopback address"
            + " (127.0.0.1, [::1] or localhost), got '" + where.host() + "'");
      }
      b.admin(where.host(), where.port());
    }
    YamlNode tls = f.optional("tls");
    if (tls != null) {
      b.tls(tlsFiles(tls.mapping(TLS), base));
    }
    for (YamlNode route : f.list("routes")) {
      b.route(route(route.mapping(ROUTE)));
    }
    return b;
  }

  /** A required, non-blank field. */
  private static String text(YamlNode.Fields f, String name) throws ConfigException {
    String value = f.required(name).string();
    if (value.isBlank()) {
      throw f.error(name, "required");
    }
    return value;
  }

  /** A duration in the shared grammar ({@code 15s}, {@code 0.5s}, {@code 500ms}, {@code 2m}). */
  private static Duration duration(YamlNode.Fields f, String name, Duration fallback)
      throws ConfigException {
    YamlNode node = f.optional(name);
    if (node == null) {
      return fallback;
    }
    try {
      return Durations.parse(node.string());
    } catch (IllegalArgumentException e) {
      throw node.error("must be a duration like 15s, 0.5s or 500ms, got '" + node.string() + "'");
    }
  }

  /** {@code timeouts:} each field optional, Envoy's default when absent. */
  private static HttpTimeouts timeouts(YamlNode.Fields f) throws ConfigException {
    HttpTimeouts d = HttpTimeouts.DEFAULTS;
    return new HttpTimeouts(
        duration(f, "requestHeaders", d.requestHeaders()),
        duration(f, "streamIdle", d.streamIdle()),
        duration(f, "connectionIdle", d.connectionIdle()),
        duration(f, "originIdle", d.originIdle()));
  }

  private static TlsFiles tlsFiles(YamlNode.Fields f, Path base) throws ConfigException {
    try {
      return new TlsFiles(base.resolve(text(f, "certFile")), base.resolve(text(f, "keyFile")),
          base.resolve(text(f, "caFile")), duration(f, "refresh", TlsFiles.DEFAULT_REFRESH));
    } catch (IllegalArgumentException e) {
      // TlsFiles names the field first: "refresh: must be at least 1m ..."
      String[] fieldAndProblem = e.getMessage().split(": ", 2);
      throw f.error(fieldAndProblem[0], fieldAndProblem[1]);
    }
  }

  private static XdsSource xdsSource(YamlNode.Fields f) throws ConfigException {
    HostPort address = f.required("address").hostPort();
    YamlNode node = f.optional("node");
    if (node == null) {
      throw f.error("node", "required (id and cluster)");
    }
    YamlNode.Fields n = node.mapping(NODE);
    YamlNode listener = f.optional("listener");
    return new XdsSource(address.host(), address.port(), text(n, "id"), text(n, "cluster"),
        Optional.ofNullable(listener == null ? null : listener.string()));
  }

  private static RouteConfig route(YamlNode.Fields f) throws ConfigException {
    String host = text(f, "host");
    String prefix = text(f, "pathPrefix");
    if (!prefix.startsWith("/")) {
      throw f.error("pathPrefix", "must start with /");
    }
    YamlNode originNode = f.optional("origin");
    URI origin;
    try {
      origin = new URI(originNode == null ? "" : originNode.string());
    } catch (URISyntaxException e) {
      origin = null;
    }
    if (origin == null || !"http".equals(origin.getScheme()) || origin.getHost() == null) {
      throw f.error("origin", "must be an http:// URL");
    }
    YamlNode headerPresent = f.optional("headerPresent");
    if (headerPresent != null && !HeaderNames.isToken(headerPresent.string())) {
      throw headerPresent.error("'" + headerPresent.string() + "' is not a header field name");
    }
    YamlNode extProcDisabled = f.optional("extProcDisabled");
    return new RouteConfig(host, prefix, origin,
        duration(f, "timeout", RouteConfig.DEFAULT_TIMEOUT),
        headerPresent == null ? null : headerPresent.string(),
        extProcDisabled != null && extProcDisabled.bool());
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
}
