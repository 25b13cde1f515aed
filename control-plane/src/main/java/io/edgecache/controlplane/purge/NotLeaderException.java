package io.edgecache.controlplane.purge;

import java.io.IOException;

/** A purge offered to a replica that does not coordinate purges; the message names the leader. */
public final class NotLeaderException extends IOException {
  NotLeaderException(String message) {
    super(message);
  }
}
