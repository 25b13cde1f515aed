package io.edgecache.extproc.config;

import io.edgecache.http.EscapedSlashes;
import io.edgecache.security.TlsFiles;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The ext_proc server's configuration, validated.
 *
 * @param listen the gRPC listen address
 * @param l1MaxBytes the memory tier's byte budget
 * @param maxObjectBytes bodies larger than this pass through unrecorded
 * @param heuristicFraction share of the time since Last-Modified granted as heuristic freshness
 * @param heuristicMaxAge cap on heuristic freshness
 * @param staleRetention how long a stale entry with validators is kept for revalidation
 * @param targetedField the edgecache-specific targeted cache-control field (RFC 9213), lower
 *     case; it takes precedence over CDN-Cache-Control, which takes precedence over
 *     Cache-Control
 * @param stripTargetedFields whether targeted fields are removed before the client sees them
 * @param collapsing request collapsing settings
 * @param refreshUrl where background refreshes are sent: the edge listener (Envoy or
 *     local-edge), so routing, TLS and pooling stay in the proxy; null disables
 *     stale-while-revalidate's background refresh (stale entries are then revalidated inline)
 * @param adminListen the admin port (/metrics, /stats, /healthz, /readyz); null for none
 * @param drainTimeout how long shutdown waits for open streams to finish
 * @param routes per-route cache policies, first match wins
 * @param tiers the store tiers below memory
 * @param purge purge settings: surrogate-key fields, and the control plane to follow
 * @param escapedSlashes what an encoded slash or backslash in a request path does; must match
 *     the proxy's {@code path_with_escaped_slashes_action} (the control plane pushes it)
 * @param tls this node's certificate, key and CA, and the clients its ext_proc port admits:
 *     mTLS on the ext_proc port (Envoy must present a certificate from the CA, with an allowed
 *     identity where listed) and on the purge stream to the control plane; null for plaintext
 *     (loopback demo and tests)
 */
