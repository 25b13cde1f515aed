package io.edgecache.bench.burst;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The JDK client: one HTTP/1.1 connection per concurrent request, all sent at once. */
final class JdkBurstClient implements BurstClient {

  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  @Override
  public List<Answer> fire(URI target, int requests, Duration timeout) {
    HttpRequest request = HttpRequest.newBuilder(target).timeout(timeout).build();
    List<CompletableFuture<Answer>> pending = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      long started = System.nanoTime();
      pending.add(client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .handle((response, error) -> error != null
              ? new Answer(0, null, System.nanoTime() - started)
              : new Answer(response.statusCode(),
                  response.headers().firstValue("cache-status").orElse(null),
                  System.nanoTime() - started)));
    }
    return pending.stream().map(CompletableFuture::join).toList();
  }
}
