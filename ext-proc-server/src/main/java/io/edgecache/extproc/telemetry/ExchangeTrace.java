package io.edgecache.extproc.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.function.BiConsumer;

/**
 * The span of one ext_proc stream and its children (lookup, collapsing wait, background
 * refresh). {@link #NONE} stands in when tracing is off, so the hit path pays nothing.
 */
public final class ExchangeTrace {

  public static final ExchangeTrace NONE = new ExchangeTrace(null, null, null);

  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("edgecache.outcome");
  static final AttributeKey<String> KEY_HASH = AttributeKey.stringKey("edgecache.key_hash");
  static final AttributeKey<Long> TTL = AttributeKey.longKey("edgecache.ttl");
  static final AttributeKey<String> TIER = AttributeKey.stringKey("edgecache.tier");
  static final AttributeKey<Boolean> FOUND = AttributeKey.booleanKey("edgecache.found");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

  private final Span span;
  private final Tracer tracer;
  private final TextMapPropagator propagator;

  ExchangeTrace(Span span, Tracer tracer, TextMapPropagator propagator) {
    this.span = span;
    this.tracer = tracer;
    this.propagator = propagator;
  }

  /** A child span of this exchange, started now; an invalid (no-op) span when tracing is off. */
  public Span child(String name) {
    if (span == null) {
      return Span.getInvalid();
    }
    return tracer.spanBuilder(name)
        .setParent(Context.root().with(span))
        .setSpanKind(SpanKind.INTERNAL)
        .startSpan();
  }

  /** A child span for a store lookup in {@code tier}; end it with {@link #endLookup}. */
  public Span lookup(String tier) {
    Span lookup = child("edgecache.lookup");
    if (span != null) {
      lookup.setAttribute(TIER, tier);
    }
    return lookup;
  }

  public void endLookup(Span lookup, boolean found) {
    if (span != null) {
      lookup.setAttribute(FOUND, found);
      lookup.end();
    }
  }

  /** Writes this span's context as propagation fields (traceparent, ...) through {@code set}. */
  public void inject(BiConsumer<String, String> set) {
    injectFrom(span, set);
  }

  /** Writes the context of {@code child} through {@code set}, for requests it sends. */
  public void injectFrom(Span child, BiConsumer<String, String> set) {
    if (span != null) {
      propagator.inject(Context.root().with(child), set, (carrier, name, value) ->
          carrier.accept(name, value));
    }
  }

  /** Ends the exchange span with how the request was handled. */
  public void end(Outcome outcome, int status, Long ttlSeconds) {
    if (span == null) {
      return;
    }
    if (outcome != null) {
      span.setAttribute(OUTCOME, outcome.label());
    }
    if (status > 0) {
      span.setAttribute(STATUS, (long) status);
      if (status >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
    }
    if (ttlSeconds != null) {
      span.setAttribute(TTL, ttlSeconds);
    }
    span.end();
  }

  /** The exchange was reset before it finished. */
  public void abandon() {
    if (span != null) {
      span.setStatus(StatusCode.ERROR, "stream reset");
      span.end();
    }
  }
}
