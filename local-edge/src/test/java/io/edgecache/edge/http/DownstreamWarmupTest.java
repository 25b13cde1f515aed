package io.edgecache.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The scratch listener admits the warm-up's own sockets and nobody else on loopback. */
class DownstreamWarmupTest {

  @Test
  void admitsOnlyItsOwnSocketsWhileTheyAreOpen() throws Exception {
    DownstreamWarmup warmup = new DownstreamWarmup();
    List<Boolean> admitted = new ArrayList<>();
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Socket stranger = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
      listener.setSoTimeout(5_000);
      try (Socket accepted = listener.accept()) {
        assertFalse(warmup.admits(accepted.getRemoteSocketAddress()), "a stranger on loopback");
      }
      // Note on accept whether each connection is admitted, as the edge's listener does, and
      // answer it like the edge's 404 on another thread, so the accept loop never keeps a
      // warm-up socket waiting past its 1 s read timeout (after which it is rightly refused).
      ExecutorService answers = Executors.newCachedThreadPool();
      CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
        try {
          while (true) {
            Socket client = listener.accept();
            admitted.add(warmup.admits(client.getRemoteSocketAddress()));
            answers.execute(() -> answer404(client));
          }
        } catch (IOException e) {
          // the listener timed out or closed: the warm-up is over
        }
      });
      warmup.run((InetSocketAddress) listener.getLocalSocketAddress());
      listener.close();
      server.get(10, TimeUnit.SECONDS);
      answers.shutdown();
      assertTrue(answers.awaitTermination(10, TimeUnit.SECONDS));
    }
    assertFalse(admitted.isEmpty());
    assertEquals(List.of(), admitted.stream().filter(a -> !a).toList(), "warm-up sockets refused");
    assertTrue(admitted.size() <= 400, "bounded: " + admitted.size());
    assertFalse(warmup.admits(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1)));
  }

  private static void answer404(Socket client) {
    try (client) {
      client.setSoTimeout(5_000);
      client.getInputStream().readNBytes(4);
      OutputStream out = client.getOutputStream();
      out.write("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      // the warm-up gave up on this one
    }
  }
}
