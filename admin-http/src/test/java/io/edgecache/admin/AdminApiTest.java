package io.edgecache.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The authenticated API server over real sockets: refusals before the body, the whole-request
 * deadline, the per-address connection cap, and slow clients holding up no one else.
 */
class AdminApiTest {

  /** Refuses a request without {@code Authorization: Bearer ok}; echoes the body otherwise. */
  private static final AdminApi.Handler ECHO = new AdminApi.Handler() {
    @Override
    public Optional<AdminApi.Reply> beforeBody(AdminApi.Head head) {
      return "Bearer ok".equals(head.header("Authorization")) ? Optional.empty()
          : Optional.of(new AdminApi.Reply(401, AdminApi.error("no token")));
    }

    @Override
    public AdminApi.Reply handle(AdminApi.Request request) {
      return new AdminApi.Reply(200, "{\"got\":\"" + request.head().method() + " "
          + request.head().path() + " " + new String(request.body(), StandardCharsets.UTF_8)
          + "\"}");
    }
  };

  private AdminApi api;
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    if (api != null) {
      api.close();
    }
  }

  private void start(Duration deadline, int maxPerSource) throws IOException {
    api = AdminApi.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "api-test",
        1024, ECHO, deadline, 64, maxPerSource);
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), api.port());
    socket.setSoTimeout(10_000);
    sockets.add(socket);
    return socket;
  }

  private static void send(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  /** One response, read through its Content-Length. */
  private static String response(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString(StandardCharsets.US_ASCII);
      }
      head.write(b);
    }
    String text = head.toString(StandardCharsets.US_ASCII);
    int at = text.toLowerCase().indexOf("content-length:");
    int length = Integer.parseInt(text.substring(at + 15, text.indexOf("\r\n", at)).trim());
    return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static boolean closedByPeer(Socket socket) throws IOException {
    try {
      return socket.getInputStream().read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  @Test
  void aRefusalIsAnsweredBeforeTheBodyAndTheConnectionClosed() throws Exception {
    start(AdminApi.REQUEST_DEADLINE, 32);
    Socket socket = connect();
    send(socket, "POST /purges HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n{");
    String refused = response(socket);
    assertTrue(refused.startsWith("HTTP/1.1 401 "), refused);
    assertTrue(refused.endsWith("{\"error\":\"no token\"}"), refused);
    assertTrue(closedByPeer(socket));
  }

  @Test
  void requestsAreAnsweredAndConnectionsKeptForTheNext() throws Exception {
    start(Duration.ofSeconds(2), 32);
    Socket socket = connect();
    for (int i = 0; i < 2; i++) {
      send(socket, "POST /purges HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ok\r\n"
          + "Content-Length: 2\r\n\r\n{}");
      String answer = response(socket);
      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
      assertTrue(answer.endsWith("{\"got\":\"POST /purges {}\"}"), answer);
    }
  }

  @Test
  void aRequestThatDoesNotArriveWholeWithinTheDeadlineIsClosed() throws Exception {
    start(Duration.ofMillis(500), 32);
    Socket socket = connect();
    send(socket, "POST /purges HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ok\r\n"
        + "Content-Length: 10\r\n\r\n{");
    long started = System.nanoTime();
    // Dribbling keeps the connection busy, but not past the deadline.
    while (!closedAfterOneByte(socket)) {
      assertTrue(System.nanoTime() - started < 5_000_000_000L, "still open after 5 s");
    }
  }

  /** Sends one more byte of body, then looks 100 ms for the close. */
  private static boolean closedAfterOneByte(Socket socket) throws IOException {
    try {
      send(socket, " ");
    } catch (IOException e) {
      return true;
    }
    socket.setSoTimeout(100);
    try {
      return closedByPeer(socket);
    } finally {
      socket.setSoTimeout(10_000);
    }
  }

  @Test
  void oneAddressCannotTakeEveryConnection() throws Exception {
    start(AdminApi.REQUEST_DEADLINE, 2);
    connect();
    connect();
    assertTrue(closedByPeer(connect()), "a third from the same address is closed at once");
  }

  @Test
  void slowClientsHoldUpNoOneElse() throws Exception {
    start(AdminApi.REQUEST_DEADLINE, 32);
    for (int i = 0; i < 16; i++) { // four times the worker threads
      send(connect(), "POST /purges HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ok\r\n"
          + "Content-Length: 100\r\n\r\n{");
    }
    Socket socket = connect();
    send(socket, "GET /purges HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ok\r\n\r\n");
    assertEquals("HTTP/1.1 200 OK", response(socket).lines().findFirst().orElse(""));
  }
}
