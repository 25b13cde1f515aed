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
      // Answer each warm-up request like the edge's 404, noting whether it was admitted.
      CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
        try {
          while (true) {
            try (Socket client = listener.accept()) {
              admitted.add(warmup.admits(client.getRemoteSocketAddress()));
              client.getInputStream().readNBytes(4);
              OutputStream out = client.getOutputStream();
              out.write("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
            }
          }
        } catch (IOException e) {
          // the listener timed out or closed: the warm-up is over
        }
      });
      warmup.run((InetSocketAddress) listener.getLocalSocketAddress());
      listener.close();
      server.get(10, TimeUnit.SECONDS);
    }
    assertFalse(admitted.isEmpty());
    assertEquals(List.of(), admitted.stream().filter(a -> !a).toList(), "warm-up sockets refused");
    assertTrue(admitted.size() <= 400, "bounded: " + admitted.size());
    assertFalse(warmup.admits(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1)));
  }
}
