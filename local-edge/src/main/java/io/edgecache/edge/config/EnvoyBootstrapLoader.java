package io.edgecache.edge.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.edgecache.config.ConfigException;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an Envoy v3 bootstrap YAML into {@link Bootstrap} using Envoy's own protos, so a file
 * that loads here has the field names and types real Envoy expects.
 *
 * <p>YAML is converted to JSON and parsed with protobuf's {@link JsonFormat}, whose errors name
 * the unknown field; they are rethrown prefixed with the file path.
 */
public final class EnvoyBootstrapLoader {

  /** Every {@code typed_config} type used by the repository's Envoy files. */
  private static final JsonFormat.TypeRegistry TYPE_REGISTRY =
      JsonFormat.TypeRegistry.newBuilder()
          .add(HttpConnectionManager.getDescriptor())
          .add(ExternalProcessor.getDescriptor())
          .add(ExtProcPerRoute.getDescriptor())
          .add(Router.getDescriptor())
          .add(HttpProtocolOptions.getDescriptor())
          .add(UpstreamTlsContext.getDescriptor())
          .build();

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  private EnvoyBootstrapLoader() {}

  /** The registry that resolves every {@code typed_config} the repository's Envoy files use. */
  public static JsonFormat.TypeRegistry typeRegistry() {
    return TYPE_REGISTRY;
  }

  /** Parses {@code file} as an Envoy v3 bootstrap; errors name the file and the bad field. */
  public static Bootstrap load(Path file) throws ConfigException {
    String json;
    try {
      JsonNode tree = YAML.readTree(Files.readString(file));
      if (tree == null || !tree.isObject()) {
        throw new ConfigException(file + ": not an Envoy bootstrap (expected a YAML mapping)");
      }
      json = JSON.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new ConfigException(file + ": invalid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e, e);
    }
    Bootstrap.Builder bootstrap = Bootstrap.newBuilder();
    try {
      JsonFormat.parser().usingTypeRegistry(TYPE_REGISTRY).merge(json, bootstrap);
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigException(file + ": " + e.getMessage(), e);
    }
    return bootstrap.build();
  }

  /**
   * Finds the ext_proc filter in the bootstrap's static listeners: the HTTP filter of an
   * HttpConnectionManager whose {@code typed_config} is an {@link ExternalProcessor}. Exactly
   * one must exist, since local-edge has a single filter chain.
   */
  public static ExternalProcessor externalProcessor(Bootstrap bootstrap, String source)
      throws ConfigException {
    List<ExternalProcessor> found = new ArrayList<>();
    try {
      for (Listener listener : bootstrap.getStaticResources().getListenersList()) {
        for (FilterChain chain : listener.getFilterChainsList()) {
          for (Filter filter : chain.getFiltersList()) {
            if (!filter.getTypedConfig().is(HttpConnectionManager.class)) {
              continue;
            }
            HttpConnectionManager hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
            for (HttpFilter httpFilter : hcm.getHttpFiltersList()) {
              Any typed = httpFilter.getTypedConfig();
              if (typed.is(ExternalProcessor.class)) {
                found.add(typed.unpack(ExternalProcessor.class));
              }
            }
          }
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigException(source + ": cannot decode typed_config: " + e.getMessage(), e);
    }
    if (found.size() != 1) {
      throw new ConfigException(source + ": expected exactly one envoy.filters.http.ext_proc filter"
          + " (typed_config ExternalProcessor) in static_resources.listeners, found " + found.size());
    }
    return found.get(0);
  }

  /** Loads {@code file} and returns its ext_proc filter configuration. */
  public static ExternalProcessor loadExternalProcessor(Path file) throws ConfigException {
    return externalProcessor(load(file), file.toString());
  }
}
