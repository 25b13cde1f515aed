package io.edgecache.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PathNormalizerTest {

  private final PathNormalizer rejecting = new PathNormalizer(EscapedSlashes.REJECT);

  private String normal(String path) {
    PathNormalizer.Result result = rejecting.normalize(path);
    assertNull(result.rejection(), () -> path + " rejected: " + result.rejection());
    return result.pathWithQuery();
  }

  @Test
  void removesDotSegmentsIncludingEncodedOnes() {
    assertEquals("/account", normal("/static/../account"));
    assertEquals("/account", normal("/static/%2e%2e/account"));
    assertEquals("/account", normal("/static/.%2E/account"));
    assertEquals("/static/x", normal("/static/./x"));
    assertEquals("/", normal("/.."));
    assertEquals("/a/", normal("/a/b/.."));
  }

  @Test
  void decodesUnreservedAndUpperCasesTheRest() {
    assertEquals("/static/A-z~", normal("/static/%41%2d%7a%7E"));
    assertEquals("/a%3Fb%20c", normal("/a%3fb%20c"));
    assertEquals("/a%22b%C3%A9", normal("/a\"b\u00e9"));
  }

  @Test
  void returnsAnAlreadyNormalTargetItselfAndWalksAnythingNearIt() {
    String plain = "/static/app.v1.2/x-y_z~;v=1,@:!$&'()*+=?q=%2f..";
    assertSame(plain, rejecting.normalize(plain).pathWithQuery());
    assertEquals("/a./b..", normal("/a./b.."));
    assertEquals("/.well-known/x", normal("/.well-known/x"));
    assertEquals("/a/", normal("/a/."));
    assertEquals("/a/b", normal("/a//b"));
    assertEquals("/a/%20", normal("/a/ "));
  }

  @Test
  void mergesSlashesAndKeepsTheQueryAsSent() {
    assertEquals("/static/x?a=%2f..&b", normal("//static//x?a=%2f..&b"));
  }

  @Test
  void rejectsEncodedSlashesAndBackslashesByDefault() {
    assertTrue(rejecting.normalize("/static/..%2faccount").rejected());
    assertTrue(rejecting.normalize("/static/..%5Caccount").rejected());
    assertTrue(rejecting.normalize("/static\\..\\account").rejected());
  }

  @Test
  void unescapesOrKeepsEncodedSlashesWhenConfigured() {
    assertEquals("/account",
        new PathNormalizer(EscapedSlashes.UNESCAPE).normalize("/static/..%2faccount")
            .pathWithQuery());
    assertEquals("/static/..%2Faccount",
        new PathNormalizer(EscapedSlashes.KEEP).normalize("/static/..%2faccount")
            .pathWithQuery());
  }

  @Test
  void rejectsMalformedTargets() {
    assertTrue(rejecting.normalize("/a%zz").rejected());
    assertTrue(rejecting.normalize("/a%2").rejected());
    assertTrue(rejecting.normalize("/a#frag").rejected());
    assertTrue(rejecting.normalize("http://other/a").rejected());
  }

  @Test
  void findsDotSegmentsHiddenBehindParameters() {
    assertTrue(PathNormalizer.hasParameterisedDotSegment("/static/..;/account"));
    assertTrue(PathNormalizer.hasParameterisedDotSegment("/static/.;x=1/a"));
    assertFalse(PathNormalizer.hasParameterisedDotSegment("/static/a;v=1.css"));
    assertFalse(PathNormalizer.hasParameterisedDotSegment("/static/a?q=..;"));
  }
}
