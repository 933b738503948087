// Dawn (the `webgpu` package) writes start-up warnings from native code straight to stderr: no
// Vulkan loader on this machine, limits reduced on Mesa's GL driver. They are expected on CPU-only
// machines and say nothing about a test, so the test run drops exactly these lines (and nothing
// else) from the stderr of the processes it runs; SHAPED_VIT_DEBUG=1 keeps them.
import { Transform, type TransformCallback } from 'node:stream';

const noise = [
  /^Warning: Couldn't load Vulkan: /,
  /^Warning: \w+ artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
];
// the source location Dawn prints under a warning, and the blank line that closes it
const location = /^\s+at .*third_party\/dawn\//;

/** A line filter: true for a line to drop, given the lines before it (in order, one call per line). */
export function dawnWarningFilter(): (line: string) => boolean {
  let inWarning = false;
  return (line) => {
    if (noise.some((re) => re.test(line))) return (inWarning = true);
    if (inWarning && (location.test(line) || line === '')) {
      inWarning = line !== '';
      return true;
    }
    inWarning = false;
    return false;
  };
}

/** A stream that passes text through without Dawn's start-up warnings (whole lines; a partial last line at the end). */
export function withoutDawnWarnings(): Transform {
  const drop = dawnWarningFilter();
  let pending = '';
  const lines = (text: string, push: (s: string) => void) => {
    for (const line of text.split('\n')) if (!drop(line)) push(`${line}\n`);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      const text = pending + chunk.toString('utf8');
      const cut = text.lastIndexOf('\n');
      pending = text.slice(cut + 1);
      if (cut >= 0) lines(text.slice(0, cut), (s) => this.push(s));
      done();
    },
    flush(done: TransformCallback) {
      if (pending && !dawnWarningFilter()(pending)) this.push(pending);
      done();
    },
  });
}
