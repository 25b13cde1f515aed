package io.edgecache.proto.extproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading the details out of a message's attributes as Envoy files them. */
class ResponseCodeDetailsTest {

  private static Map<String, Struct> attributes(String key, String field, Value value) {
    return Map.of(key, Struct.newBuilder().putFields(field, value).build());
  }

  @Test
  void theDetailsAreTheStringUnderTheFiltersKey() {
    assertEquals("route_not_found", ResponseCodeDetails.in(attributes("envoy.filters.http.ext_proc",
        "response.code_details", Value.newBuilder().setStringValue("route_not_found").build())));
  }

  @Test
  void noDetailsWithoutTheKeyTheFieldOrAString() {
    Value text = Value.newBuilder().setStringValue("route_not_found").build();
    assertNull(ResponseCodeDetails.in(Map.of()));
    assertNull(ResponseCodeDetails.in(attributes("other.filter", "response.code_details", text)));
    assertNull(ResponseCodeDetails.in(attributes("envoy.filters.http.ext_proc", "response.code", text)));
    assertNull(ResponseCodeDetails.in(attributes("envoy.filters.http.ext_proc", "response.code_details",
        Value.newBuilder().setNumberValue(404).build())));
  }
}
