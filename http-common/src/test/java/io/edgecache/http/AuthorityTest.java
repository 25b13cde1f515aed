package io.edgecache.http;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class AuthorityTest {

  @Test
  void acceptsHostsAddressesAndPorts() {
    for (String ok : new String[] {"example.com", "example.com:8080", "127.0.0.1:1",
        "[::1]:443", "[2001:db8::1]", "xn--bcher-kva.example", "a_b.example:"}) {
      assertNull(Authority.problem(ok), ok);
    }
  }

  @Test
  void rejectsPathsQueriesUserinfoAndBadPorts() {
    for (String bad : new String[] {"a/p", "a?x", "a#f", "user@a", "a:99999", "a:8o",
        "", ":80", "[::1", "[zz]", "a b", "a\\b", "[::1]x"}) {
      assertNotNull(Authority.problem(bad), bad);
    }
  }
}
