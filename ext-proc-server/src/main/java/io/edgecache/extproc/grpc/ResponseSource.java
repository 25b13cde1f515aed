package io.edgecache.extproc.grpc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;

/**
 * Whether a response is the origin's or a reply Envoy made itself, from the
 * {@code response.code_details} attribute Envoy attaches to the response direction's first
 * message when the ext_proc filter lists it in {@code response_attributes} (ext_proc.cc
 * {@code Filter::addAttributes}, under the key {@value #FILTER_KEY}): {@value #VIA_UPSTREAM}
 * for the origin's, the reason otherwise ({@code route_not_found},
 * {@code upstream_reset_before_response_started{...}}, {@code response_timeout}, another
 * filter's denial).
 *
 * <p>Since Envoy 1.37 (envoyproxy/envoy#41769) such replies pass through the processor too. A
 * shared cache stores none of them, as Varnish never stores its synthetic responses and nginx
 * caches only what an upstream sent: a route that matched nothing yet, or a filter's answer to
 * one client, must not be served to others. Without the attribute (a filter that does not ask
 * for it, or Envoy built without CEL) every response counts as the origin's.
 */
final class ResponseSource {
  static final String FILTER_KEY = "envoy.filters.http.ext_proc";
  static final String CODE_DETAILS = "response.code_details";
  static final String VIA_UPSTREAM = "via_upstream";

  private ResponseSource() {}

  /** True when {@code message} says Envoy made the response itself. */
  static boolean isEnvoysOwn(ProcessingRequest message) {
    Struct attributes = message.getAttributesMap().get(FILTER_KEY);
    if (attributes == null) {
      return false;
    }
    Value details = attributes.getFieldsMap().get(CODE_DETAILS);
    return details != null && details.hasStringValue() && !details.getStringValue().equals(VIA_UPSTREAM);
  }
}
