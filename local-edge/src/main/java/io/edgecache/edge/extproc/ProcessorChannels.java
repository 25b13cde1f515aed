package io.edgecache.edge.extproc;

import io.grpc.ManagedChannel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The ext_proc client's connections, one per worker loop, as Envoy holds them: "each worker
 * thread maintains its own connection pools for each cluster" (Envoy's connection pooling
 * overview), and an {@code envoy_grpc} stream goes through the pool of the worker its request
 * arrived on. So a node behind an Envoy with N workers sees up to N HTTP/2 connections, each
 * carrying only its worker's streams; one channel shared by every worker would hand the node
 * all streams on one connection (one transport thread on its side) where Envoy spreads them.
 * A channel connects on its first stream, as Envoy's pools do.
 */
public final class ProcessorChannels implements AutoCloseable {

  private final Map<EventExecutor, ManagedChannel> byLoop;

  private ProcessorChannels(Map<EventExecutor, ManagedChannel> byLoop) {
    this.byLoop = byLoop;
  }

  /** One channel from {@code channel} for each loop of {@code workers}. */
  public static ProcessorChannels perLoop(EventLoopGroup workers, Supplier<ManagedChannel> channel) {
    Map<EventExecutor, ManagedChannel> byLoop = new IdentityHashMap<>();
    for (EventExecutor loop : workers) {
      byLoop.put(loop, channel.get());
    }
    return new ProcessorChannels(byLoop);
  }

  /** The channel of the worker {@code loop}. */
  public ManagedChannel of(EventLoop loop) {
    ManagedChannel channel = byLoop.get(loop);
    if (channel == null) {
      throw new IllegalArgumentException("not a worker loop of this edge: " + loop);
    }
    return channel;
  }

  /** Every worker's channel. */
  public List<ManagedChannel> all() {
    return List.copyOf(byLoop.values());
  }

  /** Stops every channel, giving their final callbacks up to two seconds in all to run. */
  @Override
  public void close() {
    byLoop.values().forEach(ManagedChannel::shutdownNow);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    try {
      for (ManagedChannel channel : byLoop.values()) {
        channel.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
