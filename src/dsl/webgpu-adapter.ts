// Describes a WebGPU adapter the same way on every platform, so "software" (slower than the CPU
// backends) is decided by one rule.
export interface AdapterReport {
  readonly description: string;
  /** true for software rasterizers (llvmpipe, lavapipe, SwiftShader): slower than the CPU backends */
  readonly software: boolean;
}

const softwareNames = /llvmpipe|lavapipe|swiftshader|softpipe|software/i;

export function describeAdapter(adapter: any): AdapterReport {
  const info = adapter.info ?? {};
  const description = [info.vendor, info.architecture, info.device, info.description]
    .filter((s: unknown) => typeof s === 'string' && s.length > 0)
    .join(' ');
  return { description: description || 'unknown adapter', software: Boolean(adapter.isFallbackAdapter) || softwareNames.test(description) };
}
