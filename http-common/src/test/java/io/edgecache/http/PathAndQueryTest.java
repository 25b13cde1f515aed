package io.edgecache.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PathAndQueryTest {

  @Test
  void splitsAtTheFirstQuestionMark() {
    assertEquals(new PathAndQuery("/a", null), PathAndQuery.split("/a"));
    assertEquals(new PathAndQuery("/a", ""), PathAndQuery.split("/a?"));
    assertEquals(new PathAndQuery("/a", "x=1?y=2"), PathAndQuery.split("/a?x=1?y=2"));
    assertEquals(new PathAndQuery("", "x"), PathAndQuery.split("?x"));
  }

  @Test
  void pathOfDropsTheQuery() {
    assertEquals("/a", PathAndQuery.pathOf("/a"));
    assertEquals("/a", PathAndQuery.pathOf("/a?"));
    assertEquals("/a/b", PathAndQuery.pathOf("/a/b?x=1?y"));
  }

  @Test
  void withQueryLeavesNoBareQuestionMark() {
    assertEquals("/a?y=2", PathAndQuery.split("/a?x=1").withQuery("y=2"));
    assertEquals("/a", PathAndQuery.split("/a?x=1").withQuery(""));
    assertEquals("/a?z", PathAndQuery.split("/a").withQuery("z"));
  }
}
