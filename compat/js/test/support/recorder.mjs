// A tiny recording reverse proxy on 127.0.0.1: the SDK talks to it exactly as
// it would talk to Connect, and every exchange (method, path with query,
// request headers, status, response headers, body) is logged, so tests can
// check the wire format the SDK really sends and what latchkey answers.

import http from "node:http";

export async function startRecorder(targetBase) {
  const target = new URL(targetBase);
  const log = [];
  const agent = new http.Agent({ keepAlive: false });

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const reqBody = Buffer.concat(chunks);
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host, connection: "close" },
          agent,
        },
        (up) => {
          const out = [];
          up.on("data", (c) => out.push(c));
          up.on("end", () => {
            const body = Buffer.concat(out);
            log.push({
              method: req.method,
              path: req.url,
              requestHeaders: req.headers,
              requestBody: reqBody.length ? reqBody.toString("utf8") : "",
              status: up.statusCode,
              headers: up.headers,
              body: body.toString("utf8"),
            });
            const headers = { ...up.headers };
            delete headers["transfer-encoding"];
            headers["content-length"] = String(body.length);
            res.writeHead(up.statusCode, headers);
            res.end(body);
          });
        },
      );
      upstream.on("error", (err) => {
        log.push({ method: req.method, path: req.url, error: err.message });
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`recorder: upstream error ${err.message}`);
      });
      upstream.end(reqBody);
    });
  });

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    /** Entries logged while `fn` runs. */
    async during(fn) {
      const start = log.length;
      const result = await fn().then(
        (value) => ({ value }),
        (error) => ({ error }),
      );
      return { ...result, entries: log.slice(start) };
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
