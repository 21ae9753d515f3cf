// A DHCP client that only asks: for each MAC, a DISCOVER (broadcast reply asked for, the host
// name and lease time requested) and what the OFFER carries, one JSON line per MAC, or
// `offer: null` when no server answers within the wait. Run as root inside a network namespace:
//   node dhcpDiscover.mjs <broadcast address> <wait ms> <mac>...
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";

const [broadcast, waitMs, ...macs] = process.argv.slice(2);

function discover(mac, xid) {
  const p = Buffer.alloc(300);
  p.writeUInt8(1, 0); // BOOTREQUEST
  p.writeUInt8(1, 1); // Ethernet
  p.writeUInt8(6, 2);
  xid.copy(p, 4);
  p.writeUInt16BE(0x8000, 10); // broadcast: this client has no address to be answered at
  Buffer.from(mac.split(":").map((h) => parseInt(h, 16))).copy(p, 28);
  Buffer.from([99, 130, 83, 99]).copy(p, 236);
  // 53 DISCOVER; 55 asks for subnet mask, router, host name (12), lease time (51); end.
  Buffer.from([53, 1, 1, 55, 4, 1, 3, 12, 51, 255]).copy(p, 240);
  return p;
}

function offerOf(msg) {
  const options = new Map();
  for (let i = 240; i < msg.length && msg[i] !== 255; ) {
    if (msg[i] === 0) {
      i++;
      continue;
    }
    options.set(msg[i], msg.subarray(i + 2, i + 2 + msg[i + 1]));
    i += 2 + msg[i + 1];
  }
  if (options.get(53)?.[0] !== 2) return undefined;
  return {
    ip: [...msg.subarray(16, 20)].join("."),
    hostName: options.has(12) ? options.get(12).toString("latin1").replace(/\0+$/, "") : null,
    leaseSeconds: options.has(51) ? options.get(51).readUInt32BE(0) : null,
  };
}

const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
await new Promise((resolve) => socket.bind(68, "0.0.0.0", resolve));
socket.setBroadcast(true);
for (const mac of macs) {
  const xid = randomBytes(4);
  const offer = await new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg.length < 240 || msg[0] !== 2 || !msg.subarray(4, 8).equals(xid)) return;
      const o = offerOf(msg);
      if (o) done(o);
    };
    const resend = setInterval(() => socket.send(discover(mac, xid), 67, broadcast), 250);
    const timer = setTimeout(() => done(null), Number(waitMs));
    function done(o) {
      clearInterval(resend);
      clearTimeout(timer);
      socket.off("message", onMessage);
      resolve(o);
    }
    socket.on("message", onMessage);
    socket.send(discover(mac, xid), 67, broadcast);
  });
  process.stdout.write(`${JSON.stringify({ mac, offer })}\n`);
}
socket.close();
