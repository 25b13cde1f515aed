package io.edgecache.tests;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Schema validation of rendered manifests, strict as {@code kubectl apply --validate=strict}:
 * every object is bound to fabric8's typed model of its apiVersion/kind (generated from the
 * upstream Kubernetes OpenAPI and the Istio and Prometheus-operator CRD schemas), with unknown
 * fields an error naming their path, not a value kept aside. Envoy configuration inside an
 * EnvoyFilter patch is parsed into the Envoy proto its {@code applyTo} names, with the type
 * registry local-edge uses for Envoy files, so a misspelled Envoy field is an error too.
 */
final class ManifestSchemas {
  private static final ObjectMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Finds the model class of an apiVersion/kind (fabric8's registry, incl. CRD model jars). */
  private static final KubernetesSerialization KINDS = new KubernetesSerialization();
  /** fabric8's models keep unknown fields in an any-setter map; without it Jackson rejects them. */
  private static final ObjectMapper STRICT = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .addModule(new SimpleModule().setDeserializerModifier(new BeanDeserializerModifier() {
        @Override
        public BeanDeserializerBuilder updateBuilder(DeserializationConfig config,
            BeanDescription description, BeanDeserializerBuilder builder) {
          builder.setAnySetter(null);
          builder.setIgnoreUnknownProperties(false);
          return builder;
        }
      }))
      .build();
  private static final Map<String, Supplier<Message.Builder>> ENVOY_TYPES = Map.of(
      "CLUSTER", Cluster::newBuilder,
      "LISTENER", Listener::newBuilder,
      "NETWORK_FILTER", Filter::newBuilder,
      "HTTP_FILTER", HttpFilter::newBuilder,
      "ROUTE_CONFIGURATION", RouteConfiguration::newBuilder,
      "VIRTUAL_HOST", VirtualHost::newBuilder,
      "HTTP_ROUTE", Route::newBuilder);

  /** One object of a rendered stream: its raw fields and its strictly bound model. */
  record Manifest(String kind, String name, Map<String, Object> raw, KubernetesResource model) {}

  /** An EnvoyFilter patch value parsed into its Envoy proto. */
  record EnvoyPatch(String filter, String applyTo, Message value) {}

  private ManifestSchemas() {}

  /** Every document of {@code yaml}, validated; the first violation fails with source, object and path. */
  @SuppressWarnings("unchecked")
  static List<Manifest> validate(String source, String yaml) throws IOException {
    List<Manifest> manifests = new ArrayList<>();
    for (Object document : YAML.readerFor(Map.class).readValues(yaml).readAll()) {
      if (document == null) {
        continue;
      }
      Map<String, Object> raw = (Map<String, Object>) document;
      String kind = raw.get("apiVersion") + "/" + raw.get("kind");
      String name = String.valueOf(((Map<String, Object>) raw.getOrDefault("metadata", Map.of())).get("name"));
      String where = source + ": " + kind + " " + name;
      KubernetesResource typed = KINDS.convertValue(raw, KubernetesResource.class);
      if (typed == null || typed instanceof GenericKubernetesResource) {
        throw new AssertionError(where + ": no schema known for " + kind);
      }
      manifests.add(new Manifest(String.valueOf(raw.get("kind")), name, raw, bind(where, raw, typed.getClass())));
    }
    return manifests;
  }

  /** Binds {@code value} strictly to {@code type}; errors name {@code where} and the field's path. */
  static <T> T bind(String where, Object value, Class<T> type) {
    try {
      return STRICT.convertValue(value, type);
    } catch (IllegalArgumentException e) {
      if (e.getCause() instanceof JsonMappingException mapping) {
        String path = path(mapping);
        if (mapping instanceof UnrecognizedPropertyException) {
          throw new AssertionError(where + ": unknown field " + path, e);
        }
        throw new AssertionError(where + ": " + path + ": " + mapping.getOriginalMessage(), e);
      }
      throw new AssertionError(where + ": " + e.getMessage(), e);
    }
  }

  /** Every patch value of every EnvoyFilter in {@code manifests}, parsed into its Envoy proto. */
  @SuppressWarnings("unchecked")
  static List<EnvoyPatch> envoyPatches(String source, List<Manifest> manifests) {
    List<EnvoyPatch> patches = new ArrayList<>();
    for (Manifest manifest : manifests) {
      if (!manifest.kind().equals("EnvoyFilter")) {
        continue;
      }
      List<Map<String, Object>> configPatches = (List<Map<String, Object>>)
          ((Map<String, Object>) manifest.raw().get("spec")).get("configPatches");
      for (int i = 0; i < configPatches.size(); i++) {
        String where = source + ": EnvoyFilter " + manifest.name() + ": spec.configPatches[" + i + "]";
        String applyTo = String.valueOf(configPatches.get(i).get("applyTo"));
        Supplier<Message.Builder> type = ENVOY_TYPES.get(applyTo);
        if (type == null) {
          throw new AssertionError(where + ".applyTo: no Envoy type known for " + applyTo);
        }
        Object value = ((Map<String, Object>) configPatches.get(i).get("patch")).get("value");
        Message.Builder builder = type.get();
        try {
          JsonFormat.parser().usingTypeRegistry(EnvoyBootstrapLoader.typeRegistry())
              .merge(JSON.writeValueAsString(value), builder);
        } catch (IOException e) { // InvalidProtocolBufferException: the field and message
          throw new AssertionError(where + ".patch.value (" + builder.getDescriptorForType().getFullName()
              + "): " + e.getMessage(), e);
        }
        patches.add(new EnvoyPatch(manifest.name(), applyTo, builder.build()));
      }
    }
    return patches;
  }

  private static String path(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference reference : e.getPath()) {
      if (reference.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
      } else if (reference.getIndex() >= 0) {
        path.append('[').append(reference.getIndex()).append(']');
      }
    }
    return path.toString();
  }
}
