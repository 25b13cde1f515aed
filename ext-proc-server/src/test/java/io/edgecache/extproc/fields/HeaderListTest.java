package io.edgecache.extproc.fields;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeaderListTest {

  private static final HeaderList LIST = HeaderList.fromEnvoy(HeaderMap.newBuilder()
      .addHeaders(HeaderValue.newBuilder().setKey("Accept")
          .setRawValue(ByteString.copyFrom("text/html", StandardCharsets.ISO_8859_1)))
      .addHeaders(HeaderValue.newBuilder().setKey("link").setValue("</a>")) // an older Envoy
      .addHeaders(HeaderValue.newBuilder().setKey("x-latin")
          .setRawValue(ByteString.copyFrom(new byte[] {'c', 'a', 'f', (byte) 0xe9})))
      .addHeaders(HeaderValue.newBuilder().setKey("link")
          .setRawValue(ByteString.copyFromUtf8("</b>")))
      .build());

  @Test
  void readsNamesLowerCasedAndValuesFromEitherField() {
    assertEquals(List.of(new HeaderList.Field("accept", "text/html"),
            new HeaderList.Field("link", "</a>"), new HeaderList.Field("x-latin", "caf\u00e9"),
            new HeaderList.Field("link", "</b>")),
        LIST.fields());
  }

  @Test
  void findsFirstAllJoinedAndAny() {
    assertEquals("</a>", LIST.first("link"));
    assertNull(LIST.first("Link")); // names are compared as stored: lower case
    assertEquals(List.of("</a>", "</b>"), LIST.all("link"));
    assertEquals("</a>, </b>", LIST.joined("link"));
    assertEquals("text/html", LIST.joined("accept"));
    assertNull(LIST.joined("etag"));
    assertTrue(LIST.contains("x-latin"));
    assertTrue(LIST.containsAny(Set.of("if-match", "x-latin")));
    assertFalse(LIST.containsAny(Set.of("if-match", "if-none-match")));
  }

  @Test
  void copiesAreIndependentAndReadOnly() {
    HeaderList withoutLinks = LIST.without(field -> field.name().equals("link"));
    assertEquals(List.of("accept", "x-latin"),
        withoutLinks.fields().stream().map(HeaderList.Field::name).toList());
    assertEquals(4, LIST.fields().size());
    assertThrows(UnsupportedOperationException.class,
        () -> LIST.fields().set(0, new HeaderList.Field("a", "b")));
    assertThrows(NullPointerException.class,
        () -> HeaderList.of(Arrays.asList(new HeaderList.Field("a", "b"), null)));
  }
}
