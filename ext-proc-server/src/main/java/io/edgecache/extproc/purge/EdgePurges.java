package io.edgecache.extproc.purge;

import io.grpc.Channel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * HTTP {@code PURGE} requests at the edge, answered with the control plane's verdict. A node
 * that follows no control plane has {@link #NONE}: its PURGE requests are not taken, they go
 * on as any other request.
 */
public interface EdgePurges {

  /** What the edge answers the PURGE request with. */
  record Answer(int status, String json) {}

  /** Well inside Envoy's max_message_timeout; a purge is logged and sent in milliseconds. */
  Duration DEADLINE = Duration.ofSeconds(2);

  /** No control plane: PURGE requests are not taken. */
  EdgePurges NONE = new EdgePurges() {
    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public CompletableFuture<Answer> purge(String url, boolean soft, String authorization) {
      throw new IllegalStateException("no control plane takes PURGE requests on this node");
    }
  };

  /** PURGE requests submitted to the control plane's PurgeAdmin service on {@code channel}. */
  static EdgePurges through(Channel controlPlane) {
    return new ControlPlanePurges(controlPlane);
  }

  /** Whether PURGE requests are taken; {@link #purge} is called only when they are. */
  boolean enabled();

  /** Submits an exact-URL purge of {@code url}; never completes exceptionally. */
  CompletableFuture<Answer> purge(String url, boolean soft, String authorization);
}
