package io.edgecache.controlplane.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.common.AttributeKey;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceResourceTest {

  @Test
  void theScrapeNamesTheControlPlaneNotUnknownService() throws Exception {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    try (ControlPlaneMetrics metrics = new ControlPlaneMetrics()) {
      metrics.writePrometheus(text);
    }
    String scrape = text.toString(StandardCharsets.UTF_8);
    String expected = System.getenv().getOrDefault("OTEL_SERVICE_NAME", "edgecache-control-plane");
    assertTrue(scrape.contains("service_name=\"" + expected + "\""), scrape);
    assertFalse(scrape.contains("unknown_service"), scrape);
  }

  @Test
  void otelServiceNameOverridesTheDefault() {
    AttributeKey<String> name = AttributeKey.stringKey("service.name");
    assertEquals("cp-eu-1",
        ServiceResource.fromEnvironment(Map.of("OTEL_SERVICE_NAME", "cp-eu-1")).getAttribute(name));
    assertEquals(ServiceResource.DEFAULT_SERVICE_NAME,
        ServiceResource.fromEnvironment(Map.of("OTEL_SERVICE_NAME", " ")).getAttribute(name));
  }
}
