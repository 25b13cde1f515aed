package io.edgecache.edge.extproc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.util.List;

/**
 * The ext_proc filter's {@code response_attributes}, sent as Envoy sends them
 * ({@code Filter::addAttributes}): once per stream, with the first message of the response
 * direction, as one Struct under the key {@value #FILTER_KEY} with a field per configured
 * expression, named by its text. Of Envoy's attributes local-edge evaluates only
 * {@value #CODE_DETAILS}; the config validator rejects any other.
 */
public final class ResponseAttributes {
  /** The key Envoy files the filter's attributes under, whatever the filter is named. */
  public static final String FILTER_KEY = "envoy.filters.http.ext_proc";
  /** Envoy's response code details: {@value #VIA_UPSTREAM} for the origin's response. */
  public static final String CODE_DETAILS = "response.code_details";
  public static final String VIA_UPSTREAM = "via_upstream";
  /** The attributes local-edge can evaluate. */
  public static final List<String> SUPPORTED = List.of(CODE_DETAILS);

  private final List<String> configured;
  private boolean sent;

  /** @param configured the filter's response_attributes, each in {@link #SUPPORTED} */
  public ResponseAttributes(List<String> configured) {
    this.configured = List.copyOf(configured);
  }

  /**
   * Adds the attributes to {@code message}, the response direction's first, given the
   * response's {@code codeDetails}; later messages carry none. Nothing when none is configured.
   */
  public void addTo(ProcessingRequest.Builder message, String codeDetails) {
    if (sent || configured.isEmpty()) {
      return;
    }
    sent = true;
    Struct.Builder values = Struct.newBuilder();
    for (String expression : configured) {
      // Only CODE_DETAILS passes validation; its value is set before the response is encoded.
      values.putFields(expression, Value.newBuilder().setStringValue(codeDetails).build());
    }
    message.putAttributes(FILTER_KEY, values.build());
  }
}
