// CIFAR-10 for the page: the binary batch files (1 label byte + 3072 CHW pixel bytes per record)
// from the demo server, or from a cifar-10-binary.tar.gz the visitor chooses or drops, gunzipped
// by the browser (DecompressionStream) and read as a tar archive.
export const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;
export const IMAGE_BYTES = 3072;
const RECORD_BYTES = IMAGE_BYTES + 1;
const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const TEST_FILE = 'test_batch.bin';

export interface Split {
  /** CHW uint8 images, IMAGE_BYTES each */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

export interface Cifar {
  readonly train: Split;
  readonly test: Split;
  readonly source: string;
}

function split(files: ReadonlyArray<readonly [string, Uint8Array]>): Split {
  const count = files.reduce((n, [name, bytes]) => {
    if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) throw new Error(`${name}: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte CIFAR-10 records`);
    return n + bytes.length / RECORD_BYTES;
  }, 0);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const [name, bytes] of files) {
    for (let r = 0; r < bytes.length / RECORD_BYTES; r++, at++) {
      const label = bytes[r * RECORD_BYTES];
      if (label >= CLASSES.length) throw new Error(`${name}: record ${r} has label ${label}, not 0..9`);
      labels[at] = label;
      images.set(bytes.subarray(r * RECORD_BYTES + 1, (r + 1) * RECORD_BYTES), at * IMAGE_BYTES);
    }
  }
  return { images, labels, count };
}

/** The batch files from the demo server (`trainBatches` of the 5 training files). */
export async function fromServer(trainBatches: number): Promise<Cifar> {
  const get = async (name: string): Promise<[string, Uint8Array]> => {
    const res = await fetch(`/cifar10/${name}`);
    if (!res.ok) throw new Error((await res.text()) || `the demo server has no ${name}`);
    return [name, new Uint8Array(await res.arrayBuffer())];
  };
  const train = await Promise.all(TRAIN_FILES.slice(0, trainBatches).map(get));
  return { train: split(train), test: split([await get(TEST_FILE)]), source: 'the demo server' };
}

/** The batch files inside a cifar-10-binary.tar.gz. */
export async function fromArchive(file: Blob, name: string): Promise<Cifar> {
  const tar = new Uint8Array(await new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  const found = new Map<string, Uint8Array>();
  for (const [path, bytes] of tarEntries(tar)) {
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (TRAIN_FILES.includes(base) || base === TEST_FILE) found.set(base, bytes);
  }
  const missing = [...TRAIN_FILES, TEST_FILE].filter((f) => !found.has(f));
  if (missing.length) throw new Error(`${name} lacks ${missing.join(', ')}: is it the CIFAR-10 binary version?`);
  return { train: split(TRAIN_FILES.map((f) => [f, found.get(f)!])), test: split([[TEST_FILE, found.get(TEST_FILE)!]]), source: name };
}

/** Regular files of a ustar archive: (path, contents). */
function* tarEntries(tar: Uint8Array): Generator<[string, Uint8Array]> {
  const text = (from: number, length: number) => new TextDecoder().decode(tar.subarray(from, from + length)).replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    if (tar.subarray(at, at + 512).every((b) => b === 0)) return;
    const size = parseInt(text(at + 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || at + 512 + size > tar.length) throw new Error('the archive is not a valid tar (bad entry size)');
    const type = String.fromCharCode(tar[at + 156]);
    const prefix = text(at + 345, 155);
    const path = (prefix ? `${prefix}/` : '') + text(at, 100);
    if (type === '0' || type === '\0') yield [path, tar.subarray(at + 512, at + 512 + size)];
    at += 512 + Math.ceil(size / 512) * 512;
  }
}
