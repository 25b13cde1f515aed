package io.edgecache.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A client of the control plane's REST purge admin API, as the tests and benchmark use it. */
final class PurgeAdminClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A response: its HTTP status and JSON body. */
  record Reply(int status, JsonNode body) {
    String error() {
      return body.path("error").asText();
    }
  }

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI base;

  PurgeAdminClient(int port) {
    this.base = URI.create("http://127.0.0.1:" + port);
  }

  Reply post(String path, String token, String json) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(10))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
    return send(request, token);
  }

  Reply get(String path, String token) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET(), token);
  }

  /** Submits a purge with {@code token}; fails unless accepted. Returns its id. */
  String purge(String token, String json) throws IOException, InterruptedException {
    Reply reply = post("/purges", token, json);
    if (reply.status() != 202) {
      throw new AssertionError("purge refused: " + reply.status() + " " + reply.body());
    }
    return reply.body().get("purgeId").asText();
  }

  /** Polls the purge's status until it is complete (every live node acked); its last status. */
  JsonNode awaitComplete(String token, String purgeId, Duration within) throws Exception {
    return await(token, purgeId, 0, within);
  }

  /** Polls until the purge is complete and acked by at least {@code nodes} nodes. */
  JsonNode await(String token, String purgeId, int nodes, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      Reply reply = get("/purges/" + purgeId, token);
      if (reply.status() == 200 && reply.body().path("complete").asBoolean()
          && reply.body().path("ackedNodes").size() >= nodes) {
        return reply.body();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("purge " + purgeId + " not complete in " + within + ": " + reply.body());
      }
      Thread.sleep(5); // polling interval, not synchronisation: the loop checks the state
    }
  }

  private Reply send(HttpRequest.Builder request, String token) throws IOException, InterruptedException {
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(response.statusCode(), JSON.readTree(response.body().isEmpty() ? "{}" : response.body()));
  }
}
