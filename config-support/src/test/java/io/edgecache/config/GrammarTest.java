package io.edgecache.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The value grammar every configuration file shares, as a table. */
class GrammarTest {

  @ParameterizedTest
  @CsvSource({
      "250us, 250000",
      "500ms, 500000000",
      "0.5s, 500000000",
      "0.2s, 200000000",
      "2.5s, 2500000000",
      "15s, 15000000000",
      "0s, 0",
      "5 s, 5000000000",
      "10S, 10000000000",
      "2m, 120000000000",
      "1h, 3600000000000",
      "1d, 86400000000000",
      "' 200ms ', 200000000",
  })
  void durations(String text, long nanos) {
    assertEquals(Duration.ofNanos(nanos), Durations.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "soon", "30", "-1s", "1.5", "s", "1e3s", "0.0000000001s", "1w", "5 minutes"})
  void notDurations(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
    assertEquals("'" + text + "' is not a duration (examples: 250us, 500ms, 0.5s, 15s, 2m, 1h, 1d)", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
      "1024, 1024",
      "0, 0",
      "1024B, 1024",
      "64KiB, 65536",
      "512MiB, 536870912",
      "1GiB, 1073741824",
      "2TiB, 2199023255552",
      "8 MiB, 8388608",
      "1KB, 1024",
      "1MB, 1048576",
      "1GB, 1073741824",
  })
  void byteSizes(String text, long bytes) {
    assertEquals(bytes, ByteSizes.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "8 parsecs", "1.5GiB", "-1", "1gib", "9999999999TiB", "99999999999999999999"})
  void notByteSizes(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse(text));
    assertTrue(e.getMessage().startsWith("'" + text + "' is not a byte size"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
      "127.0.0.1:8080, 127.0.0.1, 8080",
      "envoy:10000, envoy, 10000",
      "[::1]:8080, ::1, 8080",
      "::1:8080, ::1, 8080",
      "0.0.0.0:0, 0.0.0.0, 0",
      "' localhost:65535 ', localhost, 65535",
  })
  void hostPorts(String text, String host, int port) {
    assertEquals(new HostPort(host, port), HostPort.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "localhost", ":8080", "host:", "host:65536", "host:-1", "host:http", "[]:80"})
  void notHostPorts(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text));
    assertTrue(e.getMessage().startsWith("'" + text + "' is not host:port"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
      "X-Purge-Key, x-purge-key",
      "' Surrogate-Key ', surrogate-key",
      "edgecache-cache-control, edgecache-cache-control",
      "x!#$%&'*+-.^_`|~0, x!#$%&'*+-.^_`|~0",
  })
  void headerNames(String text, String name) {
    assertEquals(name, HeaderNames.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "x purge", "x:key", "x-é", "(x)"})
  void notHeaderNames(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeaderNames.parse(text));
    assertEquals("'" + text + "' is not a header field name", e.getMessage());
  }
}
