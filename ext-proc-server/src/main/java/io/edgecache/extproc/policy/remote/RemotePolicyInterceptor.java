package io.edgecache.extproc.policy.remote;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.http.UnkeyedRequestHeaders;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Decodes the route policy the control plane puts in each ext_proc stream's initial metadata
 * ({@code ExtProcPerRoute.overrides.grpc_initial_metadata}) and makes it the stream's
 * {@link RemotePolicy#current()}:
 *
 * <pre>
 * x-edgecache-policy:      demo/default@5d41402a
 * x-edgecache-policy-spec: mode=respect-origin; default-ttl=60; max-ttl=86400; share-set-cookie=false;
 *     cache-everything-with-credentials=false; store-cookie-responses=false;
 *     strip-headers=x-forwarded-host,x-host; forward-excluded-query=false; store-set-cookie=false
 * </pre>
 *
 * Decoded policies are cached by their identity ({@code id@version}), so the per-stream cost is
 * two metadata lookups and a map hit. A stream without the metadata, or with malformed metadata
 * (logged at FINE; an unknown mode is malformed too), has no remote policy. Install with
 * {@code ServerInterceptors.intercept(service, new RemotePolicyInterceptor())}.
 */
public final class RemotePolicyInterceptor implements ServerInterceptor {
  private static final Logger log = Logger.getLogger(RemotePolicyInterceptor.class.getName());
  static final Metadata.Key<String> POLICY = Metadata.Key.of("x-edgecache-policy", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> SPEC = Metadata.Key.of("x-edgecache-policy-spec", Metadata.ASCII_STRING_MARSHALLER);

  private final Cache<String, Optional<RemotePolicy>> decoded = Caffeine.newBuilder().maximumSize(4096).build();

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String identity = headers.get(POLICY);
    String spec = headers.get(SPEC);
    if (identity == null || spec == null) {
      return next.startCall(call, headers);
    }
    Optional<RemotePolicy> policy = decoded.get(identity + "\n" + spec, key -> decode(identity, spec));
    if (policy.isEmpty()) {
      return next.startCall(call, headers);
    }
    return Contexts.interceptCall(Context.current().withValue(RemotePolicy.CONTEXT_KEY, policy.get()), call,
        headers, next);
  }

  /** Parses the two metadata values; empty when they are malformed. */
  static Optional<RemotePolicy> decode(String identity, String spec) {
    int at = identity.lastIndexOf('@');
    if (at <= 0 || at == identity.length() - 1) {
      log.warning(() -> "ignoring malformed x-edgecache-policy metadata: " + identity);
      return Optional.empty();
    }
    RoutePolicy.Mode mode = null;
    Optional<Duration> defaultTtl = Optional.empty();
    Optional<Duration> maxTtl = Optional.empty();
    boolean shareSetCookie = false;
    Optional<Boolean> cacheEverythingWithCredentials = Optional.empty();
    Optional<Boolean> storeCookieResponses = Optional.empty();
    Optional<List<String>> stripHeaders = Optional.empty();
    Optional<Boolean> forwardExcludedQuery = Optional.empty();
    Optional<Boolean> storeSetCookie = Optional.empty();
    try {
      for (String field : spec.split(";")) {
        String[] pair = field.trim().split("=", 2);
        switch (pair[0]) {
          case "mode" -> mode = RoutePolicy.Mode.valueOf(pair[1].toUpperCase(Locale.ROOT).replace('-', '_'));
          case "default-ttl" -> defaultTtl = Optional.of(Duration.ofSeconds(Long.parseLong(pair[1])));
          case "max-ttl" -> maxTtl = Optional.of(Duration.ofSeconds(Long.parseLong(pair[1])));
          case "share-set-cookie" -> shareSetCookie = Boolean.parseBoolean(pair[1]);
          case "cache-everything-with-credentials" -> cacheEverythingWithCredentials = Optional.of(bool(pair[1]));
          case "store-cookie-responses" -> storeCookieResponses = Optional.of(bool(pair[1]));
          case "strip-headers" -> stripHeaders = Optional.of(fieldNames(pair[1]));
          case "forward-excluded-query" -> forwardExcludedQuery = Optional.of(bool(pair[1]));
          case "store-set-cookie" -> storeSetCookie = Optional.of(bool(pair[1]));
          default -> { } // fields added by newer control planes are ignored
        }
      }
    } catch (RuntimeException e) {
      log.warning(() -> "ignoring malformed x-edgecache-policy-spec metadata: " + spec);
      return Optional.empty();
    }
    if (mode == null) {
      log.warning(() -> "ignoring x-edgecache-policy-spec without mode: " + spec);
      return Optional.empty();
    }
    if (storeSetCookie.orElse(false) && !shareSetCookie) {
      // the control plane rejects this at load; storing a cookie nobody may be served is a garbled spec
      log.warning(() -> "ignoring x-edgecache-policy-spec with store-set-cookie but not share-set-cookie: " + spec);
      return Optional.empty();
    }
    return Optional.of(new RemotePolicy(identity.substring(0, at), identity.substring(at + 1), mode, defaultTtl,
        maxTtl, shareSetCookie, new RemotePolicy.Defences(cacheEverythingWithCredentials, storeCookieResponses,
            stripHeaders, forwardExcludedQuery, storeSetCookie)));
  }

  /**
   * {@code true} or {@code false}, nothing else: these flags guard against cache poisoning, so a
   * garbled value must not silently read as {@code false} (the whole spec is then ignored).
   */
  private static boolean bool(String text) {
    return switch (text) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("not a boolean: " + text);
    };
  }

  /** A comma-separated list of lower-case header field names; empty text is an empty list. */
  private static List<String> fieldNames(String text) {
    List<String> names = text.isEmpty() ? List.of() : List.of(text.split(",", -1));
    for (String name : names) {
      if (!UnkeyedRequestHeaders.isLowerCaseFieldName(name)) {
        throw new IllegalArgumentException("not a header field name: " + name);
      }
    }
    return names;
  }
}
