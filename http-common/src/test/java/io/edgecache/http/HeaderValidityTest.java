package io.edgecache.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cases of Envoy's header_validation_test (Envoy >= 1.31) and the character classes between
 * them: one table for names, one for value characters.
 */
class HeaderValidityTest {

  private static final Map<String, Boolean> NAMES = Map.ofEntries(
      Map.entry("asd", true),
      Map.entry("X-Mixed-Case", true),
      Map.entry("x-!#$%&'*+-.^_`|~9", true),
      Map.entry(":path", true),
      // Pseudo-headers are checked with the HTTP/1 rules since 1.31: upper case passes.
      Map.entry(":Path", true),
      Map.entry("", false),
      Map.entry(":", false),
      Map.entry("::", false),
      Map.entry("x:y", false),
      Map.entry("\n", false),
      Map.entry(":\n", false),
      Map.entry("asd\n", false),
      Map.entry("a\tb", false),
      Map.entry("a\u007fb", false),
      Map.entry("a b", false),
      Map.entry("a\"b", false),
      Map.entry("a(b", false),
      Map.entry("a/b", false),
      Map.entry("a@b", false),
      Map.entry("a\u00e9b", false));

  @Test
  void namesAsEnvoyJudgesThem() {
    NAMES.forEach((name, valid) -> assertEquals(valid, HeaderValidity.nameIsValid(name), name));
  }

  @Test
  void valueCharactersAsEnvoyJudgesThem() {
    for (int c = 0; c <= 0x100; c++) {
      boolean valid = c == '\t' || (c >= 0x20 && c != 0x7F && c <= 0xFF);
      assertEquals(valid, HeaderValidity.valueIsValid("a" + (char) c + "b"), "char " + c);
    }
  }

  @Test
  void wholeValues() {
    assertEquals(true, HeaderValidity.valueIsValid(""));
    assertEquals(true, HeaderValidity.valueIsValid("Some Other Value"));
    assertEquals(false, HeaderValidity.valueIsValid("hello\r\n\r\nGET /evil HTTP/1.1"));
  }
}
