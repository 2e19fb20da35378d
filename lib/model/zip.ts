// Reads named entries of a zip (a Keras 3 .keras file) with yauzl, loaded on first use. yauzl reads the central
// directory and only the entries asked for (from a file descriptor, or from bytes), handles zip64, and with
// validateEntrySizes stops inflating an entry as soon as it yields more bytes than its header declares. On top of
// that, tdfast refuses an entry whose declared size is beyond what deflate can produce from its compressed size
// (1032:1) or beyond a cap, so a zip bomb allocates no more than the file justifies.

import type * as Yauzl from "yauzl";

import { asFormatError, formatError, messageOf, sizeError } from "./fail.js";

/** Deflate's best ratio is 1032:1; a larger declared size is a lie. */
const MAX_DEFLATE_RATIO = 1032;
/** Nothing tdfast reads from a .keras file is larger (a Buffer's limit is 4 GiB on 64-bit Node 20). */
export const MAX_ENTRY_BYTES = 2 ** 32 - 1;

let yauzl: typeof Yauzl | undefined;
function lib(): typeof Yauzl {
  yauzl ??= require("yauzl") as typeof Yauzl;
  return yauzl;
}

export type ZipSource = { path: string } | { bytes: Buffer };

/** The entries of `wanted` found in the zip (absent names are missing from the map), each at most `limits[name]` bytes. */
export async function readZipEntries(
  source: ZipSource,
  label: string,
  limits: Readonly<Record<string, number>>,
): Promise<Map<string, Buffer>> {
  const zip = await openZip(source, label);
  try {
    return await collect(zip, label, limits);
  } finally {
    zip.close();
  }
}

function openZip(source: ZipSource, label: string): Promise<Yauzl.ZipFile> {
  const options: Yauzl.Options = { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: true };
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, zip?: Yauzl.ZipFile) => {
      if (error || !zip) reject(formatError(`${label}: not a readable zip file (${messageOf(error)})`, error));
      else resolve(zip);
    };
    try {
      if ("path" in source) lib().open(source.path, options, done);
      else lib().fromBuffer(source.bytes, options, done);
    } catch (error) {
      reject(asFormatError(`${label}: not a readable zip file`, error));
    }
  });
}

function collect(zip: Yauzl.ZipFile, label: string, limits: Readonly<Record<string, number>>): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(asFormatError(`${label}: corrupt zip`, error));
    };
    zip.on("error", fail);
    zip.on("end", () => {
      if (!settled) {
        settled = true;
        resolve(found);
      }
    });
    zip.on("entry", (entry: Yauzl.Entry) => {
      const limit = Object.hasOwn(limits, entry.fileName) ? limits[entry.fileName]! : undefined;
      if (limit === undefined || found.has(entry.fileName)) {
        zip.readEntry();
        return;
      }
      const declared = entry.uncompressedSize;
      if (declared > limit) return fail(sizeError(`${label}: ${entry.fileName} declares ${declared} bytes, over the limit of ${limit}`));
      if (entry.compressionMethod === 8 && declared > entry.compressedSize * MAX_DEFLATE_RATIO + 1024)
        return fail(
          sizeError(
            `${label}: ${entry.fileName} declares ${declared} bytes from ${entry.compressedSize} compressed bytes, beyond deflate's 1032:1`,
          ),
        );
      if (entry.compressionMethod === 0 && declared !== entry.compressedSize)
        return fail(sizeError(`${label}: ${entry.fileName} is stored with ${entry.compressedSize} bytes but declares ${declared}`));
      zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) return fail(error ?? new Error("no stream"));
        const out = Buffer.allocUnsafe(declared);
        let length = 0;
        stream.on("data", (chunk: Buffer) => {
          if (length + chunk.length > declared) {
            stream.destroy();
            return fail(sizeError(`${label}: ${entry.fileName} inflates beyond its declared ${declared} bytes`));
          }
          chunk.copy(out, length);
          length += chunk.length;
        });
        // yauzl's own check (validateEntrySizes) may stop the stream first.
        stream.on("error", (error) =>
          fail(
            /too (many|few) bytes/.test(messageOf(error))
              ? sizeError(`${label}: ${entry.fileName} inflates beyond its declared ${declared} bytes (${messageOf(error)})`)
              : error,
          ),
        );
        stream.on("end", () => {
          if (length !== declared)
            return fail(sizeError(`${label}: ${entry.fileName} inflates to ${length} bytes, not the declared ${declared}`));
          found.set(entry.fileName, out);
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
}
