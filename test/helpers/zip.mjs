// Hand-made zip files for the hostile-file tests: each entry's stored bytes, method and declared sizes are given
// as they are to be written, true or not (CRCs are 0; yauzl does not check them).

/** @param {{ name: string, stored: Uint8Array, method: 0 | 8, declaredSize: number }[]} entries */
export function makeZip(entries) {
  const parts = [];
  const central = [];
  let offset = 0;
  for (const { name, stored, method, declaredSize } of entries) {
    const fileName = Buffer.from(name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(declaredSize, 22);
    local.writeUInt16LE(fileName.length, 26);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(stored.length, 20);
    header.writeUInt32LE(declaredSize, 24);
    header.writeUInt16LE(fileName.length, 28);
    header.writeUInt32LE(offset, 42);
    parts.push(local, fileName, Buffer.from(stored));
    central.push(header, fileName);
    offset += 30 + fileName.length + stored.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}
