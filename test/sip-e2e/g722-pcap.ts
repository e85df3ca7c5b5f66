import { renameSync, writeFileSync } from 'node:fs';
import { G722Encoder } from '../../media/g722.js';
import { writeRtpPacket } from '../../media/rtp-packet.js';

/**
 * A pcap (libpcap, Ethernet/IPv4/UDP) of G.722 RTP for sipp's
 * `play_pcap_audio`: 20 ms packets, PT 9, timestamps +160 (RFC 3551 §4.5.2),
 * capture times 20 ms apart (sipp paces by them).
 */
export function writeG722Pcap(path: string, pcm16k: Int16Array): number {
  const encoder = new G722Encoder();
  const frames = Math.floor(pcm16k.length / 320);
  const parts: Buffer[] = [];
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(global);
  const rtp = new Uint8Array(172);
  for (let k = 0; k < frames; k++) {
    writeRtpPacket(rtp, { marker: k === 0, payloadType: 9, sequenceNumber: k, timestamp: k * 160, ssrc: 0x722722 }, encoder.encode(pcm16k.subarray(k * 320, k * 320 + 320)));
    const udpLen = 8 + rtp.length;
    const frame = Buffer.alloc(14 + 20 + udpLen);
    frame.writeUInt16BE(0x0800, 12);
    frame[14] = 0x45;
    frame.writeUInt16BE(20 + udpLen, 16);
    frame[22] = 64;
    frame[23] = 17;
    frame.set([127, 0, 0, 1], 26);
    frame.set([127, 0, 0, 1], 30);
    frame.writeUInt16BE(6000, 34);
    frame.writeUInt16BE(6002, 36);
    frame.writeUInt16BE(udpLen, 38);
    frame.set(rtp, 42);
    const rec = Buffer.alloc(16);
    const usec = k * 20_000;
    rec.writeUInt32LE(Math.floor(usec / 1e6), 0);
    rec.writeUInt32LE(usec % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  }
  const tmp = `${path}.${process.pid}`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, path);
  return frames;
}
