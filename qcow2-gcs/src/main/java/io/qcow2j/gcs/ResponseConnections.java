package io.qcow2j.gcs;

import org.apache.http.HttpConnection;
import org.apache.http.HttpResponse;
import org.apache.http.HttpResponseInterceptor;
import org.apache.http.protocol.HttpContext;
import org.apache.http.protocol.HttpCoreContext;

/**
 * The connection of the response a thread just received, so a body past its deadline or abandoned
 * mid-way can be cut at once: google-http-client's {@code HttpResponse.disconnect()} first reads the
 * rest of the body, which a trickling server stretches forever. One per store.
 */
final class ResponseConnections implements HttpResponseInterceptor {
    private final ThreadLocal<HttpConnection> last = new ThreadLocal<>();

    @Override
    public void process(HttpResponse response, HttpContext context) {
        last.set((HttpConnection) context.getAttribute(HttpCoreContext.HTTP_CONNECTION));
    }

    /** The connection of this thread's last response, forgotten; null if none. */
    HttpConnection take() {
        HttpConnection c = last.get();
        last.remove();
        return c;
    }
}
