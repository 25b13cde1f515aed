package io.edgecache.extproc.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The ext_proc server's configuration, validated.
 *
 * @param listen the gRPC listen address
 * @param l1MaxBytes the memory tier's byte budget
 * @param maxObjectBytes bodies larger than this pass through unrecorded
 * @param heuristicFraction share of the time since Last-Modified granted as heuristic
 *     freshness
 * @param heuristicMaxAge cap on heuristic freshness
 * @param drainTimeout how long shutdown waits for open streams to finish
 * @param routes per-route cache policies, first match wins
 * @param tiers the store tiers below memory
 */
public record ServerConfig(
    InetSocketAddress listen,
    long l1MaxBytes,
    long maxObjectBytes,
    double heuristicFraction,
    Duration heuristicMaxAge,
    Duration drainTimeout,
    List<RoutePolicy> routes,
    TiersConfig tiers) {

  public static final int DEFAULT_PORT = 50051;

  /** Safe defaults: loopback only, 256 MiB of L1, 8 MiB objects, no Set-Cookie sharing. */
  public static ServerConfig defaults() {
    return new ServerConfig(
        new InetSocketAddress("127.0.0.1", DEFAULT_PORT),
        256L << 20,
        8L << 20,
        0.1,
        Duration.ofDays(1),
        Duration.ofSeconds(5),
        List.of(),
        TiersConfig.defaults());
  }

  public ServerConfig withListen(InetSocketAddress address) {
    return new ServerConfig(
        address, l1MaxBytes, maxObjectBytes, heuristicFraction, heuristicMaxAge, drainTimeout,
        routes, tiers);
  }

  public ServerConfig withRoutes(List<RoutePolicy> newRoutes) {
    return new ServerConfig(
        listen, l1MaxBytes, maxObjectBytes, heuristicFraction, heuristicMaxAge, drainTimeout,
        List.copyOf(newRoutes), tiers);
  }

  public ServerConfig withMaxObjectBytes(long bytes) {
    return new ServerConfig(
        listen, l1MaxBytes, bytes, heuristicFraction, heuristicMaxAge, drainTimeout, routes,
        tiers);
  }

  public ServerConfig withTiers(TiersConfig newTiers) {
    return new ServerConfig(
        listen, l1MaxBytes, maxObjectBytes, heuristicFraction, heuristicMaxAge, drainTimeout,
        routes, newTiers);
  }

  /** The policy of the first route covering the request, else {@link RoutePolicy#DEFAULT}. */
  public RoutePolicy routeFor(String authority, String path) {
    String host = RoutePolicy.hostOf(authority);
    for (RoutePolicy route : routes) {
      if (route.covers(host, path)) {
        return route;
      }
    }
    return RoutePolicy.DEFAULT;
  }
}
