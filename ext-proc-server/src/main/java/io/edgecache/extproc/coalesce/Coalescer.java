package io.edgecache.extproc.coalesce;

import io.edgecache.extproc.cache.CachedResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request collapsing on one node: the first miss on a key goes to the origin (the leader);
 * misses that arrive while it is in flight wait for it (followers) and are answered from what
 * it stores. A key whose response turned out not storable lets requests straight through for
 * a while (hit-for-pass), so they are not serialised behind each other.
 *
 * <p>A flight leads its key for at most {@code leadFor} (the followers' longest wait): once it is
 * that old, the next miss leads a new one instead of following, as nginx's {@code
 * proxy_cache_lock_age} lets one more request through. Otherwise a leader whose response never
 * comes (a stalled origin, or a stream opened and left silent) would make every later request
 * for its key wait out the whole bound, for as long as that stream stays open.
 */
public final class Coalescer {

  /** One origin fetch in flight; completes with the stored entry, or null when none. */
  public static final class Flight {
    private final CompletableFuture<CachedResponse> landed = new CompletableFuture<>();
    /** When its leader set off; followers join it only until it has led for {@code leadFor}. */
    private final Instant started;

    private Flight(Instant started) {
      this.started = started;
    }

    public CompletableFuture<CachedResponse> landed() {
      return landed;
    }
  }

  /** The caller's role: leader (it fetches) or follower (it waits on {@code flight}). */
  public record Role(Flight flight, boolean leader) {}

  private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Instant> passUntil = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Duration passTtl;
  private final Duration leadFor;
  private final AtomicLong followers = new AtomicLong();
  private final AtomicLong overtaken = new AtomicLong();
  private final AtomicLong waiting = new AtomicLong();

  public Coalescer(Clock clock, Duration passTtl, Duration leadFor) {
    this.clock = clock;
    this.passTtl = passTtl;
    this.leadFor = leadFor;
  }

  /**
   * Joins the flight for {@code key}: the caller leads a new one, or follows the one in the
   * air unless that has led for {@code leadFor} already, when the caller leads in its place (the
   * old leader still lands its own flight for the followers it has). Null when the key is in
   * hit-for-pass and the caller should go to the origin alone.
   */
  public Role join(String key) {
    Instant now = clock.instant();
    Instant until = passUntil.get(key);
    if (until != null) {
      if (now.isBefore(until)) {
        return null;
      }
      passUntil.remove(key, until);
    }
    Flight mine = new Flight(now);
    Flight existing = flights.putIfAbsent(key, mine);
    if (existing == null) {
      return new Role(mine, true);
    }
    if (!now.isBefore(existing.started.plus(leadFor)) && flights.replace(key, existing, mine)) {
      overtaken.incrementAndGet();
      return new Role(mine, true);
    }
    followers.incrementAndGet();
    return new Role(existing, false);
  }

  /**
   * The leader's fetch ended: {@code entry} is what it stored, or null when it stored nothing.
   * With {@code pass}, the response was not storable and the key passes for a while. Holds no
   * lock: followers wait on {@link Flight#landed()} through their own executors, so completing
   * it only queues their continuations there.
   */
  public void land(String key, Flight flight, CachedResponse entry, boolean pass) {
    if (pass) {
      passUntil.put(key, clock.instant().plus(passTtl));
    }
    flights.remove(key, flight);
    flight.landed.complete(entry);
  }

  /** A follower started (+1) or stopped (-1) waiting; for tests and stats. */
  public void waiting(int delta) {
    waiting.addAndGet(delta);
  }

  /** Followers waiting right now. */
  public long waitingNow() {
    return waiting.get();
  }

  /** Flights whose lead passed to a later request because they had led for {@code leadFor}. */
  public long overtakenTotal() {
    return overtaken.get();
  }

  /** Followers ever joined to another request's fetch. */
  public long followersTotal() {
    return followers.get();
  }
}
