// An independent ZIP reader for the tests: finds the end-of-central-directory record, walks the central directory,
// and inflates each entry from its local header with node:zlib, checking sizes and the CRC-32 of the inflated bytes
// (which catches a writer that stores the CRC of the wrong bytes, or in the wrong place).
import { crc32 as zlibCrc32, inflateRawSync } from 'node:zlib';

export interface ZipFileEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  data: Buffer;
}

export function readZip(zip: Buffer): ZipFileEntry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('zip: no end of central directory record');
  const count = zip.readUInt16LE(eocd + 10);
  const dirSize = zip.readUInt32LE(eocd + 12);
  const dirOffset = zip.readUInt32LE(eocd + 16);
  if (dirOffset + dirSize !== eocd) throw new Error('zip: central directory does not end at the end record');
  const entries: ZipFileEntry[] = [];
  let p = dirOffset;
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`zip: bad central directory header ${n}`);
    const method = zip.readUInt16LE(p + 10);
    const entryCrc = zip.readUInt32LE(p + 16);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLength);
    p += 46 + nameLength + extraLength + commentLength;

    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`zip: bad local header for ${name}`);
    const localName = zip.toString('utf8', localOffset + 30, localOffset + 30 + zip.readUInt16LE(localOffset + 26));
    if (localName !== name) throw new Error(`zip: local header name ${localName} differs from ${name}`);
    const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(start, start + compressedSize);
    const data = method === 8 ? inflateRawSync(raw) : method === 0 ? Buffer.from(raw) : undefined;
    if (!data) throw new Error(`zip: ${name} uses compression method ${method}`);
    if (data.length !== size) throw new Error(`zip: ${name} inflates to ${data.length} bytes, the directory says ${size}`);
    if (zlibCrc32(data) >>> 0 !== entryCrc) throw new Error(`zip: CRC-32 mismatch for ${name}`);
    entries.push({ name, method, crc: entryCrc, compressedSize, size, data });
  }
  if (p !== eocd) throw new Error('zip: central directory size mismatch');
  return entries;
}
