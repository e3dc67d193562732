/**
 * A tiny HTTP server that answers from a script, for the client's edge cases that a correct server
 * never produces (malformed bodies, HTML error pages, lists under other keys). It logs each request.
 */
import * as http from "http";
import type { AddressInfo } from "net";

export interface ScriptedReply {
  status?: number;
  body?: unknown;
  /** Sent as-is (e.g. an HTML page); otherwise `body` is sent as JSON. */
  raw?: string;
  headers?: Record<string, string>;
  /** Destroy the connection instead of answering. */
  drop?: boolean;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export class ScriptedServer {
  readonly seen: SeenRequest[] = [];
  private server?: http.Server;
  /** Replies per "METHOD /path?query" (or "METHOD /path"); each is used once, the last one repeats. */
  private script = new Map<string, ScriptedReply[]>();

  on(route: string, ...replies: ScriptedReply[]): this {
    this.script.set(route, replies);
    return this;
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        const method = req.method ?? "";
        this.seen.push({ method, url: req.url ?? "", headers: req.headers, body });
        const url = (req.url ?? "").replace(/^\/api\/v2/, "");
        const queue = this.script.get(`${method} ${url}`) ?? this.script.get(`${method} ${url.split("?")[0]}`);
        const reply = queue && (queue.length > 1 ? queue.shift() : queue[0]);
        if (!reply) return void res.writeHead(404, { "content-type": "application/json" }).end('{"error":"no script"}');
        if (reply.drop) return void req.socket.destroy();
        const text = reply.raw ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
        res.writeHead(reply.status ?? 200, {
          "content-type": reply.raw !== undefined ? "text/html" : "application/json",
          ...reply.headers,
        });
        res.end(text);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/api/v2`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
