package io.edgecache.tests;

import io.edgecache.extproc.testing.PatternBytes;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.stream.ChunkedStream;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 origin on loopback (Netty). Each path answers with exactly the headers and
 * body a test gives it (nothing added, so a test controls Date); it answers 304 itself when a
 * request's If-None-Match names the reply's ETag, as a real origin would, and a single
 * {@code bytes=first-last} Range with 206 when the reply says {@code accept-ranges: bytes}. It
 * counts each path's
 * requests and keeps the last request's headers, so a test can tell a hit (count unchanged)
 * from a miss and see what the cache sent. A path can be held: its responses wait until the
 * test releases them.
 */
final class TestOrigin implements AutoCloseable {

  /** What a path answers. {@code headers} alternate name, value. */
  record Reply(int status, byte[] body, String... headers) {
    static Reply text(String body, String... headers) {
      return new Reply(200, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    static Reply status(int status, String body, String... headers) {
      return new Reply(status, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    String header(String name) {
      for (int i = 0; i < headers.length; i += 2) {
        if (headers[i].equalsIgnoreCase(name)) {
          return headers[i + 1];
        }
      }
      return null;
    }
  }

  private final EventLoopGroup loop = new NioEventLoopGroup(2);
  /** Handlers may block on a hold; they never block the event loop. */
  private final ExecutorService handlers = Executors.newCachedThreadPool();
  private final Channel server;
  private final Map<String, Reply> replies = new ConcurrentHashMap<>();
  private final Map<String, GeneratedBody> generated = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final Map<String, HttpHeaders> lastRequest = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
  private final Set<String> dropped = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  TestOrigin() throws InterruptedException {
    server = new ServerBootstrap()
        .group(loop)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                new ChunkedWriteHandler(), new Handler());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0))
        .sync()
        .channel();
  }

  String url() {
    return "http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
  }

  void reply(String path, Reply reply) {
    replies.put(path, reply);
  }

  /**
   * Makes {@code path} answer 200 with {@code length} bytes of {@link #patternByte} made on
   * the fly, so bodies far larger than the heap can be served; {@code chunked} omits
   * Content-Length.
   */
  void generate(String path, long length, boolean chunked, String... headers) {
    generated.put(path, new GeneratedBody(length, chunked, headers));
  }

  /** The byte at {@code offset} of a generated body: position-dependent, so reordering shows. */
  static byte patternByte(long offset) {
    return PatternBytes.at(offset);
  }

  /** Holds every response on {@code path} until {@link #release} (requests are still counted). */
  void hold(String path) {
    holds.put(path, new CountDownLatch(1));
  }

  /**
   * Makes every request for {@code path} close its connection before any response: a proxy
   * sees the origin reset the stream before the response headers.
   */
  void dropConnection(String path) {
    dropped.add(path);
  }

  void release(String path) {
    CountDownLatch hold = holds.remove(path);
    if (hold != null) {
      hold.countDown();
    }
  }

  /** How many requests {@code path} received. */
  int count(String path) {
    AtomicInteger count = counts.get(path);
    return count == null ? 0 : count.get();
  }

  /** A request header of the last request {@code path} received, or null. */
  String lastRequestHeader(String path, String name) {
    HttpHeaders headers = lastRequest.get(path);
    return headers == null ? null : headers.get(name);
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      String path = request.uri().split("\\?", 2)[0];
      lastRequest.put(path, request.headers().copy());
      counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      boolean head = request.method().equals(HttpMethod.HEAD);
      String ifNoneMatch = request.headers().get(HttpHeaderNames.IF_NONE_MATCH);
      String range = request.headers().get(HttpHeaderNames.RANGE);
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      handlers.execute(() -> respond(ctx, path, head, ifNoneMatch, range, keepAlive));
    }

    private void respond(ChannelHandlerContext ctx, String path, boolean head,
        String ifNoneMatch, String range, boolean keepAlive) {
      CountDownLatch hold = holds.get(path);
      if (hold != null) {
        try {
          hold.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (dropped.contains(path)) {
        ctx.close();
        return;
      }
      GeneratedBody large = generated.get(path);
      if (large != null) {
        large.send(ctx);
        return;
      }
      Reply reply = partOf(replies.getOrDefault(path,
          Reply.status(404, "no reply configured\n", "cache-control", "no-store")), range);
      String etag = reply.header("etag");
      boolean notModified = etag != null && etag.equals(ifNoneMatch);
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.valueOf(notModified ? 304 : reply.status()),
          head || notModified ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
      for (int i = 0; i < reply.headers().length; i += 2) {
        response.headers().add(reply.headers()[i], reply.headers()[i + 1]);
      }
      response.headers().set("x-origin-count", count(path));
      if (!notModified) {
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
      }
      if (!keepAlive) {
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      } else {
        ctx.writeAndFlush(response);
      }
    }
  }

  /** The 206 for a single {@code bytes=first-last} range of a reply that accepts ranges. */
  private static Reply partOf(Reply reply, String range) {
    if (range == null || reply.status() != 200 || !"bytes".equals(reply.header("accept-ranges"))
        || !range.matches("bytes=\\d+-\\d+")) {
      return reply;
    }
    String[] bounds = range.substring("bytes=".length()).split("-");
    int first = Integer.parseInt(bounds[0]);
    int last = Math.min(Integer.parseInt(bounds[1]), reply.body().length - 1);
    if (first > last) {
      return reply;
    }
    String[] headers = Arrays.copyOf(reply.headers(), reply.headers().length + 2);
    headers[headers.length - 2] = "content-range";
    headers[headers.length - 1] = "bytes " + first + "-" + last + "/" + reply.body().length;
    return new Reply(206, Arrays.copyOfRange(reply.body(), first, last + 1), headers);
  }

  private record GeneratedBody(long length, boolean chunked, String... headers) {
    void send(ChannelHandlerContext ctx) {
      HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      for (int i = 0; i < headers.length; i += 2) {
        response.headers().add(headers[i], headers[i + 1]);
      }
      if (chunked) {
        HttpUtil.setTransferEncodingChunked(response, true);
      } else {
        HttpUtil.setContentLength(response, length);
      }
      ctx.write(response);
      // ChunkedWriteHandler pulls the next block only when the socket is writable.
      ctx.writeAndFlush(new HttpChunkedInput(new ChunkedStream(new PatternBytes(length), 64 << 10)));
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return; // a test may stop the origin early to simulate an outage
    }
    holds.values().forEach(CountDownLatch::countDown);
    server.close().syncUninterruptibly();
    handlers.shutdownNow();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
