package io.edgecache.extproc.telemetry;

import io.edgecache.extproc.policy.remote.RemotePolicy;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest version of each route policy the control plane attached to a request, for
 * {@code /stats}: what overrides the node's own routes right now. Bounded; a read on the hot
 * path, a write only when a policy is new or changed.
 */
public final class PushedPolicies {
  /** Policies beyond this many ids are not listed (a fleet's route count is far below it). */
  static final int MAX_POLICIES = 256;

  private final Map<String, RemotePolicy> latest = new ConcurrentHashMap<>();

  /** Notes the policy a stream carried. */
  public void seen(RemotePolicy policy) {
    RemotePolicy known = latest.get(policy.policyId());
    if (!policy.equals(known) && (known != null || latest.size() < MAX_POLICIES)) {
      latest.put(policy.policyId(), policy);
    }
  }

  /** The latest policy per id, sorted by id. */
  public List<RemotePolicy> all() {
    Collection<RemotePolicy> policies = latest.values();
    return policies.stream().sorted((a, b) -> a.policyId().compareTo(b.policyId())).toList();
  }
}
