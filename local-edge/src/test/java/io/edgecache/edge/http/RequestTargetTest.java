package io.edgecache.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.edgecache.http.EscapedSlashes;
import io.edgecache.http.PathNormalizer;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/** How local-edge derives :authority and :path from an HTTP/1.1 request, as Envoy's codec. */
class RequestTargetTest {

  private static final PathNormalizer PATHS = new PathNormalizer(EscapedSlashes.REJECT);

  private static RequestTarget target(String uri, String... hosts) {
    HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    for (String host : hosts) {
      request.headers().add("Host", host);
    }
    return RequestTarget.of(request, PATHS);
  }

  @Test
  void originFormIsNormalisedAndTakesHost() {
    RequestTarget target = target("/static/../account?a=1", "shop.example:8080");
    assertNull(target.rejection());
    assertEquals("shop.example:8080", target.authority());
    assertEquals("/account?a=1", target.path());
  }

  @Test
  void absoluteFormSuppliesTheAuthority() {
    RequestTarget target = target("http://other.example/x/./y", "shop.example");
    assertEquals("other.example", target.authority());
    assertEquals("/x/y", target.path());
    assertEquals("/?q", target("http://other.example?q", "shop.example").path());
  }

  /**
   * Envoy takes :scheme from an absolute-form target, lower-cased, http or https only; an edge
   * Envoy refuses https on a plaintext connection (403), and local-edge's are all plaintext.
   */
  @Test
  void absoluteFormSuppliesTheSchemeAndOnlyHttpIsTakenInTheClear() {
    assertEquals("http", target("/x", "shop.example").scheme());
    assertEquals("http", target("HTTP://other.example/x", "shop.example").scheme());
    assertEquals(403, target("HTTPS://other.example/x", "shop.example").rejection().status());
    assertEquals(400, target("ftp://other.example/x", "shop.example").rejection().status());
    assertNotNull(target("gopher://other.example/x", "shop.example").rejection());
  }

  @Test
  void badTargetsAreRejected() {
    assertNotNull(target("/x", "a.example", "b.example").rejection());
    assertNotNull(target("/x").rejection());
    assertNotNull(target("/x", "a.example/p").rejection());
    assertNotNull(target("/a/..%2fb", "a.example").rejection());
    assertNotNull(target("*", "a.example").rejection());
  }
}
