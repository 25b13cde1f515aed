package io.edgecache.extproc.policy.remote;

import io.edgecache.extproc.config.RoutePolicy;
import io.grpc.Context;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The cache policy the control plane attached to the request's route, decoded from the ext_proc
 * stream's initial metadata by {@link RemotePolicyInterceptor}. Read it with {@link #current()}
 * when the stream starts (in the service's {@code process} method), not in later callbacks.
 *
 * @param policyId the route's policy id, {@code site/route}
 * @param version changes exactly when the policy's contents change
 * @param mode how the route treats the origin's caching headers
 * @param defaultTtl freshness when the origin gives none; empty when unset
 * @param maxTtl cap on any freshness; empty when unset
 * @param shareResponsesWithSetCookie whether a response carrying Set-Cookie may be stored
 * @param defences the route's poisoning defences; each is empty when the pushed policy left it
 *     out (an Istio route patch may), and the node's route then decides
 */
public record RemotePolicy(String policyId, String version, RoutePolicy.Mode mode, Optional<Duration> defaultTtl,
    Optional<Duration> maxTtl, boolean shareResponsesWithSetCookie, Defences defences) {

  /**
   * The defences of {@link RoutePolicy} against sharing what must not be shared, as the control
   * plane sent them: see {@link RoutePolicy#cacheEverythingWithCredentials()},
   * {@link RoutePolicy#storeResponsesToCookieRequests()}, {@link RoutePolicy#stripHeaders()},
   * {@link RoutePolicy#forwardExcludedQuery()} and {@link RoutePolicy#storeSetCookie()}.
   */
  public record Defences(Optional<Boolean> cacheEverythingWithCredentials,
      Optional<Boolean> storeResponsesToCookieRequests, Optional<List<String>> stripHeaders,
      Optional<Boolean> forwardExcludedQuery, Optional<Boolean> storeSetCookie) {
    /** None sent. */
    public static final Defences NONE = new Defences(Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty());

    public Defences {
      stripHeaders = stripHeaders.map(List::copyOf);
    }
  }

  static final Context.Key<RemotePolicy> CONTEXT_KEY = Context.key("edgecache-remote-policy");

  /** The policy of the stream being handled, or empty when the request carried none. */
  public static Optional<RemotePolicy> current() {
    return Optional.ofNullable(CONTEXT_KEY.get());
  }

  /**
   * {@code local} (the server's own route for the request, or its defaults) with the fields the
   * control plane sends taking precedence: the control plane is the source of truth for them.
   */
  public RoutePolicy applyTo(RoutePolicy local) {
    return local.toBuilder()
        .mode(mode)
        .defaultTtl(defaultTtl.orElse(Duration.ZERO))
        .maxTtl(maxTtl.orElse(Duration.ZERO))
        .shareResponsesWithSetCookie(shareResponsesWithSetCookie)
        .cacheEverythingWithCredentials(
            defences.cacheEverythingWithCredentials().orElse(local.cacheEverythingWithCredentials()))
        .storeResponsesToCookieRequests(
            defences.storeResponsesToCookieRequests().orElse(local.storeResponsesToCookieRequests()))
        .stripHeaders(defences.stripHeaders().orElse(local.stripHeaders()))
        .forwardExcludedQuery(defences.forwardExcludedQuery().orElse(local.forwardExcludedQuery()))
        .storeSetCookie(defences.storeSetCookie().orElse(local.storeSetCookie()))
        .build();
  }
}
