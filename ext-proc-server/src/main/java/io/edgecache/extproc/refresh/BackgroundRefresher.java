package io.edgecache.extproc.refresh;

import io.edgecache.extproc.fields.HeaderList;
import java.net.URI;
import java.util.Collection;
import java.util.Map;

/**
 * Refreshes stale entries in the background (RFC 5861 stale-while-revalidate), and fetches
 * whole what a range request missed. A node with no refresh URL has {@link #NONE}.
 */
public interface BackgroundRefresher extends AutoCloseable {

  /** The request field that marks the cache's own refresh; stripped before the origin. */
  String MARKER = "x-edgecache-refresh";

  /**
   * No refreshes (no refresh URL configured): nothing is started, so stale-while-revalidate
   * is not served and no marker is ours.
   */
  BackgroundRefresher NONE = new BackgroundRefresher() {
    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public boolean isOurs(String markerValue) {
      return false;
    }

    @Override
    public boolean refresh(String key, HeaderList requestHeaders,
        Collection<String> selectingFields, Map<String, String> extraHeaders, Runnable onDone) {
      return false;
    }

    @Override
    public long startedTotal() {
      return 0;
    }

    @Override
    public boolean busy() {
      return false;
    }

    @Override
    public void close() {}
  };

  /** Refreshes sent through the edge listener at {@code edge}. */
  static BackgroundRefresher through(URI edge) {
    return new EdgeRefresher(edge);
  }

  /** Whether refreshes can be started at all. */
  boolean enabled();

  /** Whether a marker value is this server's token. */
  boolean isOurs(String markerValue);

  /**
   * Starts a GET of {@code key} for the target of {@code requestHeaders}, sending of that
   * request only the fields that select its variant ({@code selectingFields}: the fields the
   * stored response's Vary and the route's key name), plus {@code extraHeaders} (trace
   * context); {@code onDone} runs when it ends. False when none was started (one for the key
   * is already running).
   */
  boolean refresh(String key, HeaderList requestHeaders, Collection<String> selectingFields,
      Map<String, String> extraHeaders, Runnable onDone);

  /** Refreshes ever started. */
  long startedTotal();

  /** Whether any refresh is running. */
  boolean busy();

  @Override
  void close();
}
