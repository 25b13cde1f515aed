package io.edgecache.extproc.refresh;

import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.fields.HopByHop;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The fields of the client request a background fetch sends on: a whitelist, so nothing
 * specific to the request that triggered it (credentials, cookies, ranges, preconditions)
 * travels with the cache's own request. Only fields that select the representation go: the
 * content-negotiation fields, and those the stored response's Vary or the route's key name,
 * so what comes back is stored as the variant the trigger was looking for.
 */
final class RefreshHeaders {

  /** Negotiation fields sent whenever the client sent them (RFC 9110 §12.5). */
  private static final Set<String> NEGOTIATION =
      Set.of("accept", "accept-encoding", "accept-language");

  /** Never sent, even when a Vary or the key names them. */
  private static final Set<String> REQUEST_SPECIFIC = Set.of(
      "authorization", "proxy-authorization", "cookie", "range", "if-none-match",
      "if-modified-since", "if-match", "if-unmodified-since", "if-range", "host",
      "content-length", "content-type", "transfer-encoding", "expect",
      BackgroundRefresher.MARKER);

  private RefreshHeaders() {}

  /**
   * The fields of {@code request} to send: negotiation fields and {@code selectingFields}
   * (lower case), without pseudo-headers, hop-by-hop or request-specific fields.
   */
  static List<HeaderList.Field> select(HeaderList request, Collection<String> selectingFields) {
    Set<String> hopByHop = HopByHop.fieldsToDrop(request);
    List<HeaderList.Field> sent = new ArrayList<>();
    for (HeaderList.Field field : request.fields()) {
      String name = field.name();
      if ((NEGOTIATION.contains(name) || selectingFields.contains(name))
          && !REQUEST_SPECIFIC.contains(name) && !hopByHop.contains(name)) {
        sent.add(field);
      }
    }
    return sent;
  }
}
