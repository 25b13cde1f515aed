package io.edgecache.bench.load;

/** Something the load generator can send one request to, asynchronously. */
public interface RequestTarget {

  /** Called exactly once per issued request, on any thread. */
  interface Completion {
    /** {@code ok} is false for errors and for answers other than the scenario expects. */
    void complete(boolean ok);
  }

  /** Starts one request without blocking; {@code done} is told when it has finished. */
  void issue(Completion done);
}
