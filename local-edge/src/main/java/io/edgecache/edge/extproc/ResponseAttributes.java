package io.edgecache.edge.extproc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.edgecache.proto.extproc.ResponseCodeDetails;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.util.List;

/**
 * The ext_proc filter's {@code response_attributes}, sent as Envoy sends them
 * ({@link ResponseCodeDetails}): once per stream, with the first message of the response
 * direction. Of Envoy's attributes local-edge evaluates only {@value ResponseCodeDetails#ATTRIBUTE};
 * the config validator rejects any other.
 */
public final class ResponseAttributes {
  /** The attributes local-edge can evaluate. */
  public static final List<String> SUPPORTED = List.of(ResponseCodeDetails.ATTRIBUTE);

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
      // Only ResponseCodeDetails.ATTRIBUTE passes validation; its value is set before the response is encoded.
      values.putFields(expression, Value.newBuilder().setStringValue(codeDetails).build());
    }
    message.putAttributes(ResponseCodeDetails.FILTER_KEY, values.build());
  }
}
