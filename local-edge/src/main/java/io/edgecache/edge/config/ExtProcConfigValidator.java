package io.edgecache.edge.config;

import io.edgecache.config.ConfigException;
import io.edgecache.edge.extproc.ResponseAttributes;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;

/**
 * Rejects ext_proc filter settings local-edge does not implement. Envoy would honor them, so
 * silently ignoring one would make local-edge behave differently from production; instead
 * loading fails with a message naming the field.
 */
public final class ExtProcConfigValidator {
  private ExtProcConfigValidator() {}

  /** Throws if {@code config} uses a feature local-edge cannot reproduce; {@code source} prefixes the message. */
  public static void validate(ExternalProcessor config, String source) throws ConfigException {
    String prefix = source + ": ext_proc filter: ";
    if (config.hasHttpService()) {
      throw unsupported(prefix, "http_service");
    }
    if (!config.hasGrpcService()) {
      throw new ConfigException(prefix + "grpc_service: required (local-edge talks gRPC to the processor)");
    }
    if (config.getGrpcService().hasGoogleGrpc()) {
      throw unsupported(prefix, "grpc_service.google_grpc (use envoy_grpc)");
    }
    if (!config.getGrpcService().hasEnvoyGrpc()) {
      throw new ConfigException(prefix + "grpc_service.envoy_grpc: required");
    }
    if (config.getRequestAttributesCount() > 0) {
      throw unsupported(prefix, "request_attributes");
    }
    for (int i = 0; i < config.getResponseAttributesCount(); i++) {
      String attribute = config.getResponseAttributes(i);
      if (!ResponseAttributes.SUPPORTED.contains(attribute)) {
        throw new ConfigException(prefix + "response_attributes[" + i + "]: '" + attribute
            + "' is not evaluated by local-edge (it evaluates " + String.join(", ", ResponseAttributes.SUPPORTED)
            + "; use real Envoy)");
      }
    }
    if (config.hasMutationRules()) {
      throw unsupported(prefix, "mutation_rules");
    }
    if (config.hasForwardRules()) {
      throw unsupported(prefix, "forward_rules");
    }
    if (config.hasMetadataOptions()) {
      throw unsupported(prefix, "metadata_options");
    }
    if (config.getObservabilityMode()) {
      throw unsupported(prefix, "observability_mode");
    }
    if (config.getSendBodyWithoutWaitingForHeaderResponse()) {
      throw unsupported(prefix, "send_body_without_waiting_for_header_response");
    }
    if (config.getDisableImmediateResponse()) {
      throw unsupported(prefix, "disable_immediate_response");
    }
    if (config.hasOnProcessingResponse()) {
      throw unsupported(prefix, "on_processing_response");
    }
    checkMode(config.getProcessingMode(), prefix + "processing_mode");
    for (int i = 0; i < config.getAllowedOverrideModesCount(); i++) {
      checkMode(config.getAllowedOverrideModes(i), prefix + "allowed_override_modes[" + i + "]");
    }
  }

  /**
   * Returns a description of the first unsupported setting in {@code mode}, or null when
   * local-edge implements all of it. Also used for {@code mode_override} at run time.
   */
  public static String unsupportedSetting(ProcessingMode mode) {
    if (!supported(mode.getRequestBodyMode())) {
      return "request_body_mode " + mode.getRequestBodyMode() + " is not supported by local-edge";
    }
    if (!supported(mode.getResponseBodyMode())) {
      return "response_body_mode " + mode.getResponseBodyMode() + " is not supported by local-edge";
    }
    if (mode.getRequestTrailerMode() == HeaderSendMode.SEND) {
      return "request_trailer_mode SEND is not supported by local-edge";
    }
    if (mode.getResponseTrailerMode() == HeaderSendMode.SEND) {
      return "response_trailer_mode SEND is not supported by local-edge";
    }
    return null;
  }

  private static void checkMode(ProcessingMode mode, String where) throws ConfigException {
    String problem = unsupportedSetting(mode);
    if (problem != null) {
      throw new ConfigException(where + ": " + problem);
    }
  }

  private static boolean supported(BodySendMode mode) {
    return mode == BodySendMode.NONE || mode == BodySendMode.STREAMED || mode == BodySendMode.BUFFERED;
  }

  private static ConfigException unsupported(String prefix, String field) {
    return new ConfigException(prefix + field + ": not supported by local-edge (use real Envoy)");
  }
}
