/**
 * A loopback HTTP proxy in front of a server that keeps no request log of its own (the reference SCIM
 * server): it forwards every request unchanged and records "METHOD /path" with the answer's status.
 */
import * as http from "http";
import type { AddressInfo } from "net";

export interface ProxiedRequest {
  method: string;
  path: string;
  status: number;
  headers: http.IncomingHttpHeaders;
}

export class LoggingProxy {
  readonly requests: ProxiedRequest[] = [];
  private server?: http.Server;

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const target = new URL(this.target);
    const server = http.createServer((req, res) => {
      const forward = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const url = new URL(req.url ?? "/", "http://proxy");
          this.requests.push({
            method: req.method ?? "GET",
            path: url.pathname,
            status: answer.statusCode ?? 0,
            headers: req.headers,
          });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  }

  /** "METHOD /path status" lines, with `prefix` cut from each path. */
  lines(prefix = ""): string[] {
    const cut = (path: string) => (prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path);
    return this.requests.map((r) => `${r.method} ${cut(r.path)} ${String(r.status)}`);
  }

  clear(): void {
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
