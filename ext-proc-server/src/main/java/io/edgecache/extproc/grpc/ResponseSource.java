package io.edgecache.extproc.grpc;

import io.edgecache.proto.extproc.ResponseCodeDetails;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;

/**
 * Whether a response is the origin's or a reply Envoy made itself, from the response code
 * details Envoy attaches when asked to ({@link ResponseCodeDetails}).
 *
 * <p>Since Envoy 1.37 (envoyproxy/envoy#41769) such replies pass through the processor too. A
 * shared cache stores none of them, as Varnish never stores its synthetic responses and nginx
 * caches only what an upstream sent: a route that matched nothing yet, or a filter's answer to
 * one client, must not be served to others. Without the attribute (a filter that does not ask
 * for it, or Envoy built without CEL) every response counts as the origin's.
 */
final class ResponseSource {
  private ResponseSource() {}

  /** True when {@code message} says Envoy made the response itself. */
  static boolean isEnvoysOwn(ProcessingRequest message) {
    String details = ResponseCodeDetails.in(message.getAttributesMap());
    return details != null && !details.equals(ResponseCodeDetails.VIA_UPSTREAM);
  }
}
