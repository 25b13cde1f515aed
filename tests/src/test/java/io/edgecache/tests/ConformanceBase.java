package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.ServerConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Shared set-up of the conformance suite: a real origin, local-edge with the filter of
 * envoy/envoy.yaml and the ext_proc server on a manual clock. Each test uses its own paths.
 */
abstract class ConformanceBase {

  private static final AtomicInteger PATHS = new AtomicInteger();

  protected TestOrigin origin;
  protected EdgeStack stack;

  @BeforeEach
  void startStack() throws Exception {
    origin = new TestOrigin();
    stack = EdgeStack.start(origin, config());
  }

  @AfterEach
  void stopStack() throws Exception {
    stack.close();
    origin.close();
  }

  /** The server configuration a test class runs with. */
  protected ServerConfig config() {
    return ServerConfig.defaults();
  }

  /** Restarts the stack with another server configuration. */
  protected void restart(ServerConfig config) throws Exception {
    stack.close();
    stack = EdgeStack.start(origin, config);
  }

  /** A path no other test uses. */
  protected static String path(String name) {
    return "/" + name + "-" + PATHS.incrementAndGet();
  }

  /** The origin's current Date field value (whole seconds of the manual clock). */
  protected String now() {
    return HttpDate.format(stack.clock.instant());
  }

  /** Header pairs with a Date of now prepended, as origins send. */
  protected String[] dated(String... headers) {
    String[] all = new String[headers.length + 2];
    all[0] = "date";
    all[1] = now();
    System.arraycopy(headers, 0, all, 2, headers.length);
    return all;
  }

  protected void advance(long seconds) {
    stack.clock.advance(Duration.ofSeconds(seconds));
  }

  protected static String cacheStatus(HttpResponse<?> response) {
    return response.headers().firstValue("cache-status").orElse("(no Cache-Status)");
  }

  protected static void assertHit(HttpResponse<?> response) {
    assertTrue(cacheStatus(response).contains("; hit"), "expected a hit: "
        + cacheStatus(response));
  }

  protected static void assertForwarded(HttpResponse<?> response, String fwd) {
    assertTrue(cacheStatus(response).contains("fwd=" + fwd),
        "expected fwd=" + fwd + ": " + cacheStatus(response));
  }

  protected static void assertStatus(HttpResponse<?> response, String member) {
    assertTrue(cacheStatus(response).contains(member),
        "expected " + member + ": " + cacheStatus(response));
  }

  protected void assertOriginSaw(String path, int requests) {
    assertEquals(requests, origin.count(path), "requests that reached the origin for " + path);
  }
}
