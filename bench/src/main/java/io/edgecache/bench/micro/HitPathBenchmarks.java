package io.edgecache.bench.micro;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.CacheControl;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.Freshness;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.RequestVerdict;
import io.edgecache.extproc.policy.StoreVerdict;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request pieces of cache logic: key building, Cache-Control parsing and the two
 * policy decisions. Average time per call, in nanoseconds. Inputs are fields of a state
 * object so the JIT cannot constant-fold them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HitPathBenchmarks {

  private final Instant now = Instant.now();
  private final CachePolicy policy = new CachePolicy(
      new Freshness(0.1, Duration.ofDays(1)), "edgecache-control", false);
  private final RequestFacts request = PolicyInputs.request(now);
  private final RequestVerdict verdict = policy.classify(request, RoutePolicy.DEFAULT);
  private final HeaderList responseHeaders = PolicyInputs.responseHeaders(now);
  private String scheme = "https";
  private String authority = "WWW.Example.com:443";
  private String path = "/assets/app.js?v=42";
  private String cacheControl = PolicyInputs.CACHE_CONTROL;

  @Benchmark
  public String cacheKey() {
    return CacheKey.of(scheme, authority, path).uri();
  }

  @Benchmark
  public CacheControl cacheControlParse() {
    return CacheControl.parse(cacheControl);
  }

  @Benchmark
  public RequestVerdict policyClassify() {
    return policy.classify(request, RoutePolicy.DEFAULT);
  }

  @Benchmark
  public StoreVerdict policyDecide() {
    return policy.decide(request, verdict, 200, responseHeaders, RoutePolicy.DEFAULT, now);
  }
}
