package io.edgecache.http;

/**
 * The names of the route a large cache hit is rerouted on: the cache node answers such a hit by
 * setting {@link #HEADER} (a signed token) and clearing the route cache, and the route named
 * {@link #ROUTE}, first in every virtual host, sends requests carrying that header to the node's
 * body endpoint, {@link #CLUSTER}. The control plane builds that route, the node sets the header
 * and local-edge routes on it; {@code envoy/envoy.yaml} spells the same names.
 */
public final class LargeBodyRoute {
  /** The request header the cache node sets; its value is the body token. */
  public static final String HEADER = "x-edgecache-body";
  /** The route matching {@link #HEADER}. */
  public static final String ROUTE = "edgecache-body";
  /** The cluster of the cache nodes' body endpoints. */
  public static final String CLUSTER = "edgecache_body";

  private LargeBodyRoute() {}
}
