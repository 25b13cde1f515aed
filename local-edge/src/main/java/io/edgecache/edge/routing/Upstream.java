package io.edgecache.edge.routing;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A cluster's endpoints as local-edge uses them: picked round robin, resolved by the connection pool. */
public final class Upstream {
  /** One origin endpoint. */
  public record Endpoint(String host, int port) {}

  private final List<Endpoint> endpoints;
  private final AtomicInteger next = new AtomicInteger();

  public Upstream(String cluster, List<Endpoint> endpoints) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("cluster " + cluster + " has no endpoints");
    }
    this.endpoints = List.copyOf(endpoints);
  }

  /** The endpoint for the next request. */
  public Endpoint pick() {
    return endpoints.get(Math.floorMod(next.getAndIncrement(), endpoints.size()));
  }
}
