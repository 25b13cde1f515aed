package io.edgecache.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgecache.extproc.ExtProcServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A cache node's figures as an operator reads them: its admin port's {@code /stats} document,
 * fetched over HTTP, so end-to-end tests need none of the node's internals. The node must be
 * started with an admin listener.
 */
final class AdminStats {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private AdminStats() {}

  /** The whole {@code /stats} document of {@code server}. */
  static JsonNode of(ExtProcServer server) {
    if (server.adminPort() < 0) {
      throw new IllegalStateException("the node was started without an admin listener");
    }
    HttpRequest request = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.adminPort() + "/stats")).timeout(TIMEOUT).build();
    try {
      HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new AssertionError("/stats answered " + response.statusCode() + ": " + response.body());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted reading /stats", e);
    }
  }

  /** The figures of one lower tier ({@code disk}, {@code redis}, {@code s3}) of {@code server}. */
  static JsonNode tier(ExtProcServer server, String name) {
    for (JsonNode tier : of(server).path("tiers")) {
      if (tier.path("name").asText().equals(name)) {
        return tier;
      }
    }
    throw new AssertionError("/stats lists no tier " + name);
  }
}
