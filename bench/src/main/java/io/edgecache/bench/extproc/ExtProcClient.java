package io.edgecache.bench.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc.ExternalProcessorStub;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The driver's side of the ext_proc connection, set up as Envoy's gRPC client is: one HTTP/2
 * connection carrying every stream, callbacks on the network thread, large flow-control
 * windows (Envoy's default is 256 MiB; 16 MiB never stalls 32 streams of 100 KiB).
 *
 * <p>It has its own event loop thread ("bench-driver"), so when the server runs in the same
 * JVM the two never share a thread and a profile can tell them apart.
 */
public final class ExtProcClient implements AutoCloseable {

  private static final int FLOW_CONTROL_WINDOW_BYTES = 16 << 20;

  private final EpollEventLoopGroup loop;
  private final ManagedChannel channel;
  private final ExternalProcessorStub stub;

  private ExtProcClient(EpollEventLoopGroup loop, ManagedChannel channel) {
    this.loop = loop;
    this.channel = channel;
    this.stub = ExternalProcessorGrpc.newStub(channel);
  }

  public static ExtProcClient connect(String host, int port) {
    EpollEventLoopGroup loop = new EpollEventLoopGroup(1, new DefaultThreadFactory(ServerCpu.DRIVER_PREFIX, true));
    ManagedChannel channel = NettyChannelBuilder.forAddress(host, port)
        .usePlaintext()
        .directExecutor()
        .eventLoopGroup(loop)
        .channelType(EpollSocketChannel.class)
        .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
        .maxInboundMessageSize(16 << 20)
        .build();
    channel.getState(true);
    return new ExtProcClient(loop, channel);
  }

  ExternalProcessorStub stub() {
    return stub;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }
}
