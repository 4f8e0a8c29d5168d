// A real socket.io server on 127.0.0.1 (ephemeral port) wired exactly as server.ts does, minus Next.
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import type { Db } from "../../lib/db";
import { attachLive } from "../../app/_server/live";
import { setLivePublisher } from "../../app/_server/live-hub";

export interface LiveTestServer {
  url: string;
  io: Server;
  http: HttpServer;
  close(): Promise<void>;
}

export async function startLiveServer(db: Db): Promise<LiveTestServer> {
  const http = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const io = new Server(http, { serveClient: false });
  setLivePublisher(attachLive(io, db));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    io,
    http,
    async close() {
      setLivePublisher(undefined);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
