import * as ws from 'ws';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

// `ws` exports its Sender (a named export of its ESM entry, documented as public), but @types/ws
// does not declare it.
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

if (typeof Sender?.frame !== 'function') throw new Error('ws no longer exports Sender.frame: update frame-writer.ts');

const TEXT_OPCODE = 0x01;

/**
 * A complete, unmasked WebSocket text frame (header + payload) ready to be written to any number
 * of server-side sockets. Building it once per message instead of once per recipient is what
 * keeps broadcast fan-out close to the cost of the socket writes themselves.
 */
export function textFrame(text: string): Buffer {
  const parts = Sender.frame(Buffer.from(text, 'utf8'), { fin: true, opcode: TEXT_OPCODE, mask: false, readOnly: false, rsv1: false });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
