import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';

/** A tiny authoritative DNS server on UDP 127.0.0.1 that the test controls: A records only, TTL 1; a name not in `records` gets NXDOMAIN; `slow` names are answered after 600 ms. */
export async function startDns(records: Map<string, string[]>, slow: ReadonlySet<string> = new Set()): Promise<{ port: number; socket: Socket; queries: () => number }> {
  const socket = createSocket('udp4');
  let queries = 0;
  // Slow answers still pending when the test closes the server are dropped.
  const delayed = new Set<NodeJS.Timeout>();
  socket.on('close', () => delayed.forEach(clearTimeout));
  socket.on('message', (msg, rinfo) => {
    queries++;
    let off = 12;
    const labels: string[] = [];
    for (let len = msg[off]; len !== 0; len = msg[off]) {
      assert.ok(len !== undefined, 'the query name ends inside the message');
      labels.push(msg.toString('latin1', off + 1, off + 1 + len));
      off += len + 1;
    }
    const qEnd = off + 5;
    const qtype = msg.readUInt16BE(off + 1);
    const name = labels.join('.').toLowerCase();
    const ips = records.get(name);
    const answers = qtype === 1 && ips ? ips : [];
    const head = Buffer.alloc(12);
    msg.copy(head, 0, 0, 2);
    head.writeUInt16BE(ips ? 0x8180 : 0x8183, 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(1, 6);
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((o, i) => (rr[12 + i] = Number(o)));
      return rr;
    });
    const answer = (): void => socket.send(Buffer.concat([head, msg.subarray(12, qEnd), ...rrs]), rinfo.port, rinfo.address);
    if (slow.has(name)) delayed.add(setTimeout(answer, 600));
    else answer();
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { port: socket.address().port, socket, queries: () => queries };
}
