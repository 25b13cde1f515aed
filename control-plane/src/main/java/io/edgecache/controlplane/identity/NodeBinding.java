package io.edgecache.controlplane.identity;

import io.edgecache.controlplane.config.NodeAccess;
import io.edgecache.security.LogText;
import io.edgecache.security.PeerIdentity;
import io.edgecache.security.WarningThrottle;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Binds the node id a stream claims to the certificate identity of its connection (put in the
 * context by {@link io.edgecache.security.PeerIdentityInterceptor}, which must run first):
 *
 * <ul>
 *   <li>a peer whose identity is not in {@code nodes.identities} is refused before any message
 *       reaches the service, so it gets no configuration and no purge stream;
 *   <li>the first message that names a node (xDS {@code node}, purge {@code hello}) is checked
 *       against the identity's grant (node ids, groups) and the {@link NodeRegistry}; a claim of
 *       another identity's node id is refused with PERMISSION_DENIED and never reaches the
 *       service, so the real node keeps its stream and acks on the refused stream count for
 *       nothing;
 *   <li>a later message naming another node id or group than the first is refused the same way.
 * </ul>
 *
 * Refusals are logged at WARNING with the peer's text escaped, at most one line a second.
 */
public final class NodeBinding implements ServerInterceptor {

  private static final Logger log = Logger.getLogger(NodeBinding.class.getName());

  /** What a message says about who sent it; {@code group} is null where the plane has none. */
  public record Claim(String nodeId, String group) {}

  private final String plane;
  private final NodeAccess access;
  private final NodeRegistry registry;
  private final Function<Object, Claim> claimOf;
  private final WarningThrottle refusals = new WarningThrottle(log, Duration.ofSeconds(1));

  /**
   * @param plane names the service in logs ("xDS", "purge stream")
   * @param claimOf the claim a request message carries, or null when it names no node
   */
  public NodeBinding(String plane, NodeAccess access, NodeRegistry registry, Function<Object, Claim> claimOf) {
    this.plane = plane;
    this.access = access;
    this.registry = registry;
    this.claimOf = claimOf;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    // Plaintext peers share one anonymous identity: only a configuration without identities
    // admits them (the loader requires tls for identities).
    String identity = PeerIdentity.current().orElse("");
    Optional<NodeAccess.Grant> grant = Optional.empty();
    if (access.identities().isPresent()) {
      grant = Optional.ofNullable(access.identities().get().get(identity));
      if (grant.isEmpty()) {
        refuse(call, identity, null, Status.PERMISSION_DENIED.withDescription(
            "certificate identity " + LogText.quote(identity) + " is not a node of this control plane"));
        return new ServerCall.Listener<>() {};
      }
    }
    return new Bound<>(next.startCall(call, headers), call, identity, grant);
  }

  private void refuse(ServerCall<?, ?> call, String identity, Claim claim, Status status) {
    call.close(status, new Metadata());
    refusals.warn(() -> plane + " refused: identity=" + LogText.quote(identity)
        + (claim == null ? "" : " node=" + LogText.quote(claim.nodeId())
            + (claim.group() == null ? "" : " group=" + LogText.quote(claim.group())))
        + " status=" + status.getCode() + " reason=" + LogText.quote(status.getDescription()));
  }

  /** One stream: passes messages on once its claim is admitted, and releases it at the end. */
  private final class Bound<Q> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final ServerCall<Q, ?> call;
    private final String identity;
    private final Optional<NodeAccess.Grant> grant;
    private Claim bound;
    private boolean refused;

    Bound(ServerCall.Listener<Q> delegate, ServerCall<Q, ?> call, String identity,
        Optional<NodeAccess.Grant> grant) {
      super(delegate);
      this.call = call;
      this.identity = identity;
      this.grant = grant;
    }

    @Override
    public void onMessage(Q message) {
      if (refused) {
        return;
      }
      Claim claim = claimOf.apply(message);
      if (claim != null) {
        Status refusal = admit(claim);
        if (refusal != null) {
          refused = true;
          refuse(call, identity, claim, refusal);
          return;
        }
      }
      super.onMessage(message);
    }

    /** Null when {@code claim} may go on, else why not. */
    private Status admit(Claim claim) {
      if (bound != null) {
        return bound.equals(claim) ? null : Status.PERMISSION_DENIED.withDescription(
            "a stream cannot change its node id or group");
      }
      if (grant.isPresent() && !grant.get().nodeIds().isEmpty() && !grant.get().nodeIds().contains(claim.nodeId())) {
        return Status.PERMISSION_DENIED.withDescription("this certificate may not act as node id '"
            + claim.nodeId() + "'");
      }
      if (claim.group() != null && grant.isPresent() && !grant.get().groups().isEmpty()
          && !grant.get().groups().contains(claim.group())) {
        return Status.PERMISSION_DENIED.withDescription("this certificate may not act in node group '"
            + claim.group() + "'");
      }
      Optional<Status> refusal = registry.claim(identity, claim.nodeId());
      if (refusal.isPresent()) {
        return refusal.get();
      }
      bound = claim;
      return null;
    }

    @Override
    public void onHalfClose() {
      if (!refused) { // a refused call is closed already; the service must not answer it
        super.onHalfClose();
      }
    }

    // The service learns of the end first, so its per-node state is idle by the time the
    // registry may forget the id.
    @Override
    public void onCancel() {
      super.onCancel();
      released();
    }

    @Override
    public void onComplete() {
      super.onComplete();
      released();
    }

    private void released() {
      if (bound != null) {
        registry.release(bound.nodeId());
        bound = null;
      }
    }
  }
}
