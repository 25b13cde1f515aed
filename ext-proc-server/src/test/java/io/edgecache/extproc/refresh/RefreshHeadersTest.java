package io.edgecache.extproc.refresh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.extproc.fields.HeaderList;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a background fetch sends of the request that triggered it: a whitelist. */
class RefreshHeadersTest {

  private static final HeaderList TRIGGER = HeaderList.of(List.of(
      field(":method", "GET"), field(":path", "/a"), field(":authority", "example.com"),
      field("host", "example.com"),
      field("accept", "text/html"), field("accept-encoding", "gzip"),
      field("accept-language", "fr"), field("x-device", "mobile"),
      field("authorization", "Bearer secret"), field("proxy-authorization", "Basic eDp5"),
      field("cookie", "session=1"), field("range", "bytes=0-1"), field("if-range", "\"v1\""),
      field("if-none-match", "\"v1\""), field("if-modified-since", "Sat, 21 Nov 2026 12:00:00 GMT"),
      field("if-match", "*"), field("if-unmodified-since", "Sat, 21 Nov 2026 12:00:00 GMT"),
      field("x-request-id", "abc"), field("user-agent", "curl"), field("content-length", "0"),
      field("connection", "x-hop"), field("x-hop", "1"), field(BackgroundRefresher.MARKER, "t")));

  @Test
  void sendsOnlyNegotiationFields() {
    assertEquals(List.of("accept", "accept-encoding", "accept-language"),
        names(RefreshHeaders.select(TRIGGER, Set.of())));
  }

  @Test
  void sendsTheFieldsTheResponseVariesOnOrTheKeyNames() {
    assertEquals(List.of("accept", "accept-encoding", "accept-language", "x-device"),
        names(RefreshHeaders.select(TRIGGER, Set.of("x-device"))));
  }

  @Test
  void neverSendsRequestSpecificFieldsEvenWhenVaryNamesThem() {
    assertEquals(List.of("accept", "accept-encoding", "accept-language"),
        names(RefreshHeaders.select(TRIGGER, Set.of("authorization", "cookie", "range",
            "if-none-match", "x-hop", "host", BackgroundRefresher.MARKER))));
  }

  private static HeaderList.Field field(String name, String value) {
    return new HeaderList.Field(name, value);
  }

  private static List<String> names(List<HeaderList.Field> fields) {
    List<String> names = new ArrayList<>();
    fields.forEach(f -> names.add(f.name()));
    return names;
  }
}