public record ServerConfig(
    InetSocketAddress listen,
    long l1MaxBytes,
    long maxObjectBytes,
    double heuristicFraction,
    Duration heuristicMaxAge,
    Duration staleRetention,
    String targetedField,
    boolean stripTargetedFields,
    Collapsing collapsing,
    URI refreshUrl,
    InetSocketAddress adminListen,
    Duration drainTimeout,
    List<RoutePolicy> routes,
    TiersConfig tiers,
    PurgeConfig purge,
    EscapedSlashes escapedSlashes,
    NodeTls tls) {

  public static final int DEFAULT_PORT = 50051;
  public static final int DEFAULT_ADMIN_PORT = 9902;

  /**
   * Request collapsing: concurrent misses on one key wait for one origin fetch.
   *
   * @param enabled whether misses are collapsed
   * @param maxWait how long a follower waits for the leader before going to the origin itself;
   *     must stay under the filter's max_message_timeout
   * @param passTtl how long a key whose response was not storable lets followers through
   *     without waiting (Varnish's hit-for-pass), so they are not serialised behind each other
   * @param cluster collapsing across the nodes that share the Redis tier
   */
  public record Collapsing(boolean enabled, Duration maxWait, Duration passTtl,
      ClusterCollapsing cluster) {

    /** Collapsing on this node only. */
    public Collapsing(boolean enabled, Duration maxWait, Duration passTtl) {
      this(enabled, maxWait, passTtl, ClusterCollapsing.OFF);
    }
  }

  /**
   * Collapsing across nodes: the node that takes a key's lease in Redis fetches it, the others
   * wait for its fill notification and read the entry from the shared tier.
   *
   * @param enabled whether nodes collapse misses with each other (needs the Redis tier)
   * @param leaseTtl how long a lease lasts unless renewed: a leader that crashed holds the key
   *     at most this long before another node fetches it (a live leader renews its lease every
   *     third of it while it fetches)
   */
  public record ClusterCollapsing(boolean enabled, Duration leaseTtl) {
    public static final ClusterCollapsing OFF =
        new ClusterCollapsing(false, Duration.ofSeconds(3));
  }

  public ServerConfig {
    routes = List.copyOf(routes);
    String unfit = tls == null ? null : tls.unfitFor(listen);
    if (unfit != null) {
      throw new IllegalArgumentException("tls.extProcPort: " + unfit);
    }
  }

  /** Safe defaults: loopback only, 256 MiB of L1, 8 MiB objects, collapsing on. */
  public static ServerConfig defaults() {
    return new ServerConfig(
        new InetSocketAddress("127.0.0.1", DEFAULT_PORT),
        256L << 20,
        8L << 20,
        0.1,
        Duration.ofDays(1),
        Duration.ofHours(1),
        "edgecache-control",
        false,
        new Collapsing(true, Duration.ofSeconds(4), Duration.ofSeconds(10)),
        null,
        new InetSocketAddress("127.0.0.1", DEFAULT_ADMIN_PORT),
        Duration.ofSeconds(5),
        List.of(),
        TiersConfig.defaults(),
        PurgeConfig.defaults(),
        EscapedSlashes.REJECT,
        null);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public ServerConfig withListen(InetSocketAddress address) {
    return toBuilder().listen(address).build();
  }

  public ServerConfig withAdminListen(InetSocketAddress address) {
    return toBuilder().adminListen(address).build();
  }

  public ServerConfig withRoutes(List<RoutePolicy> newRoutes) {
    return toBuilder().routes(newRoutes).build();
  }

  public ServerConfig withRefreshUrl(URI url) {
    return toBuilder().refreshUrl(url).build();
  }

  public ServerConfig withCollapsing(Collapsing newCollapsing) {
    return toBuilder().collapsing(newCollapsing).build();
  }

  public ServerConfig withTargetedFields(String field, boolean strip) {
    return toBuilder().targetedField(field).stripTargetedFields(strip).build();

  }

  public ServerConfig withTiers(TiersConfig newTiers) {
    return toBuilder().tiers(newTiers).build();
  }

  public ServerConfig withPurge(PurgeConfig newPurge) {
    return toBuilder().purge(newPurge).build();
  }

  /** mTLS with {@code files}, admitting every client certificate from their CA. */
  public ServerConfig withTls(TlsFiles files) {
    return withTls(NodeTls.of(files));
  }

  public ServerConfig withTls(NodeTls newTls) {
    return toBuilder().tls(newTls).build();
  }

  /** The policy of the first route covering the request, else {@link RoutePolicy#DEFAULT}. */
  public RoutePolicy routeFor(String authority, String path) {
    if (routes.isEmpty()) {
      return RoutePolicy.DEFAULT; // the common single-site node: no host to take apart
    }
    String host = RoutePolicy.hostOf(authority);
    for (RoutePolicy route : routes) {
      if (route.covers(host, path)) {
        return route;
      }
    }
    return RoutePolicy.DEFAULT;
  }

  /** The object size limit on {@code route}. */
  public long maxObjectBytes(RoutePolicy route) {
    return route.maxObjectBytes() > 0 ? route.maxObjectBytes() : maxObjectBytes;
  }

  /** A copy of a configuration with some fields changed. */
  public static final class Builder {
    private InetSocketAddress listen;
    private long l1MaxBytes;
    private long maxObjectBytes;
    private double heuristicFraction;
    private Duration heuristicMaxAge;
    private Duration staleRetention;
    private String targetedField;
    private boolean stripTargetedFields;
    private Collapsing collapsing;
    private URI refreshUrl;
    private InetSocketAddress adminListen;
    private Duration drainTimeout;
    private List<RoutePolicy> routes;
    private TiersConfig tiers;
    private PurgeConfig purge;
    private EscapedSlashes escapedSlashes;
    private NodeTls tls;

    private Builder(ServerConfig from) {
      listen = from.listen;
      l1MaxBytes = from.l1MaxBytes;
      maxObjectBytes = from.maxObjectBytes;
      heuristicFraction = from.heuristicFraction;
      heuristicMaxAge = from.heuristicMaxAge;
      staleRetention = from.staleRetention;
      targetedField = from.targetedField;
      stripTargetedFields = from.stripTargetedFields;
      collapsing = from.collapsing;
      refreshUrl = from.refreshUrl;
      adminListen = from.adminListen;
      drainTimeout = from.drainTimeout;
      routes = from.routes;
      tiers = from.tiers;
      purge = from.purge;
      escapedSlashes = from.escapedSlashes;
      tls = from.tls;
    }

    public Builder listen(InetSocketAddress value) {
      listen = value;
      return this;
    }

    public Builder targetedField(String value) {
      targetedField = value;
      return this;
    }

    public Builder stripTargetedFields(boolean value) {
      stripTargetedFields = value;
      return this;
    }

    public Builder collapsing(Collapsing value) {
      collapsing = value;
      return this;
    }

    public Builder refreshUrl(URI value) {
      refreshUrl = value;
      return this;
    }

    public Builder adminListen(InetSocketAddress value) {
      adminListen = value;
      return this;
    }

    public Builder routes(List<RoutePolicy> value) {
      routes = value;
      return this;
    }

    public Builder tiers(TiersConfig value) {
      tiers = value;
      return this;
    }

    public Builder purge(PurgeConfig value) {
      purge = value;
      return this;
    }

    public Builder escapedSlashes(EscapedSlashes value) {
      escapedSlashes = value;
      return this;
    }

    public Builder tls(NodeTls value) {
      tls = value;
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(listen, l1MaxBytes, maxObjectBytes, heuristicFraction,
          heuristicMaxAge, staleRetention, targetedField, stripTargetedFields, collapsing,
          refreshUrl, adminListen, drainTimeout, routes, tiers, purge, escapedSlashes,
          tls);
    }
  }
}
