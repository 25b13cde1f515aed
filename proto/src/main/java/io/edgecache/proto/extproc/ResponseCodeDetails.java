package io.edgecache.proto.extproc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.Map;

/**
 * How Envoy tells the processor who made a response: the {@value #ATTRIBUTE} attribute, sent when
 * the ext_proc filter lists it in {@code response_attributes}. The one place that knows its
 * names, used by the control plane to ask for it, by local-edge to send it as Envoy does and by
 * the cache node to read it.
 *
 * <p>Envoy (ext_proc.cc {@code Filter::addAttributes}) adds the filter's attributes once, to the
 * response direction's first message, as {@code attributes[}{@value #FILTER_KEY}{@code ]}, a
 * Struct with one field per configured expression, named by its text; response.code_details is a
 * string: {@value #VIA_UPSTREAM} for the origin's response (router.cc sets it before the response
 * enters the filter chain), otherwise the details the local reply recorded (route_not_found,
 * upstream_reset_before_response_started{...}, response_timeout, another filter's). An attribute
 * that fails to evaluate is left out, and without CEL none is sent.
 */
public final class ResponseCodeDetails {
  /** The attribute expression, as written in {@code response_attributes}. */
  public static final String ATTRIBUTE = "response.code_details";
  /** The key Envoy files the filter's attributes under, whatever the filter is named. */
  public static final String FILTER_KEY = "envoy.filters.http.ext_proc";
  /** The details of a response that came from the origin. */
  public static final String VIA_UPSTREAM = "via_upstream";

  private ResponseCodeDetails() {}

  /** The details in a message's {@code attributes}, or null when Envoy sent none. */
  public static String in(Map<String, Struct> attributes) {
    Struct filter = attributes.get(FILTER_KEY);
    Value details = filter == null ? null : filter.getFieldsMap().get(ATTRIBUTE);
    return details != null && details.hasStringValue() ? details.getStringValue() : null;
  }
}
