package io.edgecache.controlplane.metrics;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;
import java.util.Map;

/**
 * The OpenTelemetry resource the control plane reports as: {@code service.name} from
 * {@code OTEL_SERVICE_NAME}, else {@code edgecache-control-plane}. Without it the SDK's default
 * resource names the process {@code unknown_service:java} (Prometheus {@code target_info}).
 */
final class ServiceResource {
  static final String DEFAULT_SERVICE_NAME = "edgecache-control-plane";
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  private ServiceResource() {}

  static Resource fromEnvironment(Map<String, String> env) {
    String name = env.getOrDefault("OTEL_SERVICE_NAME", "").isBlank()
        ? DEFAULT_SERVICE_NAME : env.get("OTEL_SERVICE_NAME").trim();
    return Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, name)));
  }
}
